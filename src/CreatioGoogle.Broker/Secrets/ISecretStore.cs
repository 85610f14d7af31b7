namespace CreatioGoogle.Broker.Secrets;

/// <summary>
/// Where the broker's secrets live: Azure Key Vault in production, local configuration otherwise.
/// Secret names use Key Vault's alphabet (letters, digits, dashes), e.g. <c>google-client-secret</c>.
/// </summary>
public interface ISecretStore
{
    /// <summary>The current version of a secret. Throws <see cref="SecretNotFoundException"/> when it does not exist.</summary>
    Task<Secret> GetSecretAsync(string name, CancellationToken cancellationToken);

    /// <summary>A specific version (older encryption keys stay readable after a rotation).</summary>
    Task<Secret> GetSecretVersionAsync(string name, string version, CancellationToken cancellationToken);
}

/// <summary>A secret's value with the version it came from. <see cref="ToString"/> never shows the value.</summary>
public sealed record Secret(string Name, string Version, string Value)
{
    public override string ToString() => $"Secret {{ Name = {Name}, Version = {Version}, Value = *** }}";
}

/// <summary>The secret (or the version asked for) is not in the store: an operator must add it.</summary>
public sealed class SecretNotFoundException(string name, string? version = null)
    : Exception(version is null
        ? $"Secret '{name}' is not in the secret store. Add it (see README, 'Secrets')."
        : $"Version '{version}' of secret '{name}' is not in the secret store.")
{
    public string SecretName { get; } = name;
}

/// <summary>The secret store could not be reached after retries. The message never holds a secret value.</summary>
public sealed class SecretStoreUnavailableException(string name, Exception inner)
    : Exception($"The secret store could not be reached to read secret '{name}': {inner.Message}", inner)
{
    public string SecretName { get; } = name;
}

/// <summary>Names of the secrets the broker reads, in one place so deployment docs and code agree.</summary>
public static class SecretNames
{
    public const string GoogleClientId = "google-client-id";
    public const string GoogleClientSecret = "google-client-secret";
    public const string TokenEncryptionKey = "token-encryption-key";

    /// <summary>Each Creatio tenant's API key, sent by Creatio in the <c>X-Api-Key</c> header.</summary>
    public static string TenantApiKey(string tenantId) => $"tenant-{tenantId}-api-key";

    /// <summary>Each tenant's secret for signing status callbacks to Creatio (HMAC-SHA256).</summary>
    public static string TenantWebhookSecret(string tenantId) => $"tenant-{tenantId}-webhook-secret";

    public static string TenantCreatioUser(string tenantId) => $"tenant-{tenantId}-creatio-user";
    public static string TenantCreatioPassword(string tenantId) => $"tenant-{tenantId}-creatio-password";

    /// <summary>Client id of the tenant's "OAuth 2.0 integrated application" in Creatio (client credentials mode).</summary>
    public static string TenantCreatioClientId(string tenantId) => $"tenant-{tenantId}-creatio-client-id";

    /// <summary>Client secret of the tenant's "OAuth 2.0 integrated application" in Creatio (client credentials mode).</summary>
    public static string TenantCreatioClientSecret(string tenantId) => $"tenant-{tenantId}-creatio-client-secret";
}
