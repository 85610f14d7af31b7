using System.Globalization;
using System.Text.Json.Nodes;
using Ical.Net;
using Ical.Net.CalendarComponents;
using Ical.Net.DataTypes;
using Ical.Net.Serialization;
using NodaTime;

namespace CreatioGoogle.Sandbox.Google.Calendar;

/// <summary>What an iCalendar import loaded, and what it skipped with the reason. A broken file is a report, never an exception.</summary>
public sealed record IcsImportReport(
    string Source,
    int EventsLoaded,
    int ExceptionsLoaded,
    int CancelledInstances,
    IReadOnlyList<string> EventIds,
    IReadOnlyList<IcsSkip> Skipped,
    IReadOnlyList<string> Notes)
{
    /// <summary>True when the file as a whole could not be read (nothing was loaded from it).</summary>
    public bool FileRejected => Skipped.Any(s => s.Component == "file");
}

/// <summary>One component (or the whole file) that was not loaded.</summary>
public sealed record IcsSkip(string Component, string Reason);

/// <summary>
/// Loads an iCalendar file into the sandbox calendar the way Google Calendar's "Import" shapes it (through the same
/// code path as events.import): each VEVENT becomes an event keyed by its UID (re-importing updates, never
/// duplicates); DATE values become all-day events with an exclusive end; TZIDs become IANA timeZone names (floating
/// times are placed in the calendar's zone); RRULE/EXRULE/RDATE lines are kept in <c>recurrence</c>; each
/// RECURRENCE-ID override becomes an exception of its instance; each EXDATE becomes a cancelled instance (what
/// deleting one occurrence leaves behind). No DTEND: a date lasts one day, a date-time is zero-length (RFC 5545 §3.6.1).
/// Imports send no push notifications: they stand for data that was there before the test.
/// </summary>
internal sealed class IcsImporter(CalendarStore store, SandboxAccount account)
{
    private static readonly WriteOptions Options = new("import", null, 1, null);

    private readonly List<string> _ids = [];
    private readonly List<IcsSkip> _skipped = [];
    private readonly List<string> _notes = [];
    private int _events;
    private int _exceptions;
    private int _cancelled;

    public IcsImportReport Import(string ics, string source)
    {
        CalendarCollection calendars;
        try
        {
            calendars = CalendarCollection.Load(ics);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _skipped.Add(new IcsSkip("file", $"not readable as iCalendar: {e.GetType().Name}: {e.Message}"));
            return Report(source);
        }

        if (calendars.Count == 0)
        {
            _skipped.Add(new IcsSkip("file", "no VCALENDAR in the file"));
            return Report(source);
        }

        var zone = store.Calendar(account).Zone;
        foreach (var calendar in calendars)
        {
            foreach (var todo in calendar.Todos)
            {
                _skipped.Add(new IcsSkip($"VTODO {todo.Uid}", "not an event: Google Calendar imports only VEVENTs"));
            }

            foreach (var journal in calendar.Journals)
            {
                _skipped.Add(new IcsSkip($"VJOURNAL {journal.Uid}", "not an event: Google Calendar imports only VEVENTs"));
            }

            foreach (var freeBusy in calendar.FreeBusy)
            {
                _skipped.Add(new IcsSkip($"VFREEBUSY {freeBusy.Uid}", "not an event: Google Calendar imports only VEVENTs"));
            }

            var events = calendar.Events.ToList();
            var masters = new HashSet<string>(StringComparer.Ordinal);
            foreach (var evt in events.Where(e => e.RecurrenceIdentifier is null))
            {
                if (!masters.Add(evt.Uid ?? ""))
                {
                    _skipped.Add(new IcsSkip(Name(evt), "a second VEVENT with the same UID and no RECURRENCE-ID"));
                    continue;
                }

                Guard(evt, () => ImportEvent(evt, zone));
            }

            foreach (var evt in events.Where(e => e.RecurrenceIdentifier is not null))
            {
                Guard(evt, () => ImportException(evt, zone, masters));
            }
        }

        if (calendars.SelectMany(c => c.Events).Any(e => e.Alarms.Count > 0))
        {
            _notes.Add("VALARM reminders are not imported; events use the calendar's default reminders.");
        }

        return Report(source);
    }

