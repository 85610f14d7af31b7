using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NodaTime;

namespace CreatioGoogle.Sandbox.Google.Calendar;

/// <summary>How a write was asked for: the query parameters that change what is stored or recorded.</summary>
internal sealed record WriteOptions(string Method, string? SendUpdates, int ConferenceDataVersion, string? IfMatch);

/// <summary>
/// The primary calendars of every simulated account. Every change appends a version with a global sequence number;
/// sync tokens remember the sequence they were cut at, so an incremental list returns exactly what changed after it,
/// deletions included (as status "cancelled"). One lock guards everything: ordering matters more than throughput.
/// Writes follow the Event schema of calendar.v3.json; the listing half is in CalendarStore.Listing.cs.
/// </summary>
internal sealed partial class CalendarStore(TimeProvider clock, Action<string> changed)
{
    private static readonly string[] Writable =
    [
        "summary", "description", "location", "colorId", "start", "end", "endTimeUnspecified", "recurrence", "attendees",
        "attendeesOmitted", "extendedProperties", "reminders", "transparency", "visibility", "status", "guestsCanInviteOthers",
        "guestsCanModify", "guestsCanSeeOtherGuests", "anyoneCanAddSelf", "source", "attachments", "eventType", "privateCopy",
        "focusTimeProperties", "outOfOfficeProperties", "workingLocationProperties", "gadget",
    ];

    private readonly Lock _gate = new();
    private readonly Dictionary<string, CalendarData> _calendars = new(StringComparer.Ordinal);
    private readonly List<CalendarWrite> _writes = [];
    private long _seq;

    public TimeSpan SyncTokenLifetime { get; set; } = TimeSpan.FromDays(7);

    public TimeSpan UpdatedMinLimit { get; set; } = TimeSpan.FromDays(28);

    public TimeSpan RecurrenceHorizon { get; set; } = TimeSpan.FromDays(730);

    public int MaxInstancesPerSeries { get; set; } = 1000;

    public bool ShortPages { get; set; }

    public IReadOnlyList<CalendarWrite> Writes
    {
        get
        {
            lock (_gate)
            {
                return [.. _writes];
            }
        }
    }

    public CalendarData Calendar(SandboxAccount account)
    {
        lock (_gate)
        {
            return CalendarOf(account);
        }
    }

    public void SetTimeZone(SandboxAccount account, string timeZone)
    {
        if (EventTime.Zone(timeZone) is null)
        {
            throw new ArgumentException($"Unknown IANA time zone {timeZone}.", nameof(timeZone));
        }

        lock (_gate)
        {
            CalendarOf(account).TimeZone = timeZone;
        }
    }

    // ---- writes ------------------------------------------------------------------------------------------

    public JsonObject Insert(SandboxAccount account, JsonObject body, WriteOptions options, bool notify = true) =>
        Write(account, notify, cal =>
        {
            var id = body["id"]?.GetValue<string>();
            var iCalUid = body["iCalUID"]?.GetValue<string>();
            if (id is not null && iCalUid is not null)
            {
                // "the icalUID and the id are not identical and only one of them should be supplied at event creation time."
                throw CalendarApiError.BadRequest("Only one of id and iCalUID may be supplied when creating an event.");
            }

            if (body["recurringEventId"] is not null || body["originalStartTime"] is not null)
            {
                throw CalendarApiError.BadRequest("An instance of a recurring event cannot be inserted; update the instance instead.");
            }

            if (id is not null)
            {
                ValidateId(id);
                if (cal.Events.ContainsKey(id))
                {
                    // Also for a deleted event: its tombstone still holds the id.
                    throw CalendarApiError.Duplicate();
                }
            }

            if (iCalUid is not null && cal.Events.Values.Any(e => e.Latest.ICalUid == iCalUid && e.Latest.RecurringEventId is null))
            {
                throw CalendarApiError.Duplicate();
            }

            var eventType = body["eventType"]?.GetValue<string>() ?? "default";
            if (eventType is "fromGmail" or "birthday")
            {
                throw CalendarApiError.BadRequest($"Events of type {eventType} cannot be created.", reason: "eventTypeRestriction");
            }

            id ??= NewId();
            var resource = Build(cal, body, previous: null, options, organizer: null);
            resource["id"] = id;
            resource["iCalUID"] = iCalUid ?? id + "@google.com";
            resource["created"] = EventTime.FormatTimestamp(clock.GetUtcNow());
            Record(options, id, resource);
            return Commit(cal, id, resource);
        });

