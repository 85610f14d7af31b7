using CreatioGoogle.Broker.Secrets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CreatioGoogle.Tests.Secrets;

public sealed class LocalSecretStoreTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static LocalSecretStore Store(params (string Key, string Value)[] settings) =>
        new(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build());

    [Fact]
    public async Task Reads_the_current_value_with_a_version_derived_from_it()
    {
        var store = Store(("Secrets:google-client-id", "local-id"));

        var secret = await store.GetSecretAsync("google-client-id", None);

        Assert.Equal("local-id", secret.Value);
        Assert.Matches("^local-[0-9a-f]{12}$", secret.Version);
        Assert.Equal(LocalSecretStore.VersionOf("local-id"), secret.Version);
    }

    [Fact]
    public async Task A_changed_value_is_a_new_version_and_the_old_one_stays_readable_where_filed()
    {
        var oldVersion = LocalSecretStore.VersionOf("key-one");
        var store = Store(("Secrets:token-encryption-key", "key-two"), ($"SecretVersions:token-encryption-key:{oldVersion}", "key-one"));

        var current = await store.GetSecretAsync("token-encryption-key", None);
        var old = await store.GetSecretVersionAsync("token-encryption-key", oldVersion, None);
        var currentById = await store.GetSecretVersionAsync("token-encryption-key", current.Version, None);

        Assert.NotEqual(oldVersion, current.Version);
        Assert.Equal("key-one", old.Value);
        Assert.Equal("key-two", currentById.Value);
    }

    [Fact]
    public async Task Missing_secret_or_version_throws_not_found_naming_it()
    {
        var store = Store(("Secrets:google-client-id", "x"));

        var missing = await Assert.ThrowsAsync<SecretNotFoundException>(() => store.GetSecretAsync("google-client-secret", None));
        var missingVersion = await Assert.ThrowsAsync<SecretNotFoundException>(() => store.GetSecretVersionAsync("google-client-id", "local-000000000000", None));

        Assert.Equal("google-client-secret", missing.SecretName);
        Assert.Contains("google-client-secret", missing.Message, StringComparison.Ordinal);
        Assert.Contains("local-000000000000", missingVersion.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddSecretStore_uses_local_configuration_without_a_vault_uri()
    {
        using var provider = Provider(("Secrets:google-client-id", "x"));

        Assert.IsType<LocalSecretStore>(provider.GetRequiredService<ISecretStore>());
    }

    [Fact]
    public void AddSecretStore_uses_key_vault_when_a_vault_uri_is_set()
    {
        using var provider = Provider(("KeyVault:VaultUri", "https://kv-test.vault.azure.net/"), ("AZURE_CLIENT_ID", "00000000-0000-0000-0000-000000000001"));

        Assert.IsType<KeyVaultSecretStore>(provider.GetRequiredService<ISecretStore>());
    }

    [Fact]
    public void AddSecretStore_rejects_a_vault_uri_that_is_not_https()
    {
        using var provider = Provider(("KeyVault:VaultUri", "http://kv-test.vault.azure.net/"));

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<KeyVaultOptions>>().Value);
        Assert.Contains("KeyVault:VaultUri", error.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Provider(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build();
        return new ServiceCollection().AddLogging().AddSecretStore(configuration).BuildServiceProvider();
    }
}
