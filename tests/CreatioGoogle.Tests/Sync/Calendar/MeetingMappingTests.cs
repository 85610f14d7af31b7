using System.Text.Json.Nodes;
using CreatioGoogle.Broker.Creatio;
using CreatioGoogle.Broker.Google.Calendar;
using CreatioGoogle.Broker.Sync.Calendar;
using Moq;

namespace CreatioGoogle.Tests.Sync.Calendar;

/// <summary>The mapping both sides share, without any server: what makes the two sides of one meeting hash the same.</summary>
public sealed class MeetingMappingTests
{
    private static readonly Guid Owner = Guid.NewGuid();
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    /// <summary>An address book that finds no contacts (the seam: the mapping's rules, not Creatio, are under test).</summary>
    private static CalendarAddressBook Book()
    {
        var creatio = new Mock<ICreatioClient>();
        creatio.Setup(c => c.QueryPagesAsync(It.IsAny<CreatioQuery>(), It.IsAny<CancellationToken>())).Returns(AsyncEnumerable.Empty<CreatioPage>());
        return new CalendarAddressBook(creatio.Object, Owner, "alice@example.com");
    }

    private static CreatioMeeting Meeting(DateTimeOffset start, DateTimeOffset due, string title = "T", string recipients = "") => new(new JsonObject
    {
        ["Id"] = Guid.NewGuid().ToString(),
        ["Title"] = title,
        ["StartDate"] = CreatioFilter.Literal(start),
        ["DueDate"] = CreatioFilter.Literal(due),
        ["Recepient"] = recipients,
        ["OwnerId"] = Owner.ToString(),
    }, [new CreatioParticipant(Guid.NewGuid(), Owner, ActivityLookups.ResponseConfirmed, null)]);

    [Fact]
    public void A_Google_event_and_the_Creatio_meeting_made_from_it_hash_the_same_and_a_real_change_does_not()
    {
        var book = Book();
        var ev = new CalendarEvent
        {
            Summary = "  Review ",
            Description = "line one\r\nline two",
            Start = new EventDateTime { DateTime = DateTimeOffset.Parse("2025-06-02T10:00:00+02:00") },
            End = new EventDateTime { DateTime = DateTimeOffset.Parse("2025-06-02T11:30:00+02:00") },
            Attendees = [new EventAttendee { Email = "Alice@Example.com", ResponseStatus = "accepted" }, new EventAttendee { Email = "guest@other.org", ResponseStatus = "tentative" }],
        };
        var fields = MeetingMapping.FromGoogle(ev, book);
        var row = MeetingMapping.CreatioColumns(fields, Berlin, book);
        row["Id"] = Guid.NewGuid().ToString();
        var meeting = new CreatioMeeting(row, [new CreatioParticipant(Guid.NewGuid(), Owner, ActivityLookups.ResponseConfirmed, null)]);

        Assert.Equal("guest@other.org (tentative)", row["Recepient"]!.GetValue<string>());
        Assert.Equal(90, row["DurationInMinutes"]!.GetValue<int>());
        Assert.Equal(fields.Hash(), MeetingMapping.FromCreatio(meeting, Berlin, book).Hash());
        Assert.NotEqual(fields.Hash(), (fields with { Location = "elsewhere" }).Hash());
        Assert.NotEqual(fields.Hash(), (fields with { Attendees = [.. fields.Attendees.Select(a => a with { Response = AttendeeResponse.Declined })] }).Hash());
    }

