using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CreatioGoogle.Broker.Creatio;
using CreatioGoogle.Broker.Google.Calendar;

namespace CreatioGoogle.Broker.Sync.Calendar;

/// <summary>
/// Google event ⇄ Creatio meeting, both directions, pure (the address book was filled before). Fields: summary ⇄ Title,
/// description ⇄ Notes, location ⇄ Location, start/end ⇄ StartDate/DueDate, attendees ⇄ ActivityParticipant (contacts) and
/// Recepient (addresses no contact has). An all-day event (dates, exclusive end) is, in Creatio, a meeting from 00:00 on its
/// first day to 23:59 on its last, in the calendar's zone: a meeting Creatio holds that way is all-day in Google, so both
/// directions give back what they got.
/// </summary>
internal static partial class MeetingMapping
{
    /// <summary>The Creatio id on the Google copy: private (this calendar's copy) and shared (attendees' copies, to link them).</summary>
    public const string StampKey = "creatioActivityId";

    private static readonly TimeSpan LastMinute = new(23, 59, 0);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    // ---- reading ----------------------------------------------------------------------------------------------

    public static MeetingFields FromGoogle(CalendarEvent ev, CalendarAddressBook book)
    {
        ArgumentNullException.ThrowIfNull(ev);
        var fields = new MeetingFields
        {
            Title = MeetingFields.TitleOf(ev.Summary),
            Description = MeetingFields.MultilineOf(ev.Description),
            Location = MeetingFields.TextOf(ev.Location),
            Attendees = MeetingFields.AttendeeSet((ev.Attendees ?? []).Where(a => !string.IsNullOrWhiteSpace(a.Email))
                .Select(a => new MeetingAttendee(book.CanonicalOfEmail(a.Email!), ResponseOf(a.ResponseStatus)))),
        };
        if (ev.Start?.Date is { } startDate && DateOnly.TryParseExact(startDate, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var startDay))
        {
            var endDay = ev.End?.Date is { } endDate && DateOnly.TryParseExact(endDate, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var e) && e > startDay
                ? e
                : startDay.AddDays(1); // an all-day event lasts at least its day
            return fields with { AllDay = true, StartDay = startDay, EndDay = endDay };
        }

        var start = MeetingFields.Second(ev.Start?.DateTime ?? ev.OriginalStartTime?.DateTime ?? DateTimeOffset.UnixEpoch);
        var end = ev.End?.DateTime is { } endTime && MeetingFields.Second(endTime) >= start ? MeetingFields.Second(endTime) : start;
        return fields with { Start = start, End = end };
    }

    public static MeetingFields FromCreatio(CreatioMeeting meeting, TimeZoneInfo zone, CalendarAddressBook book)
    {
        ArgumentNullException.ThrowIfNull(meeting);
        var row = meeting.Row;
        var participants = meeting.Participants
            .Select(p => (Email: book.CanonicalOfContact(p.ContactId), p.InviteResponseId))
            .Where(p => p.Email is not null)
            .Select(p => new MeetingAttendee(p.Email!, ActivityLookups.ResponseOf(p.InviteResponseId)));
        var fields = new MeetingFields
        {
            Title = MeetingFields.TitleOf(row.GetText("Title")),
            Description = MeetingFields.MultilineOf(row.GetText("Notes")),
            Location = MeetingFields.TextOf(row.GetText("Location")),
            Attendees = MeetingFields.AttendeeSet(participants.Concat(ParseRecipients(row.GetText("Recepient")).Select(a => a with { Email = book.CanonicalOfEmail(a.Email) }))),
        };
        var start = MeetingFields.Second(row.GetDateTime("StartDate") ?? DateTimeOffset.UnixEpoch);
        var due = row.GetDateTime("DueDate") is { } d && MeetingFields.Second(d) >= start ? MeetingFields.Second(d) : start;
        var localStart = TimeZoneInfo.ConvertTime(start, zone);
        var localDue = TimeZoneInfo.ConvertTime(due, zone);
        if (localStart.TimeOfDay == TimeSpan.Zero && localDue.TimeOfDay >= LastMinute && localDue.Date >= localStart.Date)
        {
            // 00:00 on the first day to 23:59 on the last: Creatio's whole days, Google's all-day event.
            return fields with { AllDay = true, StartDay = DateOnly.FromDateTime(localStart.Date), EndDay = DateOnly.FromDateTime(localDue.Date).AddDays(1) };
        }

        return fields with { Start = start, End = due };
    }