    private void ImportEvent(CalendarEvent evt, DateTimeZone calendarZone)
    {
        var lines = RecurrenceLines(evt);
        var body = Body(evt, calendarZone, recurring: lines.Count > 0);
        if (lines.Count > 0)
        {
            body["recurrence"] = new JsonArray([.. lines.Select(l => (JsonNode)l)]);
        }

        var imported = store.Import(account, body, Options, notify: false);
        var id = imported["id"]!.GetValue<string>();
        _ids.Add(id);
        _events++;

        var start = EventTime.Parse(body["start"], "start", recurring: false);
        foreach (var exdate in evt.ExceptionDates.GetAllDates())
        {
            var original = Time(exdate, calendarZone, start.TimeZone, recurring: false);
            var instanceId = id + "_" + Recurrence.InstanceSuffix(EventTime.Parse(original, "EXDATE", recurring: false));
            try
            {
                store.Delete(account, instanceId, Options, notify: false);
                _cancelled++;
            }
            catch (CalendarApiError e) when (e.Code is 404 or 410)
            {
                _notes.Add($"{Name(evt)}: EXDATE {exdate} is not an occurrence of the series; ignored.");
            }
        }
    }

    private void ImportException(CalendarEvent evt, DateTimeZone calendarZone, HashSet<string> masters)
    {
        if (!masters.Contains(evt.Uid ?? ""))
        {
            _skipped.Add(new IcsSkip(Name(evt), "RECURRENCE-ID without its recurring VEVENT in the file"));
            return;
        }

        if (evt.RecurrenceIdentifier!.Range == RecurrenceRange.ThisAndFuture)
        {
            _notes.Add($"{Name(evt)}: RANGE=THISANDFUTURE is imported as an override of that one instance only.");
        }

        var masterStart = store.Stored(account, MasterId(evt.Uid!))?["start"];
        var masterZone = masterStart?["timeZone"]?.GetValue<string>();
        var body = Body(evt, calendarZone, recurring: false);
        body["originalStartTime"] = Time(evt.RecurrenceIdentifier.StartTime, calendarZone, masterZone, recurring: false);
        body.Remove("recurrence");
        if (evt.Status?.Equals(EventStatus.Cancelled, StringComparison.OrdinalIgnoreCase) == true)
        {
            var original = EventTime.Parse(body["originalStartTime"], "RECURRENCE-ID", recurring: false);
            store.Delete(account, MasterId(evt.Uid!) + "_" + Recurrence.InstanceSuffix(original), Options, notify: false);
            _cancelled++;
            return;
        }

        store.Import(account, body, Options, notify: false);
        _exceptions++;
    }

    /// <summary>The master's id as the store derives it from the UID; found again through the stored events.</summary>
    private string MasterId(string uid) =>
        store.AllStored(account).First(e => e["iCalUID"]?.GetValue<string>() == uid && e["recurringEventId"] is null)["id"]!.GetValue<string>();

    private JsonObject Body(CalendarEvent evt, DateTimeZone calendarZone, bool recurring)
    {
        var dtStart = evt.DtStart ?? throw new IcsComponentException("no DTSTART");
        var start = Time(dtStart, calendarZone, null, recurring);
        var startZone = start["timeZone"]?.GetValue<string>();
        JsonObject end;
        if (evt.DtEnd is { } dtEnd)
        {
            end = Time(dtEnd, calendarZone, startZone, recurring);
        }
        else if (evt.Duration is { } duration)
        {
            if (duration.Sign < 0)
            {
                throw new IcsComponentException($"negative DURATION {duration}");
            }

            end = Time(dtStart.Add(duration), calendarZone, startZone, recurring);
        }
        else
        {
            // RFC 5545 §3.6.1: a DATE start without end lasts one day; a DATE-TIME start without end ends when it starts.
            end = Time(dtStart.HasTime ? dtStart : dtStart.AddDays(1), calendarZone, startZone, recurring);
        }

        if (!dtStart.HasTime && end["date"]?.GetValue<string>() is { } endDate && string.CompareOrdinal(endDate, start["date"]!.GetValue<string>()) <= 0)
        {
            _notes.Add($"{Name(evt)}: DTEND not after DTSTART for an all-day event; imported as one day.");
            end = Time(dtStart.AddDays(1), calendarZone, startZone, recurring);
        }

        if (dtStart.HasTime != (evt.DtEnd?.HasTime ?? dtStart.HasTime))
        {
            throw new IcsComponentException("DTSTART and DTEND are not both dates or both date-times");
        }

        var body = new JsonObject
        {
            ["iCalUID"] = evt.Uid,
            ["start"] = start,
            ["end"] = end,
            ["sequence"] = evt.Sequence,
        };
        Set(body, "summary", evt.Summary);
        Set(body, "description", evt.Description);
        Set(body, "location", evt.Location);
        body["status"] = evt.Status?.ToUpperInvariant() switch
        {
            "TENTATIVE" => "tentative",
            "CANCELLED" => "cancelled",
            _ => "confirmed",
        };
        if (string.Equals(evt.Transparency, "TRANSPARENT", StringComparison.OrdinalIgnoreCase))
        {
            body["transparency"] = "transparent";
        }

        if (Email(evt.Organizer?.Value) is { } organizer)
        {
            body["organizer"] = Person(organizer, evt.Organizer!.CommonName);
        }

        var attendees = new JsonArray();
        foreach (var attendee in evt.Attendees)
        {
            if (Email(attendee.Value) is not { } email)
            {
                _notes.Add($"{Name(evt)}: attendee {attendee.Value} has no e-mail address; left out.");
                continue;
            }

            var json = Person(email, attendee.CommonName);
            json["responseStatus"] = attendee.ParticipationStatus?.ToUpperInvariant() switch
            {
                "ACCEPTED" => "accepted",
                "DECLINED" => "declined",
                "TENTATIVE" => "tentative",
                _ => "needsAction",
            };
            if (string.Equals(attendee.Role, "OPT-PARTICIPANT", StringComparison.OrdinalIgnoreCase))
            {
                json["optional"] = true;
            }

            attendees.Add(json);
        }

        if (attendees.Count > 0)
        {
            body["attendees"] = attendees;
        }

        return body;
    }

