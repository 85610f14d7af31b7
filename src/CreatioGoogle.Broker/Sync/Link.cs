using System.Runtime.Serialization;
using Azure;
using Azure.Data.Tables;

namespace CreatioGoogle.Broker.Sync;

/// <summary>
/// One item known on both sides: a Google id linked to a Creatio id, with what each side looked like when
/// they were last made equal. Stored twice in <c>links</c> (partition = connection id), once under each id,
/// written together in one transaction so both lookups always agree.
/// </summary>
public sealed class Link : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string Feature { get; set; } = "";
    public string GoogleId { get; set; } = "";
    public string CreatioId { get; set; } = "";

    /// <summary>Google's etag after our last write or read of the item.</summary>
    public string? GoogleEtag { get; set; }

    /// <summary>Creatio's ModifiedOn after our last write or read of the item.</summary>
    public DateTimeOffset? CreatioModifiedOn { get; set; }

    /// <summary>Hash of the mapped fields both sides agreed on: a change whose hash is this one is our own echo.</summary>
    public string ContentHash { get; set; } = "";

    public DateTimeOffset LastSyncedAt { get; set; }

    /// <summary>
    /// Null for a live link. Otherwise a tombstone: the item on this side ("google"/"creatio") was deleted or left the
    /// sync's scope and, by policy, its copy on the other side was kept; the tombstone stops a later run from
    /// re-creating the copy's twin.
    /// </summary>
    public string? GoneSide { get; set; }

    [IgnoreDataMember]
    public string ConnectionId => PartitionKey;

    public static string GoogleKey(string feature, string googleId) => $"{feature}:g:{Escape(googleId)}";

    public static string CreatioKey(string feature, string creatioId) => $"{feature}:c:{Escape(creatioId)}";

    /// <summary>Row keys may not hold '/', '\', '#' or '?'; Google ids such as <c>people/c123</c> do.</summary>
    private static string Escape(string id) =>
        id.Replace("%", "%25", StringComparison.Ordinal).Replace("/", "%2F", StringComparison.Ordinal)
          .Replace("\\", "%5C", StringComparison.Ordinal).Replace("#", "%23", StringComparison.Ordinal)
          .Replace("?", "%3F", StringComparison.Ordinal);
}