    public static AttendeeResponse ResponseOf(string? googleStatus) => googleStatus switch
    {
        "accepted" => AttendeeResponse.Accepted,
        "declined" => AttendeeResponse.Declined,
        "tentative" => AttendeeResponse.Tentative,
        _ => AttendeeResponse.NeedsAction,
    };

    public static string GoogleStatusOf(AttendeeResponse response) => response switch
    {
        AttendeeResponse.Accepted => "accepted",
        AttendeeResponse.Declined => "declined",
        AttendeeResponse.Tentative => "tentative",
        _ => "needsAction",
    };

    /// <summary>The Creatio id a Google event carries: its own copy's private stamp, else the shared one (an invitation's).</summary>
    public static string? StampOf(CalendarEvent ev) =>
        ev.ExtendedProperties?.Private?.GetValueOrDefault(StampKey) ?? ev.ExtendedProperties?.Shared?.GetValueOrDefault(StampKey);

    // ---- Creatio writes ---------------------------------------------------------------------------------------

    /// <summary>
    /// The columns a sync writes on a Creatio meeting: title, times, place, notes and the attendees no contact has (in
    /// <c>Recepient</c>, listed as Creatio lists addresses). Owner, organizer and status are never among them.
    /// </summary>
    public static JsonObject CreatioColumns(MeetingFields fields, TimeZoneInfo zone, CalendarAddressBook book)
    {
        DateTimeOffset start, due;
        if (fields.AllDay)
        {
            start = UtcOf(fields.StartDay.ToDateTime(TimeOnly.MinValue), zone);
            due = UtcOf(fields.EndDay.AddDays(-1).ToDateTime(TimeOnly.FromTimeSpan(LastMinute)), zone);
        }
        else
        {
            (start, due) = (fields.Start, fields.End);
        }

        return new JsonObject
        {
            ["Title"] = fields.Title,
            ["StartDate"] = CreatioFilter.Literal(start),
            ["DueDate"] = CreatioFilter.Literal(due),
            ["DurationInMinutes"] = (int)Math.Round((due - start).TotalMinutes),
            ["Location"] = fields.Location,
            ["Notes"] = fields.Description,
            ["Recepient"] = FormatRecipients(fields.Attendees.Where(a => book.ContactOf(a.Email) is null)),
        };
    }

    /// <summary>The attendees that are Creatio contacts, as participant rows want them (with the canonical address they were matched by).</summary>
    public static IReadOnlyList<(string Email, Guid ContactId, Guid InviteResponseId)> Participants(MeetingFields fields, CalendarAddressBook book) =>
        [.. fields.Attendees.Select(a => (a.Email, Contact: book.ContactOf(a.Email), a.Response)).Where(p => p.Contact is not null)
            .Select(p => (p.Email, p.Contact!.Value, ActivityLookups.InviteResponseOf(p.Response))).DistinctBy(p => p.Item2)];

    /// <summary>Attendees Google lists that no contact has: <c>ann@example.com; bob@example.com (accepted)</c>.</summary>
    public static string FormatRecipients(IEnumerable<MeetingAttendee> attendees) =>
        string.Join("; ", attendees.OrderBy(a => a.Email, StringComparer.Ordinal)
            .Select(a => a.Response == AttendeeResponse.NeedsAction ? a.Email : $"{a.Email} ({GoogleStatusOf(a.Response)})"));