    /// <summary>events.import: a private copy of an existing event, matched by iCalUID (updated when it exists).</summary>
    public JsonObject Import(SandboxAccount account, JsonObject body, WriteOptions options, bool notify = true) =>
        Write(account, notify, cal => ImportLocked(cal, body, options));

    public JsonObject Update(SandboxAccount account, string eventId, JsonObject body, WriteOptions options, bool notify = true) =>
        Write(account, notify, cal => Replace(cal, eventId, options, current => body));

    public JsonObject Patch(SandboxAccount account, string eventId, JsonObject body, WriteOptions options, bool notify = true) =>
        Write(account, notify, cal => Replace(cal, eventId, options, current => Merge((JsonObject)current.DeepClone(), body)));

    public void Delete(SandboxAccount account, string eventId, WriteOptions options, bool notify = true) =>
        _ = Write(account, notify, cal =>
        {
            var current = Find(cal, eventId) ?? throw CalendarApiError.NotFound();
            CheckIfMatch(options.IfMatch, current.Etag);
            if (current.Cancelled)
            {
                throw CalendarApiError.Deleted();
            }

            Record(options, eventId, current.Resource);
            if (current.IsMaster)
            {
                // Deleting a series cancels its exceptions too: no instance of it remains.
                foreach (var exception in cal.ExceptionsOf(eventId).Where(e => !e.Cancelled).ToList())
                {
                    Commit(cal, exception.Id, Cancel(exception.Resource));
                }
            }

            return Commit(cal, eventId, Cancel(current.Resource));
        });

    /// <summary>Test-only: stores events as if created long ago; no counters, no notifications. Returns their ids.</summary>
    public IReadOnlyList<string> Seed(SandboxAccount account, IEnumerable<JsonObject> events)
    {
        var options = new WriteOptions("seed", null, 1, null);
        return [.. events.Select(e => (e["iCalUID"] is not null && e["id"] is null
            ? Import(account, e, options, notify: false)
            : Insert(account, e, options, notify: false))["id"]!.GetValue<string>())];
    }

    /// <summary>Test-only: the stored resource (latest version, cancelled ones included), or null.</summary>
    public JsonObject? Stored(SandboxAccount account, string eventId)
    {
        lock (_gate)
        {
            return CalendarOf(account).Events.TryGetValue(eventId, out var e) ? (JsonObject)e.Latest.Resource.DeepClone() : null;
        }
    }

    public IReadOnlyList<JsonObject> AllStored(SandboxAccount account)
    {
        lock (_gate)
        {
            return [.. CalendarOf(account).Events.Values.Select(e => (JsonObject)e.Latest.Resource.DeepClone())];
        }
    }

    private JsonObject ImportLocked(CalendarData cal, JsonObject body, WriteOptions options)
    {
        var iCalUid = body["iCalUID"]?.GetValue<string>();
        if (string.IsNullOrEmpty(iCalUid))
        {
            throw CalendarApiError.Required("Missing iCalUID.", "iCalUID");
        }

        var organizer = body["organizer"] as JsonObject;
        var master = cal.Events.Values.Select(e => e.Latest).FirstOrDefault(v => v.ICalUid == iCalUid && v.RecurringEventId is null);
        if (body["originalStartTime"] is JsonNode original)
        {
            // An exception of an imported series (an iCalendar RECURRENCE-ID): stored as the instance's override.
            if (master is null || !master.IsMaster)
            {
                throw CalendarApiError.BadRequest("The recurring event of this exception has not been imported.");
            }

            var originalStart = EventTime.Parse(original, "originalStartTime", recurring: false);
            var instanceId = master.Id + "_" + Recurrence.InstanceSuffix(originalStart);
            return Replace(cal, instanceId, options with { IfMatch = null }, _ => body, organizer);
        }

        if (master is not null)
        {
            return Replace(cal, master.Id, options with { IfMatch = null }, _ => body, organizer);
        }

        var id = NewId(iCalUid);
        var resource = Build(cal, body, previous: null, options, organizer);
        resource["id"] = id;
        resource["iCalUID"] = iCalUid;
        resource["created"] = EventTime.FormatTimestamp(clock.GetUtcNow());
        Record(options, id, resource);
        return Commit(cal, id, resource);
    }

