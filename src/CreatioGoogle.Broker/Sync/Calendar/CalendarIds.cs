namespace CreatioGoogle.Broker.Sync.Calendar;

/// <summary>
/// The ids the calendar sync gives what it creates, derived from the other side's id so that a run killed after a create
/// finds the item by id (Calendar answers 409 duplicate, Creatio refuses the second insert) instead of making another.
/// </summary>
internal static class CalendarIds
{
    /// <summary>
    /// A Google event made from Creatio meeting <paramref name="creatioId"/>: the GUID's 128 bits in base32hex (26 of the
    /// characters events.insert allows). From the meeting alone, so every connected participant's calendar names the same
    /// event the same (Google gives an invitation's copy the organizer's event id).
    /// </summary>
    public static string GoogleEventIdFor(Guid creatioId) => DerivedIds.Base32Hex(creatioId.ToByteArray());

    /// <summary>A Creatio meeting made from Google event <paramref name="googleEventId"/> (an instance id for an instance of a series).</summary>
    public static Guid CreatioIdFor(string tenantId, string googleEventId) => DerivedIds.Guid($"calendar|{tenantId}|{googleEventId}");

    /// <summary>The participant row of <paramref name="contactId"/> on a meeting the sync writes.</summary>
    public static Guid ParticipantIdFor(Guid activityId, Guid contactId) => DerivedIds.Guid($"calendar-participant|{activityId:D}|{contactId:D}");
}
