using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using CreatioGoogle.Broker.Secrets;
using Microsoft.Extensions.Options;

namespace CreatioGoogle.Broker.Tenants;

/// <summary>
/// Authenticates Creatio's calls: the tenant id in <c>X-Creatio-Tenant</c> and its API key in <c>X-Api-Key</c>
/// (headers Creatio's no-code "Call web service" element can send). Keys are compared in constant time.
/// </summary>
public sealed partial class TenantAuthenticator(IOptions<TenantsOptions> tenants, ISecretStore secrets)
{
    public const string TenantHeader = "X-Creatio-Tenant";
    public const string ApiKeyHeader = "X-Api-Key";

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,39}$")]
    public static partial Regex TenantIdPattern();

    /// <summary>The tenant, or null when the id is unknown or the key is wrong (the caller cannot tell which).</summary>
    public async Task<Tenant?> AuthenticateAsync(string? tenantId, string? apiKey, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(tenantId) || string.IsNullOrEmpty(apiKey) || !TenantIdPattern().IsMatch(tenantId)
            || !tenants.Value.Tenants.TryGetValue(tenantId, out var options))
        {
            return null;
        }

        Secret expected;
        try
        {
            expected = await secrets.GetSecretAsync(SecretNames.TenantApiKey(tenantId), cancellationToken);
        }
        catch (SecretNotFoundException)
        {
            return null;
        }

        // Hashing first makes both sides the same length, so the comparison time reveals nothing.
        var matches = CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)),
            SHA256.HashData(Encoding.UTF8.GetBytes(expected.Value)));
        return matches ? new Tenant(tenantId, options) : null;
    }

    public Tenant? Find(string tenantId) =>
        tenants.Value.Tenants.TryGetValue(tenantId, out var options) ? new Tenant(tenantId, options) : null;
}
