using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace CreatioGoogle.Broker.Secrets;

/// <summary>
/// Secrets from configuration (environment variables, user secrets, local.settings.json) for runs without a vault.
/// The current value sits at <c>Secrets:&lt;name&gt;</c>. Its version is derived from the value
/// (<c>local-</c> + 12 hex chars of its SHA-256), so changing the value is a rotation, exactly as a new Key Vault
/// version would be. Older values stay readable at <c>SecretVersions:&lt;name&gt;:&lt;version&gt;</c>.
/// </summary>
public sealed class LocalSecretStore(IConfiguration configuration) : ISecretStore
{
    public const string CurrentSection = "Secrets";
    public const string VersionsSection = "SecretVersions";

    public Task<Secret> GetSecretAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(ReadCurrent(name) ?? throw new SecretNotFoundException(name));
    }

    public Task<Secret> GetSecretVersionAsync(string name, string version, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        cancellationToken.ThrowIfCancellationRequested();

        if (ReadCurrent(name) is { } current && current.Version == version)
        {
            return Task.FromResult(current);
        }

        var older = configuration[$"{VersionsSection}:{name}:{version}"];
        return string.IsNullOrEmpty(older)
            ? throw new SecretNotFoundException(name, version)
            : Task.FromResult(new Secret(name, version, older));
    }

    /// <summary>The version id this store gives a value; operators use it to file an old value under <c>SecretVersions</c>.</summary>
    public static string VersionOf(string value)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(value));
        return "local-" + Convert.ToHexStringLower(hash)[..12];
    }

    private Secret? ReadCurrent(string name)
    {
        var value = configuration[$"{CurrentSection}:{name}"];
        return string.IsNullOrEmpty(value) ? null : new Secret(name, VersionOf(value), value);
    }
}
