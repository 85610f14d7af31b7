using Azure;
using Azure.Data.Tables;

namespace CreatioGoogle.Broker.Sync;

/// <summary>
/// Where one feature's sync of one connection stands: a row of <c>cursors</c> (partition = connection id,
/// row = feature). Saved only after the changes it covers were applied on both sides.
/// </summary>
public sealed class Cursor : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    public string TenantId { get; set; } = "";

    /// <summary>Google's cursor: a People/Calendar sync token or a Gmail history id.</summary>
    public string? GoogleSyncToken { get; set; }

    /// <summary>Creatio rows modified at or after this instant are still to be looked at.</summary>
    public DateTimeOffset? CreatioModifiedSince { get; set; }

    public DateTimeOffset? LastFullSyncAt { get; set; }

    /// <summary>Contacts: the Google contact group that scopes the sync (resource name), remembered so a run needs no group lookup.</summary>
    public string? GoogleGroupResourceName { get; set; }

    /// <summary>Contacts: the group name <see cref="GoogleGroupResourceName"/> was found for; a renamed setting looks it up again.</summary>
    public string? GoogleGroupName { get; set; }

    /// <summary>Contacts: the connected Creatio user's contact (SysAdminUnit.ContactId), owner of the synced Creatio contacts.</summary>
    public Guid? CreatioOwnerId { get; set; }

    /// <summary>When the current or last run started; a queued job requested before it is already covered.</summary>
    public DateTimeOffset? LastRunStartedAt { get; set; }

    public DateTimeOffset? LastSuccessAt { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset? LastErrorAt { get; set; }
    public int ConsecutiveFailures { get; set; }

    /// <summary>Set by the scheduler when it queued a job, so the next schedule does not queue another.</summary>
    public DateTimeOffset? EnqueuedAt { get; set; }

    public string? LeaseOwner { get; set; }
    public DateTimeOffset? LeaseUntil { get; set; }

    /// <summary>Figures of the last run (items read and written per side), for the status API and benchmarks.</summary>
    public string? LastRunSummary { get; set; }
}
