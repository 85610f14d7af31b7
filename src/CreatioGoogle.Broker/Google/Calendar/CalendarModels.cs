using System.Text.Json;
using System.Text.Json.Serialization;

namespace CreatioGoogle.Broker.Google.Calendar;

// The Calendar API v3 resources the sync maps (calendar.v3.json, schemas Event, EventDateTime, EventAttendee, Channel),
// typed where the sync reads them. JSON names are Google's (camelCase via JsonSerializerDefaults.Web); nulls are not sent.

/// <summary>Keeps the JSON members a model has no property for, so an object read from Google can be sent back whole.</summary>
public abstract class CalendarObject
{
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unmapped { get; set; }
}

public sealed class CalendarEvent : CalendarObject
{
    public string? Id { get; set; }

    public string? Etag { get; set; }

    /// <summary><c>confirmed</c>, <c>tentative</c> or <c>cancelled</c> (a deleted event, or a cancelled instance of a series).</summary>
    public string? Status { get; set; }

    public string? Summary { get; set; }

    public string? Description { get; set; }

    public string? Location { get; set; }

    public DateTimeOffset? Updated { get; set; }

    public EventDateTime? Start { get; set; }

    /// <summary>Exclusive: an all-day event on the 5th ends on the 6th.</summary>
    public EventDateTime? End { get; set; }

    public bool? EndTimeUnspecified { get; set; }

    /// <summary>Set on an instance of a recurring event: the series' id (with <see cref="OriginalStartTime"/>, immutable).</summary>
    public string? RecurringEventId { get; set; }

    public EventDateTime? OriginalStartTime { get; set; }

    public List<string>? Recurrence { get; set; }

    public string? ICalUID { get; set; }

    public EventPerson? Organizer { get; set; }

    public EventPerson? Creator { get; set; }

    public List<EventAttendee>? Attendees { get; set; }

    public EventExtendedProperties? ExtendedProperties { get; set; }

    /// <summary><c>default</c>, <c>outOfOffice</c>, <c>focusTime</c>, <c>workingLocation</c>, <c>fromGmail</c>, <c>birthday</c>.</summary>
    public string? EventType { get; set; }

    [JsonIgnore] public bool IsCancelled => Status == "cancelled";

    [JsonIgnore] public bool IsAllDay => Start?.Date is not null;
}

/// <summary>Either <see cref="Date"/> (all-day) or <see cref="DateTime"/> (with its offset), and the zone the event was given.</summary>
public sealed class EventDateTime : CalendarObject
{
    /// <summary>yyyy-MM-dd.</summary>
    public string? Date { get; set; }

    public DateTimeOffset? DateTime { get; set; }

    /// <summary>IANA name; required for recurring events, optional otherwise.</summary>
    public string? TimeZone { get; set; }
}

public sealed class EventPerson : CalendarObject
{
    public string? Email { get; set; }

    public string? DisplayName { get; set; }

    public bool? Self { get; set; }
}

public sealed class EventAttendee : CalendarObject
{
    public string? Email { get; set; }

    public string? DisplayName { get; set; }

    /// <summary><c>needsAction</c>, <c>declined</c>, <c>tentative</c> or <c>accepted</c>.</summary>
    public string? ResponseStatus { get; set; }

    public bool? Organizer { get; set; }

    public bool? Self { get; set; }

    public bool? Optional { get; set; }

    public bool? Resource { get; set; }
}

public sealed class EventExtendedProperties : CalendarObject
{
    /// <summary>Only on this calendar's copy of the event.</summary>
    public Dictionary<string, string>? Private { get; set; }

    /// <summary>Copied to every attendee's copy of the event.</summary>
    public Dictionary<string, string>? Shared { get; set; }
}

/// <summary>One page of events.list: <see cref="NextSyncToken"/> only on the last page (it and a next page token never come together).</summary>
public sealed record CalendarEventsPage(IReadOnlyList<CalendarEvent> Items, string? NextPageToken, string? NextSyncToken, string? TimeZone);

/// <summary>A watch channel as Google answered events.watch.</summary>
public sealed record CalendarWatchChannel(string Id, string ResourceId, DateTimeOffset Expiration);
