using System.Net;
using CreatioGoogle.Broker.Secrets;

namespace CreatioGoogle.Tests.Secrets;

/// <summary>KeyVaultSecretStore through the real SecretClient against the sandbox vault over HTTPS.</summary>
public sealed class KeyVaultSecretStoreTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Reads_the_current_value_and_its_version()
    {
        await using var world = await SandboxVaultWorld.StartAsync();
        var version = world.Vault.SetSecret(SecretNames.GoogleClientSecret, "s3cr3t-value-1");

        var secret = await world.Store.GetSecretAsync(SecretNames.GoogleClientSecret, None);

        Assert.Equal(SecretNames.GoogleClientSecret, secret.Name);
        Assert.Equal(version, secret.Version);
        Assert.Equal("s3cr3t-value-1", secret.Value);
        Assert.DoesNotContain("s3cr3t", secret.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Second_read_within_the_cache_duration_makes_no_request()
    {
        await using var world = await SandboxVaultWorld.StartAsync();
        world.Vault.SetSecret("google-client-id", "client-id-value");
        await world.Store.GetSecretAsync("google-client-id", None);
        var afterFirst = world.Vault.RequestCount;

        world.Clock.Advance(TimeSpan.FromMinutes(4));
        var again = await world.Store.GetSecretAsync("google-client-id", None);

        Assert.Equal("client-id-value", again.Value);
        Assert.Equal(afterFirst, world.Vault.RequestCount);
    }

    [Fact]
    public async Task Concurrent_readers_share_one_request()
    {
        await using var world = await SandboxVaultWorld.StartAsync();
        world.Vault.SetSecret("warm-up", "x");
        world.Vault.SetSecret("token-encryption-key", "key-value");
        await world.Store.GetSecretAsync("warm-up", None); // the bearer challenge happens here, once
        var before = world.Vault.RequestCount;

        var reads = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => world.Store.GetSecretAsync("token-encryption-key", None)));

        Assert.All(reads, s => Assert.Equal("key-value", s.Value));
        Assert.Equal(before + 1, world.Vault.RequestCount);
    }

    [Fact]
    public async Task After_a_rotation_the_new_version_shows_once_the_cache_expires_and_the_old_stays_readable()
    {
        await using var world = await SandboxVaultWorld.StartAsync();
        var v1 = world.Vault.SetSecret(SecretNames.TokenEncryptionKey, "key-one");
        Assert.Equal(v1, (await world.Store.GetSecretAsync(SecretNames.TokenEncryptionKey, None)).Version);

        var v2 = world.Vault.SetSecret(SecretNames.TokenEncryptionKey, "key-two");
        Assert.Equal(v1, (await world.Store.GetSecretAsync(SecretNames.TokenEncryptionKey, None)).Version); // still cached

        world.Clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        var current = await world.Store.GetSecretAsync(SecretNames.TokenEncryptionKey, None);
        var old = await world.Store.GetSecretVersionAsync(SecretNames.TokenEncryptionKey, v1, None);

        Assert.Equal((v2, "key-two"), (current.Version, current.Value));
        Assert.Equal((v1, "key-one"), (old.Version, old.Value));
    }

    [Fact]
    public async Task A_specific_version_is_cached_for_good_because_versions_never_change()
    {
        await using var world = await SandboxVaultWorld.StartAsync();
        var v1 = world.Vault.SetSecret("tenant-acme-api-key", "api-key-one");
        world.Vault.SetSecret("tenant-acme-api-key", "api-key-two");
        await world.Store.GetSecretVersionAsync("tenant-acme-api-key", v1, None);
        var before = world.Vault.RequestCount;

        world.Clock.Advance(TimeSpan.FromDays(30));
        var again = await world.Store.GetSecretVersionAsync("tenant-acme-api-key", v1, None);

        Assert.Equal("api-key-one", again.Value);
        Assert.Equal(before, world.Vault.RequestCount);
    }

    [Fact]
    public async Task Missing_secret_throws_not_found_naming_the_secret()
    {
        await using var world = await SandboxVaultWorld.StartAsync();

        var error = await Assert.ThrowsAsync<SecretNotFoundException>(() => world.Store.GetSecretAsync("google-client-secret", None));

        Assert.Equal("google-client-secret", error.SecretName);
        Assert.Contains("'google-client-secret'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_version_throws_not_found_naming_secret_and_version()
    {
        await using var world = await SandboxVaultWorld.StartAsync();
        world.Vault.SetSecret("token-encryption-key", "k");

        var error = await Assert.ThrowsAsync<SecretNotFoundException>(
            () => world.Store.GetSecretVersionAsync("token-encryption-key", "0123456789abcdef0123456789abcdef", None));

        Assert.Contains("'token-encryption-key'", error.Message, StringComparison.Ordinal);
        Assert.Contains("0123456789abcdef0123456789abcdef", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_vault_throws_unavailable_after_retries_and_leaks_no_value()
    {
        const string value = "very-secret-client-secret-value";
        await using var world = await SandboxVaultWorld.StartAsync();
        world.Vault.SetSecret(SecretNames.GoogleClientSecret, value);
        await world.Store.GetSecretAsync(SecretNames.GoogleClientSecret, None);

        await world.Vault.StopListeningAsync();
        world.Clock.Advance(TimeSpan.FromMinutes(6));
        var error = await Assert.ThrowsAsync<SecretStoreUnavailableException>(
            () => world.Store.GetSecretAsync(SecretNames.GoogleClientSecret, None));

        Assert.Equal(SecretNames.GoogleClientSecret, error.SecretName);
        Assert.Contains($"'{SecretNames.GoogleClientSecret}'", error.Message, StringComparison.Ordinal);
        // The SDK tried 1 + MaxRetries (2) times before giving up.
        var attempts = Assert.IsType<AggregateException>(error.InnerException);
        Assert.Equal(3, attempts.InnerExceptions.Count);
        Assert.DoesNotContain(value, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(value, world.AllLogText(), StringComparison.Ordinal);
        Assert.Contains(world.Log.Lines, l => l.Contains(SecretNames.GoogleClientSecret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Vault_answering_503_is_retried_then_reported_unavailable()
    {
        await using var world = await SandboxVaultWorld.StartAsync();
        world.Vault.SetSecret("warm-up", "x");
        await world.Store.GetSecretAsync("warm-up", None);
        world.Vault.RespondWithStatus(HttpStatusCode.ServiceUnavailable);
        var before = world.Vault.RequestCount;

        var error = await Assert.ThrowsAsync<SecretStoreUnavailableException>(() => world.Store.GetSecretAsync("google-client-id", None));

        Assert.Equal("google-client-id", error.SecretName);
        Assert.Equal(before + 3, world.Vault.RequestCount);
    }

    [Fact]
    public async Task After_an_outage_the_next_read_tries_again()
    {
        await using var world = await SandboxVaultWorld.StartAsync();
        world.Vault.SetSecret("google-client-id", "id");
        world.Vault.RespondWithStatus(HttpStatusCode.InternalServerError);
        await Assert.ThrowsAsync<SecretStoreUnavailableException>(() => world.Store.GetSecretAsync("google-client-id", None));

        world.Vault.RespondWithStatus(null);

        Assert.Equal("id", (await world.Store.GetSecretAsync("google-client-id", None)).Value);
    }

    [Fact]
    public async Task Wrong_access_token_is_refused_and_reported_as_access_denied()
    {
        await using var world = await SandboxVaultWorld.StartAsync(token: "not-the-vault-token");
        world.Vault.SetSecret("google-client-id", "id");

        var error = await Assert.ThrowsAsync<SecretStoreUnavailableException>(() => world.Store.GetSecretAsync("google-client-id", None));

        Assert.Contains("HTTP 401", error.Message, StringComparison.Ordinal);
        Assert.Contains("Key Vault Secrets User", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_caller_cancelling_does_not_cancel_the_fetch_other_callers_share()
    {
        await using var world = await SandboxVaultWorld.StartAsync();
        world.Vault.SetSecret("google-client-id", "id");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => world.Store.GetSecretAsync("google-client-id", cancelled.Token));

        Assert.Equal("id", (await world.Store.GetSecretAsync("google-client-id", None)).Value);
    }
}
