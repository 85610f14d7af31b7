using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CreatioGoogle.Broker.Sync.Calendar;

/// <summary>An attendee's answer, the four Google knows (Creatio's InviteResponse has the last three, and "none yet").</summary>
internal enum AttendeeResponse
{
    NeedsAction,
    Accepted,
    Declined,
    Tentative,
}

/// <summary>One attendee as both sides compare it: the canonical address (see <see cref="CalendarAddressBook"/>) and the answer.</summary>
internal sealed record MeetingAttendee(string Email, AttendeeResponse Response);

/// <summary>
/// What a meeting is, the same whichever side it was read from: normalized (text trimmed with "\n" line ends, times in UTC to
/// the second, attendees by canonical address in order), so that two sides holding the same meeting hash the same.
/// </summary>
internal sealed record MeetingFields
{
    /// <summary>What a meeting without a title is called on both sides (Creatio requires a title; Google shows this).</summary>
    public const string NoTitle = "(No title)";

    public string Title { get; init; } = NoTitle;
    public string Description { get; init; } = "";
    public string Location { get; init; } = "";

    /// <summary>An all-day meeting: <see cref="StartDay"/> to <see cref="EndDay"/> (exclusive, as Google's end.date).</summary>
    public bool AllDay { get; init; }

    public DateOnly StartDay { get; init; }
    public DateOnly EndDay { get; init; }

    /// <summary>A timed meeting's start and end (UTC, whole seconds); equal for a meeting without duration or without end.</summary>
    public DateTimeOffset Start { get; init; }

    public DateTimeOffset End { get; init; }

    public IReadOnlyList<MeetingAttendee> Attendees { get; init; } = [];

    /// <summary>The content hash stored on the link: equal hashes mean "nothing to write" (echo suppression).</summary>
    public string Hash()
    {
        var when = AllDay
            ? $"day:{StartDay:yyyy-MM-dd}/{EndDay:yyyy-MM-dd}"
            : $"at:{Start.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}/{End.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}";
        var attendees = string.Join('\u001e', Attendees.Select(a => a.Email + "=" + a.Response));
        var canonical = string.Join('\u001f', TitleOf(Title), MultilineOf(Description), TextOf(Location), when, attendees);
        return Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)).AsSpan(0, 18));
    }

    public static string TitleOf(string? value) => TextOf(value) is { Length: > 0 } t ? t : NoTitle;

    public static string TextOf(string? value) => (value ?? "").Trim();

    public static string MultilineOf(string? value) => (value ?? "").Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Trim();

    /// <summary>Whole seconds, UTC: Google keeps seconds, Creatio milliseconds.</summary>
    public static DateTimeOffset Second(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    /// <summary>Attendees in a stable order, one per address (the first answer wins).</summary>
    public static IReadOnlyList<MeetingAttendee> AttendeeSet(IEnumerable<MeetingAttendee> attendees) =>
        [.. attendees.Where(a => a.Email.Length > 0).DistinctBy(a => a.Email, StringComparer.Ordinal).OrderBy(a => a.Email, StringComparer.Ordinal)];

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Title} {(AllDay ? $"{StartDay:yyyy-MM-dd}..{EndDay:yyyy-MM-dd}" : $"{Start:u}..{End:u}")} ({Attendees.Count} attendees)");
}
