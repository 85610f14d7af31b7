using System.Text.Json.Nodes;

namespace CreatioGoogle.Sandbox.Google.Calendar;

/// <summary>
/// Test controls of the Calendar API simulator served by <see cref="SandboxGoogle"/> at <see cref="SandboxGoogle.CalendarBaseUrl"/>.
/// Method names used by the counters and fault injection are Google's discovery ids: "calendar.calendarList.list",
/// "calendar.calendarList.get", "calendar.calendars.get", "calendar.events.list", "calendar.events.get",
/// "calendar.events.insert", "calendar.events.import", "calendar.events.update", "calendar.events.patch",
/// "calendar.events.delete", "calendar.events.instances", "calendar.events.watch", "calendar.channels.stop".
/// Changes made here "as the user" (<see cref="UserCreate"/>, <see cref="UserEdit"/>, <see cref="UserDelete"/>) get
/// new etags and send push notifications; <see cref="SeedEvents"/> does neither. None of them is counted as a call.
/// </summary>
public sealed class SandboxCalendar : IAsyncDisposable
{
    private static readonly WriteOptions UserWrite = new("user", null, 1, null);

    private readonly CalendarApi _api;
    private readonly CalendarStore _store;
    private readonly PushChannels _push;
    private readonly Func<string, SandboxAccount> _accountByEmail;

    internal SandboxCalendar(CalendarApi api, CalendarStore store, PushChannels push, Func<string, SandboxAccount> accountByEmail)
    {
        _api = api;
        _store = store;
        _push = push;
        _accountByEmail = accountByEmail;
    }

