namespace CreatioGoogle.Sandbox.Google.Calendar;

/// <summary>
/// Which OAuth scopes each Calendar method accepts, from Google's discovery document calendar.v3.json (revision
/// 20251028). Note what it says: <c>calendar.events</c> covers events.* and channels.stop but not
/// calendarList.* or calendars.get, which need <c>calendar</c>, <c>calendar.readonly</c> or the calendarlist/calendars
/// scopes. Left out on purpose, because the sandbox serves only the user's primary calendar: <c>calendar.app.created</c>
/// (only calendars the app created), <c>calendar.events.freebusy</c> and <c>calendar.events.public.readonly</c>
/// (free/busy or public calendars only).
/// </summary>
internal static class CalendarScopes
{
    public const string Prefix = "https://www.googleapis.com/auth/";
    public const string Calendar = Prefix + "calendar";
    public const string CalendarReadonly = Prefix + "calendar.readonly";
    public const string Events = Prefix + "calendar.events";
    public const string EventsReadonly = Prefix + "calendar.events.readonly";
    public const string EventsOwned = Prefix + "calendar.events.owned";
    public const string EventsOwnedReadonly = Prefix + "calendar.events.owned.readonly";

    private static readonly string[] EventReads = [Calendar, Events, EventsOwned, EventsOwnedReadonly, EventsReadonly, CalendarReadonly];
    private static readonly string[] EventWrites = [Calendar, Events, EventsOwned];

    private static readonly Dictionary<string, string[]> ByMethod = new(StringComparer.Ordinal)
    {
        ["calendar.calendarList.list"] = [Calendar, Prefix + "calendar.calendarlist", Prefix + "calendar.calendarlist.readonly", CalendarReadonly],
        ["calendar.calendarList.get"] = [Calendar, Prefix + "calendar.calendarlist", Prefix + "calendar.calendarlist.readonly", CalendarReadonly],
        ["calendar.calendars.get"] = [Calendar, Prefix + "calendar.calendars", Prefix + "calendar.calendars.readonly", CalendarReadonly],
        ["calendar.events.list"] = EventReads,
        ["calendar.events.get"] = EventReads,
        ["calendar.events.instances"] = EventReads,
        ["calendar.events.watch"] = EventReads,
        ["calendar.events.insert"] = EventWrites,
        ["calendar.events.import"] = EventWrites,
        ["calendar.events.update"] = EventWrites,
        ["calendar.events.patch"] = EventWrites,
        ["calendar.events.delete"] = EventWrites,
        ["calendar.channels.stop"] =
        [
            Calendar, Prefix + "calendar.acls", Prefix + "calendar.acls.readonly", Prefix + "calendar.calendarlist",
            Prefix + "calendar.calendarlist.readonly", Events, EventsOwned, EventsOwnedReadonly, EventsReadonly, CalendarReadonly,
            Prefix + "calendar.settings.readonly",
        ],
    };

    public static bool Allows(string method, IReadOnlyCollection<string> granted) =>
        ByMethod.TryGetValue(method, out var accepted) && accepted.Any(granted.Contains);
}