    /// <summary>Reads <see cref="FormatRecipients"/> back, and whatever a user typed there: addresses separated by ';' or ','.</summary>
    public static IEnumerable<MeetingAttendee> ParseRecipients(string? text)
    {
        foreach (var entry in (text ?? "").Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (AddressPattern().Match(entry) is { Success: true } address)
            {
                var status = StatusPattern().Match(entry);
                yield return new MeetingAttendee(CalendarAddressBook.Normalize(address.Value), status.Success ? ResponseOf(status.Groups[1].Value) : AttendeeResponse.NeedsAction);
            }
        }
    }

    // ---- Google writes ----------------------------------------------------------------------------------------

    /// <summary>
    /// The fields a sync writes on a Google event. Attendees are sent whole (patch replaces the array): an attendee Google
    /// already has keeps its entry (its address as Google knows it, name, optional flag...) with the answer from Creatio;
    /// the organizer's entry is never removed. Timed events keep the zone the event has (else the calendar's).
    /// </summary>
    public static JsonObject GoogleFields(MeetingFields fields, string zoneName, CalendarEvent? current, CalendarAddressBook book)
    {
        var body = new JsonObject
        {
            // An event without a title reads as "(No title)"; it stays without one in Google unless the title really changed.
            ["summary"] = fields.Title == MeetingFields.NoTitle && string.IsNullOrWhiteSpace(current?.Summary) && current is not null ? current.Summary ?? "" : fields.Title,
            ["description"] = fields.Description,
            ["location"] = fields.Location,
        };
        if (fields.AllDay)
        {
            body["start"] = new JsonObject { ["date"] = fields.StartDay.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) };
            body["end"] = new JsonObject { ["date"] = fields.EndDay.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) };
        }
        else
        {
            var zone = current?.Start?.TimeZone ?? zoneName;
            body["start"] = new JsonObject { ["dateTime"] = Rfc3339(fields.Start), ["timeZone"] = zone };
            body["end"] = new JsonObject { ["dateTime"] = Rfc3339(fields.End), ["timeZone"] = current?.End?.TimeZone ?? zone };
        }

        var existing = (current?.Attendees ?? []).Where(a => !string.IsNullOrWhiteSpace(a.Email)).ToList();
        var attendees = new JsonArray();
        foreach (var wanted in fields.Attendees)
        {
            var entry = existing.FirstOrDefault(a => book.CanonicalOfEmail(a.Email!) == wanted.Email) is { } known
                ? (JsonObject)JsonSerializer.SerializeToNode(known, Json)!
                : new JsonObject { ["email"] = wanted.Email };
            entry["responseStatus"] = GoogleStatusOf(wanted.Response);
            attendees.Add(entry);
        }

        foreach (var organizer in existing.Where(a => a.Organizer == true && !fields.Attendees.Any(w => w.Email == book.CanonicalOfEmail(a.Email!))))
        {
            attendees.Add(JsonSerializer.SerializeToNode(organizer, Json));
        }

        if (attendees.Count > 0 || existing.Count > 0)
        {
            body["attendees"] = attendees;
        }

        return body;
    }

    private static string Rfc3339(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A local time in <paramref name="zone"/> as UTC; a time the clocks skip (DST) moves forward to the first that exists.</summary>
    private static DateTimeOffset UtcOf(DateTime local, TimeZoneInfo zone)
    {
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(unspecified))
        {
            unspecified = unspecified.AddMinutes(30);
        }

        return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(unspecified, zone), TimeSpan.Zero);
    }

    [GeneratedRegex(@"[^\s<>;,()""]+@[^\s<>;,()""]+", RegexOptions.CultureInvariant)]
    private static partial Regex AddressPattern();

    [GeneratedRegex(@"\((accepted|declined|tentative|needsAction)\)", RegexOptions.CultureInvariant)]
    private static partial Regex StatusPattern();
}
