using CreatioGoogle.Sandbox.Azurite;

namespace CreatioGoogle.Tests.Infrastructure;

/// <summary>
/// One private in-memory Azurite for the whole test run; tests isolate themselves with their own
/// table prefix or tenant, so they can run in parallel.
/// </summary>
public static class SharedAzurite
{
    private static readonly Lazy<Task<AzuriteInstance>> Instance = new(StartAsync);

    public static Task<AzuriteInstance> GetAsync() => Instance.Value;

    public static async Task<string> ConnectionStringAsync() => (await GetAsync()).ConnectionString;

    private static async Task<AzuriteInstance> StartAsync()
    {
        var azurite = await AzuriteInstance.StartInMemoryAsync(CancellationToken.None);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => azurite.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return azurite;
    }

    /// <summary>A table prefix no other test uses (table names: letters and digits, starting with a letter).</summary>
    public static string UniquePrefix() => "t" + Guid.NewGuid().ToString("N")[..10];
}
