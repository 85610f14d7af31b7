using System.Text.Json;
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

    /// <summary>
    /// The feature's own state, as JSON of a class the feature owns (contacts: sync token, Creatio ModifiedOn cursor, group,
    /// owner; calendar: its sync token and query shape; mail: its history id). Read with <see cref="ReadState{T}"/>, set with
    /// <see cref="WriteState{T}"/>: no feature adds columns here.
    /// </summary>
    public string? FeatureState { get; set; }

    /// <summary>When both sides were last listed in full (a forced full resync is due <c>FullResyncAfter</c> later).</summary>
    public DateTimeOffset? LastFullSyncAt { get; set; }

    /// <summary>When the current or last run started; a queued job requested before it is already covered.</summary>
    public DateTimeOffset? LastRunStartedAt { get; set; }

    public DateTimeOffset? LastSuccessAt { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset? LastErrorAt { get; set; }
    public int ConsecutiveFailures { get; set; }

    /// <summary>
    /// Only on a queue mark (the row <see cref="QueueMarkKey"/> beside the cursor): when a job was last queued, so neither the
    /// schedule nor a burst of push notifications queues another while it waits. A separate row, because the cursor's own
    /// row is held by a running job's ETag.
    /// </summary>
    public DateTimeOffset? EnqueuedAt { get; set; }

    /// <summary>The row key of a feature's queue mark.</summary>
    public static string QueueMarkKey(string feature) => QueueMarkPrefix + feature;

    internal const string QueueMarkPrefix = "queued:";

    public string? LeaseOwner { get; set; }
    public DateTimeOffset? LeaseUntil { get; set; }

    /// <summary>Figures of the last run (items read and written per side), for the status API and benchmarks.</summary>
    public string? LastRunSummary { get; set; }

    /// <summary>The feature state, or a new one when this cursor has none yet.</summary>
    public T ReadState<T>()
        where T : class, new() =>
        FeatureState is { Length: > 0 } json ? JsonSerializer.Deserialize<T>(json, StateJson) ?? new T() : new T();

    public void WriteState<T>(T state)
        where T : class => FeatureState = JsonSerializer.Serialize(state, StateJson);

    /// <summary>Property names as written (PascalCase): contacts' state keeps the names its columns had before it moved here.</summary>
    private static readonly JsonSerializerOptions StateJson = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
}