    /// <summary>update/patch (and import of a known event): of a stored event, or of a not yet edited instance, which becomes an exception.</summary>
    private JsonObject Replace(CalendarData cal, string eventId, WriteOptions options, Func<JsonObject, JsonObject> newBody, JsonObject? organizer = null)
    {
        var current = Find(cal, eventId) ?? throw CalendarApiError.NotFound();
        CheckIfMatch(options.IfMatch, current.Etag);
        var body = newBody(current.Resource);
        if (body["id"]?.GetValue<string>() is { } bodyId && bodyId != eventId)
        {
            throw CalendarApiError.BadRequest("The event id in the body does not match the event id in the URL.");
        }

        if (body["eventType"]?.GetValue<string>() is { } type && type != current.EventType)
        {
            throw CalendarApiError.BadRequest("The event type cannot be changed.", reason: "eventTypeRestriction");
        }

        if (current.RecurringEventId is not null && body["recurrence"] is JsonArray { Count: > 0 })
        {
            throw CalendarApiError.BadRequest("An instance of a recurring event cannot have a recurrence.");
        }

        var resource = Build(cal, body, current, options, organizer);
        foreach (var immutable in new[] { "id", "iCalUID", "created", "recurringEventId", "originalStartTime" })
        {
            if (current.Resource[immutable] is { } value)
            {
                resource[immutable] = value.DeepClone();
            }
        }

        Record(options, eventId, resource);
        return Commit(cal, eventId, resource);
    }

    /// <summary>A stored resource from a request body: writable fields validated, read-only ones set by the server.</summary>
    private JsonObject Build(CalendarData cal, JsonObject body, EventVersion? previous, WriteOptions options, JsonObject? organizer)
    {
        var instance = previous?.RecurringEventId is not null;
        var recurrenceNode = instance ? null : body["recurrence"];
        var recurring = recurrenceNode is JsonArray { Count: > 0 };
        var start = EventTime.Parse(body["start"], "start", recurring);
        var end = EventTime.Parse(body["end"], "end", recurring);
        if (start.IsAllDay != end.IsAllDay)
        {
            throw CalendarApiError.BadRequest("The start and end times must both be dates or both be date-times.");
        }

        if (start.IsAllDay ? end.Date <= start.Date : end.Instant < start.Instant)
        {
            throw CalendarApiError.TimeRangeEmpty(start.IsAllDay ? "end.date" : "end.dateTime");
        }

        var recurrence = Recurrence.Validate(recurrenceNode, start, end);
        var resource = new JsonObject { ["kind"] = "calendar#event" };
        foreach (var field in Writable)
        {
            if (body[field] is { } value)
            {
                resource[field] = value.DeepClone();
            }
        }

        resource["start"] = start.ToJson(DateTimeZone.Utc);
        resource["end"] = end.ToJson(DateTimeZone.Utc);
        resource.Remove("recurrence");
        if (recurrence.Count > 0)
        {
            resource["recurrence"] = new JsonArray([.. recurrence.Select(l => (JsonNode)l)]);
        }

        var status = resource["status"]?.GetValue<string>() ?? "confirmed";
        if (status is not ("confirmed" or "tentative" or "cancelled"))
        {
            throw CalendarApiError.BadRequest($"Invalid value for status: {status}");
        }

        resource["status"] = status;
        resource["eventType"] = previous?.EventType ?? resource["eventType"]?.GetValue<string>() ?? "default";
        CheckEnum(resource, "transparency", "opaque", "transparent");
        CheckEnum(resource, "visibility", "default", "public", "private", "confidential");
        CheckExtendedProperties(resource["extendedProperties"]);
        CheckReminders(resource);

        // conferenceData persists only for clients that declare conferenceDataVersion=1 (on every change).
        if (options.ConferenceDataVersion == 1 && body["conferenceData"] is { } conference)
        {
            resource["conferenceData"] = conference.DeepClone();
        }
        else if (previous?.Resource["conferenceData"] is { } kept)
        {
            resource["conferenceData"] = kept.DeepClone();
        }

        var owner = new JsonObject { ["email"] = cal.Email, ["self"] = true };
        var organizerJson = (JsonObject?)(organizer ?? previous?.Resource["organizer"])?.DeepClone() ?? (JsonObject)owner.DeepClone();
        if (organizerJson["email"]?.GetValue<string>() is { } organizerEmail)
        {
            organizerJson["self"] = string.Equals(organizerEmail, cal.Email, StringComparison.OrdinalIgnoreCase);
            if (organizerJson["self"]!.GetValue<bool>() == false)
            {
                organizerJson.Remove("self");
            }
        }

        resource["organizer"] = organizerJson;
        resource["creator"] = previous?.Resource["creator"]?.DeepClone() ?? owner.DeepClone();
        resource["attendees"] = NormalizeAttendees(resource["attendees"], cal.Email, organizerJson["email"]?.GetValue<string>());
        if (resource["attendees"] is JsonArray { Count: 0 })
        {
            resource.Remove("attendees");
        }

        resource["reminders"] ??= new JsonObject { ["useDefault"] = true };

        var sequence = body["sequence"] is JsonValue s && s.TryGetValue<int>(out var given) ? given : (int?)null;
        var previousSequence = previous?.Resource["sequence"]?.GetValue<int>() ?? 0;
        if (sequence is { } requested && requested < previousSequence)
        {
            throw CalendarApiError.BadRequest("Invalid sequence value. The specified sequence number is below the current sequence number of the resource.", "sequence");
        }

        // Like RFC 5545 SEQUENCE: a change of time, recurrence or status is a significant revision.
        var significant = previous is not null && (!JsonNode.DeepEquals(previous.Resource["start"], resource["start"])
            || !JsonNode.DeepEquals(previous.Resource["end"], resource["end"])
            || !JsonNode.DeepEquals(previous.Resource["recurrence"], resource["recurrence"])
            || previous.Resource["status"]?.GetValue<string>() != status);
        resource["sequence"] = Math.Max(sequence ?? 0, previousSequence + (significant ? 1 : 0));
        return resource;
    }

