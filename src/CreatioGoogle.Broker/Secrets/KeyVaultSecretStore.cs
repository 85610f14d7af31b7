using Azure;
using Azure.Core;
using Azure.Security.KeyVault.Secrets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CreatioGoogle.Broker.Secrets;

/// <summary>
/// Secrets from Azure Key Vault through the SDK's <see cref="SecretClient"/> (which owns retries and the bearer
/// challenge). Current values are cached for <see cref="KeyVaultOptions.CacheDuration"/> so a rotation shows up
/// within that time; specific versions are cached for the life of the process because Key Vault versions never
/// change. Concurrent readers of the same secret share one request.
/// Neither messages nor logs ever contain a secret's value.
/// </summary>
public sealed partial class KeyVaultSecretStore : ISecretStore
{
    private readonly SecretClient _client;
    private readonly TimeSpan _cacheDuration;
    private readonly TimeProvider _time;
    private readonly ILogger<KeyVaultSecretStore> _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<CacheKey, CacheEntry> _cache = [];

    public KeyVaultSecretStore(SecretClient client, IOptions<KeyVaultOptions> options, TimeProvider time, ILogger<KeyVaultSecretStore> logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _cacheDuration = options.Value.CacheDuration;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// The client the store reads through: the vault's URI plus a credential (managed identity in Azure).
    /// Tests pass <paramref name="clientOptions"/> to pin the sandbox vault's certificate and shorten retries.
    /// </summary>
    public static SecretClient CreateClient(Uri vaultUri, TokenCredential credential, SecretClientOptions? clientOptions = null)
    {
        ArgumentNullException.ThrowIfNull(vaultUri);
        ArgumentNullException.ThrowIfNull(credential);
        return new SecretClient(vaultUri, credential, clientOptions ?? new SecretClientOptions());
    }

    public Task<Secret> GetSecretAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return GetCachedAsync(new CacheKey(name, null), cancellationToken);
    }

    public Task<Secret> GetSecretVersionAsync(string name, string version, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        return GetCachedAsync(new CacheKey(name, version), cancellationToken);
    }

    private Task<Secret> GetCachedAsync(CacheKey key, CancellationToken cancellationToken)
    {
        CacheEntry entry;
        lock (_gate)
        {
            if (!_cache.TryGetValue(key, out entry!) || !entry.IsUsable(_time.GetUtcNow()))
            {
                entry = new CacheEntry();
                _cache[key] = entry;
                // The fetch is shared by every waiting caller, so no single caller's token may cancel it;
                // each caller stops waiting on its own token instead (WaitAsync below).
                entry.Fetch = FetchAsync(key, entry);
            }
        }
        return entry.Fetch.WaitAsync(cancellationToken);
    }

    private async Task<Secret> FetchAsync(CacheKey key, CacheEntry entry)
    {
        await Task.Yield(); // leave the lock before any I/O starts
        KeyVaultSecret fetched;
        try
        {
            var response = await _client.GetSecretAsync(key.Name, key.Version, CancellationToken.None);
            fetched = response.Value;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            LogNotFound(key.Name, key.Version ?? "(current)");
            throw new SecretNotFoundException(key.Name, key.Version);
        }
        catch (RequestFailedException ex) when (ex.Status is 401 or 403)
        {
            LogUnavailable(ex, key.Name, ex.Status);
            throw new SecretStoreUnavailableException(key.Name, new InvalidOperationException(
                $"Key Vault refused access (HTTP {ex.Status}, {ex.ErrorCode ?? "no error code"}). " +
                "Grant the app's identity the 'Key Vault Secrets User' role on the vault and check the secret is enabled.", ex));
        }
        catch (Exception ex) when (ex is RequestFailedException or AggregateException or HttpRequestException or OperationCanceledException)
        {
            // Network failures and 5xx reach here only after the SDK's own retries. OperationCanceledException can
            // only be the SDK's network timeout: the fetch runs without a caller's token.
            LogUnavailable(ex, key.Name, (ex as RequestFailedException)?.Status ?? 0);
            throw new SecretStoreUnavailableException(key.Name, ex);
        }

        var version = LastSegment(fetched.Properties.Version);
        var secret = new Secret(key.Name, version, fetched.Value);
        var now = _time.GetUtcNow();
        entry.ExpiresAt = key.Version is null ? now + _cacheDuration : DateTimeOffset.MaxValue;

        if (key.Version is null)
        {
            // A current value is also that version forever: later reads by version id need no request.
            lock (_gate)
            {
                var versionKey = new CacheKey(key.Name, version);
                if (!_cache.TryGetValue(versionKey, out var existing) || !existing.IsUsable(now))
                {
                    _cache[versionKey] = new CacheEntry { Fetch = Task.FromResult(secret), ExpiresAt = DateTimeOffset.MaxValue };
                }
            }
        }

        LogFetched(key.Name, version);
        return secret;
    }

    private static string LastSegment(string version)
    {
        var trimmed = version.TrimEnd('/');
        var slash = trimmed.LastIndexOf('/');
        return slash < 0 ? trimmed : trimmed[(slash + 1)..];
    }

    private readonly record struct CacheKey(string Name, string? Version);

    private sealed class CacheEntry
    {
        public Task<Secret> Fetch { get; set; } = null!;

        // Written once by the fetch before its task completes; read only after seeing the completed task.
        public DateTimeOffset ExpiresAt { get; set; } = DateTimeOffset.MaxValue;

        public bool IsUsable(DateTimeOffset now) =>
            !Fetch.IsCompleted || (Fetch.IsCompletedSuccessfully && now < ExpiresAt);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Read secret {SecretName} version {SecretVersion} from Key Vault")]
    private partial void LogFetched(string secretName, string secretVersion);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Secret {SecretName} version {SecretVersion} is not in Key Vault")]
    private partial void LogNotFound(string secretName, string secretVersion);

    [LoggerMessage(Level = LogLevel.Error, Message = "Key Vault could not be read for secret {SecretName} (HTTP status {Status}, 0 = no response)")]
    private partial void LogUnavailable(Exception exception, string secretName, int status);
}
