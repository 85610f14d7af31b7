using System.Text.Json.Serialization;

namespace CreatioGoogle.Broker.Sync.Calendar;

/// <summary>Where the calendar sync of one connection stands, kept as the cursor's <see cref="Cursor.FeatureState"/>.</summary>
internal sealed class CalendarState
{
    /// <summary>Calendar's sync token for the next incremental listing; it keeps the query shape of the full listing that made it (singleEvents, the window).</summary>
    public string? GoogleSyncToken { get; set; }

    /// <summary>Events that ended before this instant are not synced: the window's start, fixed when the last full listing was made.</summary>
    public DateTimeOffset? WindowStart { get; set; }

    /// <summary>The full listing's upper bound on event starts (later events are looked at once a later full listing reaches them).</summary>
    public DateTimeOffset? WindowEnd { get; set; }

    /// <summary>The primary calendar's IANA zone, as events.list reports it: all-day events are placed in it on the Creatio side.</summary>
    public string? CalendarTimeZone { get; set; }

    /// <summary>Creatio meetings (and participant rows) modified at or after this instant are still to be looked at.</summary>
    public DateTimeOffset? CreatioModifiedSince { get; set; }

    /// <summary>The connected Creatio user's contact (SysAdminUnit.ContactId): owner of the meetings created from Google.</summary>
    public Guid? CreatioOwnerId { get; set; }

    /// <summary>The window start this run uses (a new one when Google lists in full); both sides read it, only a successful run keeps it.</summary>
    [JsonIgnore] public DateTimeOffset RunWindowStart { get; set; }

    /// <summary>The calendar zone this run uses (from this run's listing, else the last one's).</summary>
    [JsonIgnore] public TimeZoneInfo RunZone { get; set; } = TimeZoneInfo.Utc;

    /// <summary>An IANA zone as .NET knows it; UTC when there is none or it is unknown here.</summary>
    public static TimeZoneInfo ZoneOf(string? name)
    {
        try
        {
            return name is null ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(name);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return TimeZoneInfo.Utc;
        }
    }
}
