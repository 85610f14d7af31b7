using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;

namespace CreatioGoogle.Broker.Connections;

/// <summary>
/// A connect attempt waiting for Google's redirect: a row of <c>authstates</c>. The row key is the SHA-256
/// of the <c>state</c> parameter, so the table never holds a usable state value.
/// </summary>
public sealed class PendingAuthorization : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string TenantId { get; set; } = "";
    public string ConnectionId { get; set; } = "";
    public string CreatioUserId { get; set; } = "";
    public string RequestedFeatures { get; set; } = "";
    public string ReturnUrl { get; set; } = "";
    public string? LoginHint { get; set; }
    public bool AllowAccountSwitch { get; set; }
    public string CodeVerifierCiphertext { get; set; } = "";
    public string CodeVerifierKeyVersion { get; set; } = "";
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>Set when the callback used this row; a second use is a replay.</summary>
    public DateTimeOffset? ConsumedAt { get; set; }

    public IReadOnlyList<string> Features =>
        RequestedFeatures.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static (string PartitionKey, string RowKey) KeysFor(string state)
    {
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(state))).ToLowerInvariant();
        // Two hex characters spread rows over 256 partitions.
        return (hash[..2], hash);
    }

    public string CodeVerifierAssociatedData => $"authstate/{RowKey}/verifier";
}
