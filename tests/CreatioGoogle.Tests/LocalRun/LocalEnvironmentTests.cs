using CreatioGoogle.Broker.Secrets;
using CreatioGoogle.LocalHost.Local;
using Microsoft.Extensions.Configuration;

namespace CreatioGoogle.Tests.LocalRun;

/// <summary>The local run's embedded defaults: local secrets made once, kept, and rotated on request.</summary>
public sealed class LocalEnvironmentTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("local-env-").FullName;

    [Fact]
    public async Task Local_secrets_are_made_once_and_kept_across_runs()
    {
        var first = await PrepareAsync();
        var second = await PrepareAsync();

        var key = first.Settings["Secrets:token-encryption-key"];
        Assert.Equal(32, Convert.FromBase64String(key!).Length);
        Assert.Equal(key, second.Settings["Secrets:token-encryption-key"]);
        Assert.Equal(first.Settings["Secrets:tenant-demo-api-key"], second.Settings["Secrets:tenant-demo-api-key"]);
    }

    [Fact]
    public async Task Rotating_the_token_key_keeps_the_old_version_readable()
    {
        var before = await PrepareAsync();
        var oldKey = before.Settings["Secrets:token-encryption-key"]!;

        var rotated = await PrepareAsync(("LocalRun:RotateTokenKey", "true"));
        var after = await PrepareAsync();

        Assert.True(rotated.RotatedTokenKey);
        var newKey = rotated.Settings["Secrets:token-encryption-key"]!;
        Assert.NotEqual(oldKey, newKey);
        Assert.Equal(newKey, after.Settings["Secrets:token-encryption-key"]);
        var store = new LocalSecretStore(new ConfigurationBuilder().AddInMemoryCollection(after.Settings).Build());
        var old = await store.GetSecretVersionAsync(SecretNames.TokenEncryptionKey, LocalSecretStore.VersionOf(oldKey), CancellationToken.None);
        Assert.Equal(oldKey, old.Value);
        Assert.NotEqual(old.Version, (await store.GetSecretAsync(SecretNames.TokenEncryptionKey, CancellationToken.None)).Version);
    }

    private async Task<LocalEnvironment> PrepareAsync(params (string Key, string Value)[] extra)
    {
        // Storage, Google and tenants configured: only the secrets are the local run's own.
        var settings = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["Secrets:google-client-id"] = "configured.apps.googleusercontent.com",
            ["Tenants:acme:ReturnUrls:0"] = "https://acme.creatio.example/",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        await using var environment = await LocalEnvironment.PrepareAsync(configuration, new Uri("http://localhost:7071"), _data, CancellationToken.None);
        return environment;
    }

    public void Dispose() => Directory.Delete(_data, recursive: true);
}
