using System.Text.Json.Nodes;
using NodaTime;

namespace CreatioGoogle.Sandbox.Google.Calendar;

/// <summary>One account's primary calendar: its events (with every version kept, for sync tokens) and an index of exceptions.</summary>
internal sealed class CalendarData(string sub, string email)
{
    public string Sub { get; } = sub;

    public string Email { get; } = email;

    /// <summary>IANA zone of the calendar: list responses render dateTimes in it, all-day dates are placed in it.</summary>
    public string TimeZone { get; set; } = "Europe/Berlin";

    public DateTimeZone Zone => EventTime.Zone(TimeZone)!;

    public Dictionary<string, StoredEvent> Events { get; } = new(StringComparer.Ordinal);

    /// <summary>Master id → ids of its exception events (edited or cancelled instances).</summary>
    public Dictionary<string, HashSet<string>> ExceptionsByMaster { get; } = new(StringComparer.Ordinal);

    public long LastChangeSeq { get; set; }

    public DateTimeOffset LastChange { get; set; } = DateTimeOffset.UnixEpoch;

    public IEnumerable<EventVersion> ExceptionsOf(string masterId) =>
        ExceptionsByMaster.TryGetValue(masterId, out var ids) ? ids.Select(id => Events[id].Latest) : [];
}

/// <summary>An event id and its versions, oldest first. A deletion is a version with status "cancelled".</summary>
internal sealed class StoredEvent(string id)
{
    public string Id { get; } = id;

    public List<EventVersion> Versions { get; } = [];

    public EventVersion Latest => Versions[^1];

    /// <summary>The version a sync token cut at <paramref name="seq"/> had seen, or null when the event is newer.</summary>
    public EventVersion? At(long seq) => Versions.LastOrDefault(v => v.Seq <= seq);
}

/// <summary>One stored state of an event: the resource as Google would return it, with its times parsed once.</summary>
internal sealed record EventVersion(long Seq, JsonObject Resource, EventTime? Start, EventTime? End, EventTime? OriginalStart, IReadOnlyList<string> Recurrence, DateTimeOffset Updated)
{
    public string Id => Resource["id"]!.GetValue<string>();

    public string Etag => Resource["etag"]!.GetValue<string>();

    public bool Cancelled => Resource["status"]?.GetValue<string>() == "cancelled";

    public string? RecurringEventId => Resource["recurringEventId"]?.GetValue<string>();

    public bool IsMaster => Recurrence.Count > 0 && RecurringEventId is null;

    public string? ICalUid => Resource["iCalUID"]?.GetValue<string>();

    public string EventType => Resource["eventType"]?.GetValue<string>() ?? "default";
}

/// <summary>What an events.list call asked for. <see cref="PageKey"/> must match along the pages of one listing.</summary>
internal sealed record ListQuery(
    bool SingleEvents,
    bool ShowDeleted,
    bool ShowDeletedGiven,
    Instant? TimeMin,
    Instant? TimeMax,
    Instant? UpdatedMin,
    string? OrderBy,
    string? Q,
    string? ICalUid,
    IReadOnlyList<KeyValuePair<string, string>> PrivateProperties,
    IReadOnlyList<KeyValuePair<string, string>> SharedProperties,
    IReadOnlyList<string> EventTypes,
    int MaxResults,
    int? MaxAttendees,
    DateTimeZone? ResponseZone,
    string? PageToken,
    string? SyncToken,
    string PageKey)
{
    /// <summary>Queries with these filters get no nextSyncToken: the same filters are refused together with a syncToken.</summary>
    public bool Syncable => OrderBy is null && Q is null && ICalUid is null && UpdatedMin is null && PrivateProperties.Count == 0 && SharedProperties.Count == 0;
}

/// <summary>The query shape a sync token was made with: a full sync restricted by time or expansion bakes it in.</summary>
internal sealed record SyncShape(bool SingleEvents, Instant? TimeMin, Instant? TimeMax, string EventTypes);

internal sealed record SyncTokenState(string Sub, long CutoffSeq, DateTimeOffset IssuedAt, SyncShape Shape);

internal sealed record PageState(string Sub, List<JsonObject> Items, int Offset, int PageIndex, string PageKey, string? NextSyncToken, string? Etag);

/// <summary>What a write asked Google to send to attendees (sendUpdates, or the deprecated sendNotifications).</summary>
public sealed record CalendarWrite(string Method, string EventId, string? SendUpdates, int Attendees)
{
    /// <summary>Google e-mails attendees only for all/externalOnly; absent means no notifications ("The default is false").</summary>
    public bool InvitationsSent => Attendees > 0 && SendUpdates is "all" or "externalOnly";
}