    /// <summary>Simulator-clock lifetime of a sync token, from when it was issued; older ones get 410 fullSyncRequired. Default 7 days (⚠ Google documents none).</summary>
    public TimeSpan SyncTokenLifetime
    {
        get => _store.SyncTokenLifetime;
        set => _store.SyncTokenLifetime = value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    /// <summary>How far back updatedMin may reach before 410 updatedMinTooLongAgo. Default 28 days (⚠ Google documents none).</summary>
    public TimeSpan UpdatedMinLimit
    {
        get => _store.UpdatedMinLimit;
        set => _store.UpdatedMinLimit = value;
    }

    /// <summary>How far past now unbounded recurrences are expanded when a query has no timeMax. Default 730 days.</summary>
    public TimeSpan RecurrenceHorizon
    {
        get => _store.RecurrenceHorizon;
        set => _store.RecurrenceHorizon = value;
    }

    /// <summary>Most instances one series expands to in one answer. Default 1000.</summary>
    public int MaxInstancesPerSeries
    {
        get => _store.MaxInstancesPerSeries;
        set => _store.MaxInstancesPerSeries = value;
    }

    /// <summary>When true, list pages are short or empty (every third page empty, the next half full), as Google allows.</summary>
    public bool ShortPages
    {
        get => _store.ShortPages;
        set => _store.ShortPages = value;
    }

    /// <summary>Real-time delay added to every Calendar call.</summary>
    public TimeSpan Latency
    {
        get => _api.Latency.Value;
        set => _api.Latency.Value = value;
    }

    /// <summary>Every call answers 403 accessNotConfigured (SERVICE_DISABLED in details), as when the Calendar API is not enabled on the project.</summary>
    public bool ApiDisabled
    {
        get => _api.ApiDisabled;
        set => _api.ApiDisabled = value;
    }

    /// <summary>Expiration of a channel whose watch request gave none. Default 7 days.</summary>
    public TimeSpan DefaultChannelLifetime
    {
        get => _push.DefaultLifetime;
        set => _push.DefaultLifetime = value;
    }

    /// <summary>Longest channel lifetime; longer requested expirations are cut to it. Default 30 days.</summary>
    public TimeSpan MaxChannelLifetime
    {
        get => _push.MaxLifetime;
        set => _push.MaxLifetime = value;
    }

    /// <summary>How long a stopped channel keeps getting notifications, as users report Google does. Default 0.</summary>
    public TimeSpan DeliverAfterStop
    {
        get => _push.DeliverAfterStop;
        set => _push.DeliverAfterStop = value;
    }

    /// <summary>Calls received per method, including rejected ones.</summary>
    public IReadOnlyDictionary<string, int> Calls => _api.Calls;

    public int CallCount(string method) => _api.CallCount(method);

    public int TotalCalls => _api.Calls.Values.Sum();

    public void ResetCounters() => _api.ResetCounters();

    /// <summary>
    /// The next <paramref name="count"/> authorized calls (of <paramref name="method"/>, or of any method when null) fail
    /// with <paramref name="fault"/>. Replaces an earlier injection for the same method.
    /// </summary>
    public void InjectFailures(int count, CalendarFault fault, string? method = null, TimeSpan? retryAfter = null) =>
        _api.Inject(count, fault, method, retryAfter);

    /// <summary>The calendar's zone (default Europe/Berlin): lists render dateTimes in it and place all-day dates in it.</summary>
    public void SetTimeZone(string email, string timeZone) => _store.SetTimeZone(_accountByEmail(email), timeZone);

    /// <summary>Stores events directly (visible at once, no counters, no notifications). An iCalUID without id imports. Returns ids.</summary>
    public IReadOnlyList<string> SeedEvents(string email, IEnumerable<JsonObject> events) => _store.Seed(_accountByEmail(email), events);

    /// <summary>The event as stored (the latest version; deleted ones have status "cancelled"), or null.</summary>
    public JsonObject? Event(string email, string eventId) => _store.Stored(_accountByEmail(email), eventId);

    /// <summary>Every stored event of the account (exceptions and cancelled ones included).</summary>
    public IReadOnlyList<JsonObject> Events(string email) => _store.AllStored(_accountByEmail(email));

    /// <summary>The user creates an event in Google's UI.</summary>
    public JsonObject UserCreate(string email, JsonObject @event) => _store.Insert(_accountByEmail(email), @event, UserWrite);

    /// <summary>
    /// The user changes an event in Google's UI (patch semantics; an instance id makes an exception): new etag,
    /// updated time and, for time changes, sequence; push notifications follow.
    /// </summary>
    public JsonObject UserEdit(string email, string eventId, JsonObject changes) => _store.Patch(_accountByEmail(email), eventId, changes, UserWrite);

    /// <summary>The user deletes an event (or, with an instance id, one instance of a series) in Google's UI.</summary>
    public void UserDelete(string email, string eventId) => _store.Delete(_accountByEmail(email), eventId, UserWrite);

    /// <summary>Every sync token issued for the account answers 410 fullSyncRequired from now on.</summary>
    public void ExpireSyncTokens(string email) => _store.ExpireSyncTokens(_accountByEmail(email));

    /// <summary>API writes (insert, import, update, patch, delete) with what each asked Google to send to attendees.</summary>
    public IReadOnlyList<CalendarWrite> Writes => _store.Writes;

    /// <summary>True when any API write asked Google to e-mail its attendees (sendUpdates all or externalOnly).</summary>
    public bool InvitationsSent => _store.Writes.Any(w => w.InvitationsSent);

    /// <summary>Watch channels ever created, stopped and expired ones included.</summary>
    public IReadOnlyList<CalendarChannel> Channels => _push.Channels;

    /// <summary>Notification attempts so far, in delivery order.</summary>
    public IReadOnlyList<CalendarNotification> Notifications => _push.Deliveries;

    /// <summary>Waits (real time) until <paramref name="done"/> holds for the notifications attempted so far, or the timeout passes.</summary>
    public Task<IReadOnlyList<CalendarNotification>> WaitForNotificationsAsync(Func<IReadOnlyList<CalendarNotification>, bool> done, TimeSpan? timeout = null) =>
        _push.WaitForDeliveriesAsync(done, timeout ?? TimeSpan.FromSeconds(10));

    /// <summary>Imports an iCalendar text as Google's "Import" would shape it; never throws for a bad file, reports it.</summary>
    public IcsImportReport ImportIcs(string email, string ics, string? source = null) =>
        new IcsImporter(_store, _accountByEmail(email)).Import(ics, source ?? "calendar.ics");

    public ValueTask DisposeAsync() => _push.DisposeAsync();
}
