using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Ical.Net.CalendarComponents;
using NodaTime;

namespace CreatioGoogle.Sandbox.Google.Calendar;

/// <summary>
/// A recurring event's <c>recurrence[]</c> lines (RRULE, EXRULE, RDATE, EXDATE as in RFC 5545) expanded into
/// occurrences by Ical.Net, in the zone of the event's start (Google: "the time zone in which the recurrence is
/// expanded"). The lines are parsed by wrapping them in a one-event VCALENDAR, so every RFC 5545 form Ical.Net
/// understands (TZID parameters, VALUE=DATE, lists) is accepted, and nothing else.
/// </summary>
internal static partial class Recurrence
{
    private static readonly ConcurrentDictionary<string, CalendarEvent> Parsed = new(StringComparer.Ordinal);

    /// <summary>One occurrence: its original start (what identifies it) and its end.</summary>
    public readonly record struct Occurrence(EventTime Start, EventTime End);

    /// <summary>The lines as stored, or a 400 for anything Google would refuse (DTSTART lines, unknown properties, bad rules).</summary>
    public static IReadOnlyList<string> Validate(JsonNode? node, EventTime start, EventTime end)
    {
        if (node is null)
        {
            return [];
        }

        if (node is not JsonArray array)
        {
            throw CalendarApiError.BadRequest("Invalid recurrence rule.");
        }

        var lines = new List<string>(array.Count);
        foreach (var item in array)
        {
            var line = item is JsonValue v && v.TryGetValue<string>(out var s) ? s.Trim() : null;
            if (line is null || !LinePattern().IsMatch(line))
            {
                // "Note that DTSTART and DTEND lines are not allowed in this field."
                throw CalendarApiError.BadRequest("Invalid recurrence rule.");
            }

            lines.Add(line);
        }

        if (lines.Count == 0)
        {
            return lines;
        }

        try
        {
            // Parse and take one occurrence now, so a malformed rule is a 400 at write time, not a failure on every list.
            _ = Expand(start, end, lines, DateTimeZone.Utc, from: null, before: null, max: 1);
        }
        catch (CalendarApiError)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw CalendarApiError.BadRequest("Invalid recurrence rule.");
        }

        return lines;
    }

    /// <summary>
    /// Occurrences, in order, that end after <paramref name="from"/> and start before <paramref name="before"/>,
    /// at most <paramref name="max"/>. All-day occurrences are dates; timed ones keep the master's zone.
    /// </summary>
    public static IReadOnlyList<Occurrence> Expand(
        EventTime start, EventTime end, IReadOnlyList<string> lines, DateTimeZone calendarZone, Instant? from, Instant? before, int max)
    {
        var evt = Parsed.GetOrAdd(Key(start, end, lines), _ => Build(start, end, lines));
        if (Parsed.Count > 10_000)
        {
            Parsed.Clear();
        }

        var duration = end.ToInstant(calendarZone) - start.ToInstant(calendarZone);
        var result = new List<Occurrence>();
        foreach (var occurrence in evt.GetOccurrences())
        {
            var startTime = occurrence.Period.StartTime;
            EventTime occurrenceStart, occurrenceEnd;
            if (start.IsAllDay)
            {
                var date = startTime.Date;
                occurrenceStart = new EventTime(date, null, start.TimeZone);
                occurrenceEnd = new EventTime(date.AddDays(end.Date!.Value.DayNumber - start.Date!.Value.DayNumber), null, end.TimeZone);
            }
            else
            {
                var instant = NodaTime.Instant.FromDateTimeUtc(startTime.AsUtc);
                occurrenceStart = new EventTime(null, instant, start.TimeZone);
                occurrenceEnd = new EventTime(null, instant + duration, end.TimeZone ?? start.TimeZone);
            }

            if (before is { } b && occurrenceStart.ToInstant(calendarZone) >= b)
            {
                break;
            }

            if (from is { } f && occurrenceEnd.ToInstant(calendarZone) <= f)
            {
                continue;
            }

            result.Add(new Occurrence(occurrenceStart, occurrenceEnd));
            if (result.Count >= max)
            {
                break;
            }
        }

        return result;
    }

    /// <summary>The instance-id suffix Google uses: the original start in UTC (<c>20250106T090000Z</c>) or the date (<c>20250106</c>).</summary>
    public static string InstanceSuffix(EventTime originalStart) =>
        originalStart.Date is { } d
            ? d.ToString("yyyyMMdd", CultureInfo.InvariantCulture)
            : originalStart.Instant!.Value.ToDateTimeUtc().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    private static CalendarEvent Build(EventTime start, EventTime end, IReadOnlyList<string> lines)
    {
        var ics = new StringBuilder()
            .Append("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//CreatioGoogle Sandbox//EN\r\nBEGIN:VEVENT\r\nUID:expand\r\n")
            .Append("DTSTART").Append(Property(start)).Append("\r\n")
            .Append("DTEND").Append(Property(end.IsAllDay || end.TimeZone is not null ? end : end with { TimeZone = start.TimeZone })).Append("\r\n");
        foreach (var line in lines)
        {
            ics.Append(line).Append("\r\n");
        }

        ics.Append("END:VEVENT\r\nEND:VCALENDAR\r\n");
        var calendar = Ical.Net.Calendar.Load(ics.ToString()) ?? throw CalendarApiError.BadRequest("Invalid recurrence rule.");
        return calendar.Events.Single();
    }

    private static string Property(EventTime time)
    {
        if (time.Date is { } d)
        {
            return ";VALUE=DATE:" + d.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        }

        if (time.TimeZone is null)
        {
            return ":" + time.Instant!.Value.ToDateTimeUtc().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        }

        var local = time.Instant!.Value.InZone(EventTime.Zone(time.TimeZone)!).LocalDateTime;
        return $";TZID={time.TimeZone}:" + local.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture);
    }

    private static string Key(EventTime start, EventTime end, IReadOnlyList<string> lines) =>
        string.Join('\n', [start.ToString(), end.ToString(), .. lines]);

    [GeneratedRegex(@"^(RRULE|EXRULE|RDATE|EXDATE)[;:][^\r\n]+$", RegexOptions.CultureInvariant)]
    private static partial Regex LinePattern();
}