    private static JsonArray NormalizeAttendees(JsonNode? node, string owner, string? organizer)
    {
        if (node is null)
        {
            return [];
        }

        if (node is not JsonArray array)
        {
            throw CalendarApiError.BadRequest("Invalid value for attendees.");
        }

        var result = new JsonArray();
        foreach (var item in array)
        {
            if (item is not JsonObject attendee)
            {
                throw CalendarApiError.BadRequest("Invalid attendee.");
            }

            var email = attendee["email"]?.GetValue<string>();
            if (string.IsNullOrWhiteSpace(email) || !email.Contains('@', StringComparison.Ordinal))
            {
                throw CalendarApiError.Required("Missing attendee email.");
            }

            var copy = (JsonObject)attendee.DeepClone();
            var response = copy["responseStatus"]?.GetValue<string>() ?? "needsAction";
            if (response is not ("needsAction" or "declined" or "tentative" or "accepted"))
            {
                throw CalendarApiError.BadRequest($"Invalid attendee responseStatus: {response}");
            }

            copy["responseStatus"] = response;
            copy.Remove("self");
            copy.Remove("organizer");
            if (string.Equals(email, owner, StringComparison.OrdinalIgnoreCase))
            {
                copy["self"] = true;
            }

            if (string.Equals(email, organizer, StringComparison.OrdinalIgnoreCase))
            {
                copy["organizer"] = true;
            }

            result.Add(copy);
        }

        return result;
    }

    private static void CheckEnum(JsonObject resource, string field, params string[] allowed)
    {
        if (resource[field] is { } value && (value is not JsonValue v || !v.TryGetValue<string>(out var s) || !allowed.Contains(s)))
        {
            throw CalendarApiError.BadRequest($"Invalid value for {field}.");
        }
    }

    private static void CheckExtendedProperties(JsonNode? node)
    {
        if (node is null)
        {
            return;
        }

        if (node is not JsonObject props)
        {
            throw CalendarApiError.BadRequest("Invalid value for extendedProperties.");
        }

        foreach (var (name, map) in props)
        {
            if (name is not ("private" or "shared") || map is not JsonObject values
                || values.Any(kv => kv.Value is not JsonValue v || !v.TryGetValue<string>(out _)))
            {
                throw CalendarApiError.BadRequest("Invalid value for extendedProperties: private and shared are maps of strings.");
            }
        }
    }

    private static void CheckReminders(JsonObject resource)
    {
        if (resource["reminders"]?["overrides"] is not JsonArray overrides)
        {
            return;
        }

        if (overrides.Count > 5)
        {
            throw CalendarApiError.BadRequest("The maximum number of override reminders is 5.", reason: "cannotUseDefaultRemindersAndSpecifyOverride");
        }

        if (overrides.Any(o => o?["minutes"] is not JsonValue m || !m.TryGetValue<int>(out var minutes) || minutes is < 0 or > 40320))
        {
            throw CalendarApiError.BadRequest("Reminder minutes must be between 0 and 40320.");
        }
    }

    private static JsonObject Cancel(JsonObject resource)
    {
        var cancelled = (JsonObject)resource.DeepClone();
        cancelled["status"] = "cancelled";
        return cancelled;
    }

    /// <summary>Patch semantics: objects merge recursively, arrays and values replace, null clears.</summary>
    private static JsonObject Merge(JsonObject target, JsonObject patch)
    {
        foreach (var (name, value) in patch)
        {
            if (value is null)
            {
                target.Remove(name);
            }
            else if (value is JsonObject obj && target[name] is JsonObject existing)
            {
                Merge(existing, obj);
            }
            else
            {
                target[name] = value.DeepClone();
            }
        }

        return target;
    }