    /// <summary>
    /// An EventDateTime for an iCalendar value: DATE → <c>date</c>; UTC → <c>dateTime</c> with Z; TZID → local time
    /// with the IANA zone it names; floating → local time in <paramref name="fallbackZone"/> or the calendar's zone.
    /// </summary>
    private static JsonObject Time(CalDateTime value, DateTimeZone calendarZone, string? fallbackZone, bool recurring)
    {
        if (!value.HasTime)
        {
            return new JsonObject { ["date"] = value.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) };
        }

        var local = value.Value.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        if (value.IsUtc)
        {
            var utc = new JsonObject { ["dateTime"] = local + "Z" };
            if (recurring)
            {
                utc["timeZone"] = fallbackZone ?? "UTC";
            }

            return utc;
        }

        string zoneName;
        if (value.IsFloating)
        {
            zoneName = fallbackZone ?? calendarZone.Id;
        }
        else
        {
            zoneName = DefaultTimeZoneResolver.GetZone(value.TzId) is { } zone && EventTime.Zone(zone.Id) is not null
                ? zone.Id
                : throw new IcsComponentException($"time zone '{value.TzId}' has no IANA equivalent");
        }

        return new JsonObject { ["dateTime"] = local, ["timeZone"] = zoneName };
    }

    /// <summary>RRULE, EXRULE and RDATE lines as Ical.Net writes them back (EXDATEs become cancelled instances instead).</summary>
    private static List<string> RecurrenceLines(CalendarEvent evt)
    {
        var text = new EventSerializer().SerializeToString(evt) ?? "";
        var unfolded = text.Replace("\r\n ", "", StringComparison.Ordinal).Replace("\r\n\t", "", StringComparison.Ordinal);
        return [.. unfolded.Split("\r\n").Where(l => l.StartsWith("RRULE", StringComparison.Ordinal) || l.StartsWith("EXRULE", StringComparison.Ordinal) || l.StartsWith("RDATE", StringComparison.Ordinal))];
    }

    private void Guard(CalendarEvent evt, Action import)
    {
        try
        {
            import();
        }
        catch (IcsComponentException e)
        {
            _skipped.Add(new IcsSkip(Name(evt), e.Message));
        }
        catch (CalendarApiError e)
        {
            _skipped.Add(new IcsSkip(Name(evt), $"refused like Google would ({e.Code} {e.Reason}): {e.Message}"));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _skipped.Add(new IcsSkip(Name(evt), $"{e.GetType().Name}: {e.Message}"));
        }
    }

    private static JsonObject Person(string email, string? name)
    {
        var json = new JsonObject { ["email"] = email };
        Set(json, "displayName", name);
        return json;
    }

    private static string? Email(Uri? value)
    {
        if (value is null)
        {
            return null;
        }

        var text = value.Scheme.Equals("mailto", StringComparison.OrdinalIgnoreCase) ? Uri.UnescapeDataString(value.OriginalString[7..]) : null;
        return text is not null && text.Contains('@', StringComparison.Ordinal) ? text.Trim() : null;
    }

    private static void Set(JsonObject json, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            json[name] = value;
        }
    }

    private static string Name(CalendarEvent evt) =>
        "VEVENT " + (evt.Uid ?? "(no UID)") + (evt.RecurrenceIdentifier is { } r ? $" RECURRENCE-ID {r.StartTime}" : "");

    private IcsImportReport Report(string source) => new(source, _events, _exceptions, _cancelled, [.. _ids], [.. _skipped], [.. _notes]);

    private sealed class IcsComponentException(string message) : Exception(message);
}
