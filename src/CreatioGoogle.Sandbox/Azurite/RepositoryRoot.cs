namespace CreatioGoogle.Sandbox;

/// <summary>Finds the repository's root (the folder holding the .sln), where tools/ lives.</summary>
public static class RepositoryRoot
{
    public static string? Find(string? startDirectory = null)
    {
        for (var dir = new DirectoryInfo(startDirectory ?? AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CreatioGoogleFunctions.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
