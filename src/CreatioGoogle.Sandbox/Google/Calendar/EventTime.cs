using System.Globalization;
using System.Text.Json.Nodes;
using NodaTime;
using NodaTime.Text;

namespace CreatioGoogle.Sandbox.Google.Calendar;

/// <summary>
/// An EventDateTime (<c>{date}</c> or <c>{dateTime, timeZone}</c>) as the store keeps it: an all-day date, or an
/// instant plus the IANA zone the event was given (null when it was given only an offset).
/// </summary>
internal sealed record EventTime(DateOnly? Date, Instant? Instant, string? TimeZone)
{
    public bool IsAllDay => Date is not null;

    /// <summary>Where the time falls, all-day dates at midnight in the calendar's zone (how Google filters them).</summary>
    public Instant ToInstant(DateTimeZone calendarZone) =>
        Instant ?? LocalDate.FromDateOnly(Date!.Value).AtStartOfDayInZone(calendarZone).ToInstant();

    /// <summary>
    /// Parses a request's start/end/originalStartTime. Rules from the EventDateTime schema: <c>date</c> for all-day,
    /// <c>dateTime</c> needs an offset unless <c>timeZone</c> is given, <c>timeZone</c> is an IANA name.
    /// </summary>
    public static EventTime Parse(JsonNode? node, string field, bool recurring)
    {
        if (node is not JsonObject obj)
        {
            throw CalendarApiError.Required(field == "end" ? "Missing end time." : $"Missing {field} time.");
        }

        var date = Text(obj, "date", field);
        var dateTime = Text(obj, "dateTime", field);
        var timeZone = Text(obj, "timeZone", field);
        if (date is not null && dateTime is not null)
        {
            throw CalendarApiError.BadRequest($"Only one of {field}.date and {field}.dateTime may be set.");
        }

        if (timeZone is not null && Zone(timeZone) is null)
        {
            throw CalendarApiError.BadRequest($"Invalid time zone definition for {field} time.");
        }

        if (date is not null)
        {
            return DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
                ? new EventTime(d, null, timeZone)
                : throw CalendarApiError.BadRequest($"Invalid {field}.date value: {date}");
        }

        if (dateTime is null)
        {
            throw CalendarApiError.Required(field == "end" ? "Missing end time." : $"Missing {field} time.");
        }

        if (recurring && timeZone is null)
        {
            // "For recurring events this field is required and specifies the time zone in which the recurrence is expanded."
            throw CalendarApiError.BadRequest($"Missing time zone definition for {field} time.", reason: "required");
        }

        if (OffsetDateTimePattern.ExtendedIso.Parse(dateTime) is { Success: true } withOffset)
        {
            return new EventTime(null, withOffset.Value.ToInstant(), timeZone);
        }

        if (timeZone is not null && LocalDateTimePattern.ExtendedIso.Parse(dateTime) is { Success: true } local)
        {
            // A local time in a zone, resolved like RFC 5545 §3.3.5 (gap: later offset; overlap: the first).
            return new EventTime(null, local.Value.InZoneLeniently(Zone(timeZone)!).ToInstant(), timeZone);
        }

        throw timeZone is null && LocalDateTimePattern.ExtendedIso.Parse(dateTime).Success
            ? CalendarApiError.BadRequest($"Missing time zone definition for {field} time.", reason: "required")
            : CalendarApiError.BadRequest($"Invalid {field}.dateTime value: {dateTime}");
    }

    /// <summary>An RFC 3339 query timestamp with its mandatory offset (timeMin, timeMax, updatedMin).</summary>
    public static Instant? ParseQueryTime(string? value, string parameter)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        return OffsetDateTimePattern.ExtendedIso.Parse(value) is { Success: true } parsed
            ? parsed.Value.ToInstant()
            : throw CalendarApiError.BadRequest($"Invalid value for: {parameter}: must be an RFC3339 timestamp with a time zone offset, got {value}", parameter);
    }

    public static DateTimeZone? Zone(string name) => DateTimeZoneProviders.Tzdb.GetZoneOrNull(name);

    /// <summary>As Google answers it: dateTime with the offset of <paramref name="displayZone"/> (the calendar's, or the request's timeZone).</summary>
    public JsonObject ToJson(DateTimeZone displayZone)
    {
        var json = new JsonObject();
        if (Date is { } d)
        {
            json["date"] = d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        }
        else
        {
            json["dateTime"] = FormatInstant(Instant!.Value, displayZone);
        }

        if (TimeZone is not null)
        {
            json["timeZone"] = TimeZone;
        }

        return json;
    }

    public static string FormatInstant(Instant instant, DateTimeZone zone)
    {
        var local = instant.InZone(zone);
        return local.Offset == Offset.Zero
            ? local.ToString("uuuu-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : local.ToString("uuuu-MM-dd'T'HH:mm:sso<+HH:mm>", CultureInfo.InvariantCulture);
    }

    /// <summary>RFC 3339 in UTC with milliseconds, as Google writes created/updated.</summary>
    public static string FormatTimestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string? Text(JsonObject obj, string name, string field) => obj[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => string.IsNullOrEmpty(s) ? null : s,
        _ => throw CalendarApiError.BadRequest($"Invalid value for {field}.{name}."),
    };
}