    private static void CheckIfMatch(string? ifMatch, string etag)
    {
        if (ifMatch is not null && ifMatch != "*" && ifMatch != etag)
        {
            throw CalendarApiError.ConditionNotMet();
        }
    }

    private static void ValidateId(string id)
    {
        if (!IdPattern().IsMatch(id))
        {
            // "characters allowed in the ID are those used in base32hex encoding ... length between 5 and 1024".
            throw CalendarApiError.BadRequest("Invalid resource id value.", reason: "invalid");
        }
    }

    private void Record(WriteOptions options, string id, JsonObject resource)
    {
        if (!options.Method.StartsWith("calendar.", StringComparison.Ordinal))
        {
            return; // Seeds, imports and "user" edits are not API writes of the client under test.
        }

        _writes.Add(new CalendarWrite(options.Method, id, options.SendUpdates, (resource["attendees"] as JsonArray)?.Count ?? 0));
    }

    private T Write<T>(SandboxAccount account, bool notify, Func<CalendarData, T> action)
    {
        T result;
        lock (_gate)
        {
            result = action(CalendarOf(account));
        }

        if (notify)
        {
            changed(account.Sub);
        }

        return result;
    }

    /// <summary>Stores a new version with a new etag and updated time; returns it as the API answers it.</summary>
    private JsonObject Commit(CalendarData cal, string id, JsonObject resource)
    {
        var now = clock.GetUtcNow();
        var seq = ++_seq;
        resource["id"] = id;
        resource["etag"] = "\"" + ((now.ToUnixTimeMilliseconds() * 1000 * 1000) + (seq % 1_000_000)).ToString(CultureInfo.InvariantCulture) + "\"";
        resource["updated"] = EventTime.FormatTimestamp(now);
        resource["htmlLink"] = "https://www.google.com/calendar/event?eid=" + Convert.ToBase64String(Encoding.UTF8.GetBytes(id + " " + cal.Email)).TrimEnd('=');
        var version = ToVersion(seq, resource, now);
        if (!cal.Events.TryGetValue(id, out var stored))
        {
            cal.Events[id] = stored = new StoredEvent(id);
        }

        stored.Versions.Add(version);
        if (version.RecurringEventId is { } master)
        {
            if (!cal.ExceptionsByMaster.TryGetValue(master, out var ids))
            {
                cal.ExceptionsByMaster[master] = ids = new HashSet<string>(StringComparer.Ordinal);
            }

            ids.Add(id);
        }

        cal.LastChangeSeq = seq;
        cal.LastChange = now;
        return Render(version, cal.Zone, maxAttendees: null, minimal: false);
    }

    private static EventVersion ToVersion(long seq, JsonObject resource, DateTimeOffset updated)
    {
        var start = resource["start"] is { } s ? EventTime.Parse(s, "start", recurring: false) : null;
        var end = resource["end"] is { } e ? EventTime.Parse(e, "end", recurring: false) : null;
        var original = resource["originalStartTime"] is { } o ? EventTime.Parse(o, "originalStartTime", recurring: false) : null;
        var recurrence = (resource["recurrence"] as JsonArray)?.Select(l => l!.GetValue<string>()).ToList() ?? [];
        return new EventVersion(seq, resource, start, end, original, recurrence, updated);
    }

    private CalendarData CalendarOf(SandboxAccount account)
    {
        if (!_calendars.TryGetValue(account.Sub, out var cal))
        {
            _calendars[account.Sub] = cal = new CalendarData(account.Sub, account.Email);
        }

        return cal;
    }

    /// <summary>Server-generated ids: 26 base32hex characters, like a UUID's 128 bits.</summary>
    private static string NewId() => Base32Hex(RandomNumberGenerator.GetBytes(16));

    /// <summary>Imported events get an id derived from their iCalUID, so importing the same file twice updates, never duplicates.</summary>
    private static string NewId(string iCalUid) => Base32Hex(SHA256.HashData(Encoding.UTF8.GetBytes(iCalUid))[..16]);

    private static string Base32Hex(byte[] bytes)
    {
        const string alphabet = "0123456789abcdefghijklmnopqrstuv";
        var sb = new StringBuilder();
        var buffer = 0;
        var bits = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                sb.Append(alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            sb.Append(alphabet[(buffer << (5 - bits)) & 31]);
        }

        return sb.ToString();
    }

    [GeneratedRegex("^[a-v0-9]{5,1024}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}
