using System.Runtime.Serialization;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;

namespace CreatioGoogle.Broker.Push;

/// <summary>
/// One push subscription of one connection: a row of <c>channels</c> (partition = connection id, row = <c>feature|channel id</c>),
/// plus a lookup row under <c>id:&lt;channel id&gt;</c> with the same values, so a notification, which names only its channel,
/// finds its connection with one point read. Calendar keeps its <c>events.watch</c> channels here; Gmail's watch (a Pub/Sub
/// topic, renewed daily) fits the same row: a channel id of the feature's choosing, no token, its expiry.
/// </summary>
public sealed class PushChannel : ITableEntity
{
    private const string LookupPrefix = "id:";

    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string TenantId { get; set; } = "";
    public string ConnectionId { get; set; } = "";
    public string Feature { get; set; } = "";
    public string ChannelId { get; set; } = "";

    /// <summary>Google's id of the watched resource (needed to stop the channel); null until Google answered the watch.</summary>
    public string? ResourceId { get; set; }

    /// <summary>SHA-256 of the channel token (base64): the token itself is never stored, only compared (in constant time).</summary>
    public string? TokenHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When Google stops delivering (its answer; until then, what was asked for).</summary>
    public DateTimeOffset ExpiresAt { get; set; }

    [IgnoreDataMember]
    public bool IsLookup => PartitionKey.StartsWith(LookupPrefix, StringComparison.Ordinal);

    public static string ConnectionRowKey(string feature, string channelId) => $"{feature}|{channelId}";

    public static string LookupPartitionKey(string channelId) => LookupPrefix + channelId;

    public static string HashToken(string token) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>True when <paramref name="token"/> is this channel's, compared in constant time.</summary>
    public bool TokenMatches(string? token)
    {
        if (TokenHash is null || token is null)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[32];
        return Convert.TryFromBase64String(TokenHash, expected, out var length) && length == 32
            && CryptographicOperations.FixedTimeEquals(expected, SHA256.HashData(Encoding.UTF8.GetBytes(token)));
    }

    /// <summary>A copy under other keys (the connection row, or the lookup row).</summary>
    internal PushChannel At(string partitionKey, string rowKey) => new()
    {
        PartitionKey = partitionKey,
        RowKey = rowKey,
        TenantId = TenantId,
        ConnectionId = ConnectionId,
        Feature = Feature,
        ChannelId = ChannelId,
        ResourceId = ResourceId,
        TokenHash = TokenHash,
        CreatedAt = CreatedAt,
        ExpiresAt = ExpiresAt,
    };
}
