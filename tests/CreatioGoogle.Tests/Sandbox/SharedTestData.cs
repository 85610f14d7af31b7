using CreatioGoogle.Sandbox;

namespace CreatioGoogle.Tests.Sandbox;

/// <summary>
/// Test data from public projects, read in place from <c>../shared/data</c> beside the repository root (the folder
/// holding CreatioGoogleFunctions.sln). CI always has it; a fresh clone may not, and then the tests that need it are
/// skipped with the reason, and every other test still runs.
/// </summary>
internal static class SharedTestData
{
    /// <summary>The MIME test suite (mikel/mail spec/fixtures/emails), or null when it is not there.</summary>
    public static string? MimeFolder => Find("mime");

    public static string MissingReason(string folder) =>
        $"../shared/data/{folder} is not beside the repository root ({RepositoryRoot.Find() ?? "no CreatioGoogleFunctions.sln above the test assembly"}): the tests that read it are skipped.";

    private static string? Find(string folder)
    {
        var root = RepositoryRoot.Find();
        if (root is null)
        {
            return null;
        }

        var path = Path.GetFullPath(Path.Combine(root, "..", "shared", "data", folder));
        return Directory.Exists(path) ? path : null;
    }
}

/// <summary>A fact that needs <c>../shared/data/mime</c>; skipped, saying why, when the folder is missing.</summary>
public sealed class MimeDataFactAttribute : FactAttribute
{
    public MimeDataFactAttribute()
    {
        if (SharedTestData.MimeFolder is null)
        {
            Skip = SharedTestData.MissingReason("mime");
        }
    }
}