    [Theory]
    [InlineData("00:00:00", "23:59:00", 0, true)]
    [InlineData("00:00:00", "23:59:59", 2, true)]
    [InlineData("00:00:00", "00:00:00", 1, false)] // 24 hours to the next midnight: a timed meeting
    [InlineData("09:00:00", "23:59:00", 0, false)]
    public void A_Creatio_meeting_is_all_day_when_it_runs_from_midnight_to_23_59_in_the_calendar_zone(string from, string to, int extraDays, bool allDay)
    {
        // Across the end of summer time in Berlin (the last Sunday of October 2025).
        var first = new DateTime(2025, 10, 25);
        var start = new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(first + TimeSpan.Parse(from), Berlin), TimeSpan.Zero);
        var due = new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(first.AddDays(extraDays) + TimeSpan.Parse(to), Berlin), TimeSpan.Zero);

        var fields = MeetingMapping.FromCreatio(Meeting(start, due), Berlin, Book());

        Assert.Equal(allDay, fields.AllDay);
        if (allDay)
        {
            Assert.Equal((new DateOnly(2025, 10, 25), new DateOnly(2025, 10, 26 + extraDays)), (fields.StartDay, fields.EndDay));
        }
    }

    [Fact]
    public void All_day_days_written_to_Creatio_read_back_as_the_same_days_even_across_a_DST_change()
    {
        var book = Book();
        var days = new MeetingFields { Title = "Trip", AllDay = true, StartDay = new DateOnly(2025, 3, 29), EndDay = new DateOnly(2025, 4, 1) };
        var row = MeetingMapping.CreatioColumns(days, Berlin, book);

        Assert.Equal("2025-03-28T23:00:00.000Z", row["StartDate"]!.GetValue<string>()); // 00:00 CET
        Assert.Equal("2025-03-31T21:59:00.000Z", row["DueDate"]!.GetValue<string>()); // 23:59 CEST
        row["Id"] = Guid.NewGuid().ToString();
        var back = MeetingMapping.FromCreatio(new CreatioMeeting(row, []), Berlin, book);
        Assert.Equal(days.Hash(), back.Hash());
    }

    [Fact]
    public void Recepient_lists_addresses_with_their_answers_and_reads_back_what_a_person_typed()
    {
        var attendees = MeetingMapping.ParseRecipients("Ann Smith <ANN@x.example>; bob@y.example (accepted), not an address ;carl@z.example (declined)").ToList();

        Assert.Equal([new MeetingAttendee("ann@x.example", AttendeeResponse.NeedsAction), new MeetingAttendee("bob@y.example", AttendeeResponse.Accepted),
            new MeetingAttendee("carl@z.example", AttendeeResponse.Declined)], attendees);
        Assert.Equal("ann@x.example; bob@y.example (accepted); carl@z.example (declined)", MeetingMapping.FormatRecipients(attendees));
    }

    [Fact]
    public void A_Google_write_keeps_what_Google_knows_of_an_attendee_and_never_drops_the_organizer()
    {
        var book = Book();
        var current = new CalendarEvent
        {
            Start = new EventDateTime { DateTime = DateTimeOffset.Parse("2025-06-02T10:00:00Z"), TimeZone = "America/Chicago" },
            End = new EventDateTime { DateTime = DateTimeOffset.Parse("2025-06-02T11:00:00Z"), TimeZone = "America/Chicago" },
            Attendees =
            [
                new EventAttendee { Email = "alice@example.com", Organizer = true, ResponseStatus = "accepted" },
                new EventAttendee { Email = "Guest@Other.org", DisplayName = "The Guest", Optional = true, ResponseStatus = "needsAction" },
            ],
        };
        var fields = new MeetingFields
        {
            Title = "T",
            Start = DateTimeOffset.Parse("2025-06-02T12:00:00Z"),
            End = DateTimeOffset.Parse("2025-06-02T13:00:00Z"),
            Attendees = [new MeetingAttendee("guest@other.org", AttendeeResponse.Accepted), new MeetingAttendee("new@other.org", AttendeeResponse.NeedsAction)],
        };

        var body = MeetingMapping.GoogleFields(fields, "Europe/Berlin", current, book);

        var attendees = body["attendees"]!.AsArray().Select(a => a!.AsObject()).ToList();
        Assert.Equal(["Guest@Other.org", "new@other.org", "alice@example.com"], attendees.Select(a => a["email"]!.GetValue<string>()));
        Assert.Equal(("The Guest", true, "accepted"), (attendees[0]["displayName"]!.GetValue<string>(), attendees[0]["optional"]!.GetValue<bool>(), attendees[0]["responseStatus"]!.GetValue<string>()));
        Assert.Equal("America/Chicago", body["start"]!["timeZone"]!.GetValue<string>());
        Assert.Equal("2025-06-02T12:00:00Z", body["start"]!["dateTime"]!.GetValue<string>());
    }
}
