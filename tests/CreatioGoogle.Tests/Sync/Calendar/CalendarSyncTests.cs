using System.Text.Json.Nodes;
using CreatioGoogle.Broker.Google;
using CreatioGoogle.Broker.Sync;
using CreatioGoogle.Broker.Sync.Calendar;
using Microsoft.Extensions.DependencyInjection;
using static CreatioGoogle.Tests.Sync.Calendar.CalendarSyncWorld;

namespace CreatioGoogle.Tests.Sync.Calendar;

/// <summary>Google Calendar ⇄ Creatio meetings over the sandboxes: what is synced, how, and what is left alone.</summary>
public sealed class CalendarSyncTests
{
    /// <summary>The first day (UTC midnight) after <paramref name="from"/> on which the zone's offset differs from the day before.</summary>
    private static DateTimeOffset NextDstChange(TimeZoneInfo zone, DateTimeOffset from)
    {
        var day = new DateTimeOffset(from.UtcDateTime.Date, TimeSpan.Zero);
        for (var i = 1; i < 400; i++)
        {
            if (zone.GetUtcOffset(day.AddDays(i).AddHours(12)) != zone.GetUtcOffset(day.AddDays(i - 1).AddHours(12)))
            {
                return day.AddDays(i).AddHours(12);
            }
        }

        throw new InvalidOperationException($"{zone.Id} has no DST change within a year.");
    }

    private static DateTimeOffset Tomorrow9(CalendarSyncWorld world) => new DateTimeOffset(world.Now.UtcDateTime.Date, TimeSpan.Zero).AddDays(1).AddHours(9);

    [Fact]
    public async Task A_Google_event_becomes_a_meeting_the_user_owns_and_a_Creatio_meeting_becomes_an_event_without_mailing_anyone()
    {
        await using var world = await StartAsync();
        var at = Tomorrow9(world);
        var ev = Timed("Pitch", at, TimeSpan.FromMinutes(45));
        ev["location"] = "Room 1";
        ev["description"] = "Bring slides\r\nand coffee";
        world.UserCreate(ev);
        var meeting = world.SeedMeeting("Review", at.AddDays(1), at.AddDays(1).AddHours(1), location: "HQ", notes: "Quarterly");
        var bob = world.SeedContact("Bob Partner", "bob.partner@example.org");
        world.AddParticipant(meeting, bob, ActivityLookups.ResponseConfirmed);

        Assert.Equal(SyncRunOutcome.Completed, await world.SyncAsync());

        var pitch = world.Meeting("Pitch");
        Assert.Equal(world.OwnerContactId.ToString(), pitch["OwnerId"]!.GetValue<string>());
        Assert.Equal(ActivityLookups.TypeTask.ToString(), pitch["TypeId"]!.GetValue<string>());
        Assert.True(pitch["ShowInScheduler"]!.GetValue<bool>());
        Assert.Equal(at, When(pitch, "StartDate"));
        Assert.Equal(at.AddMinutes(45), When(pitch, "DueDate"));
        Assert.Equal("Room 1", pitch["Location"]!.GetValue<string>());
        Assert.Equal("Bring slides\nand coffee", pitch["Notes"]!.GetValue<string>());

        var id = CalendarIds.GoogleEventIdFor(meeting);
        var review = (await world.GoogleEventAsync(id))!;
        Assert.Equal("Review", review.Summary);
        Assert.Equal("HQ", review.Location);
        Assert.Equal(at.AddDays(1), review.Start!.DateTime);
        Assert.Equal(meeting.ToString("D"), review.ExtendedProperties!.Private!["creatioActivityId"]);
        Assert.Equal(("bob.partner@example.org", "accepted"), (review.Attendees!.Single().Email, review.Attendees![0].ResponseStatus));
        Assert.True(review.Organizer!.Self);
        Assert.All(world.Calendar.Writes, w => Assert.Equal("none", w.SendUpdates));
        Assert.False(world.Calendar.InvitationsSent);

        await world.AssertQuietAsync("after the first sync");
        Assert.Equal(2, (await world.LinksAsync()).Count(l => l.GoneSide is null));
    }

    [Fact]
    public async Task Edits_on_either_side_reach_the_other_and_their_echoes_write_nothing()
    {
        await using var world = await StartAsync();
        var at = Tomorrow9(world);
        var fromGoogle = world.UserCreate(Timed("Standup", at, TimeSpan.FromMinutes(15)))["id"]!.GetValue<string>();
        var fromCreatio = world.SeedMeeting("Planning", at.AddHours(2), at.AddHours(3));
        await world.SyncAsync();
        await world.AssertQuietAsync("after the first sync");

        world.Broker.Clock.Advance(TimeSpan.FromMinutes(5));
        world.Calendar.UserEdit(Email, fromGoogle, new JsonObject { ["summary"] = "Standup (moved)", ["start"] = new JsonObject { ["dateTime"] = Rfc3339(at.AddMinutes(30)) },
            ["end"] = new JsonObject { ["dateTime"] = Rfc3339(at.AddMinutes(45)) } });
        world.Creatio.SimulateUserEdit("Activity", fromCreatio, new JsonObject { ["Location"] = "Room 7", ["DueDate"] = Broker.Creatio.CreatioFilter.Literal(at.AddHours(4)) });
        world.ResetCounters();
        await world.SyncAsync();

        Assert.Equal(1, world.Calendar.CallCount("calendar.events.patch"));
        var standup = world.Meeting("Standup (moved)");
        Assert.Equal(at.AddMinutes(30), When(standup, "StartDate"));
        var planning = (await world.GoogleEventAsync(CalendarIds.GoogleEventIdFor(fromCreatio)))!;
        Assert.Equal(("Room 7", at.AddHours(4)), (planning.Location, planning.End!.DateTime!.Value));
        await world.AssertQuietAsync("after the edits");
    }

    [Fact]
    public async Task An_all_day_event_is_a_meeting_from_midnight_to_23_59_in_the_calendar_zone_and_goes_back_to_Google_unchanged()
    {
        await using var world = await StartAsync(timeZone: "America/New_York");
        var first = DateOnly.FromDateTime(world.Now.UtcDateTime).AddDays(3);
        var id = world.UserCreate(AllDay("Offsite", first, first.AddDays(2)))["id"]!.GetValue<string>();
        var creatioDay = world.SeedMeeting("Holiday", new DateTimeOffset(first.AddDays(7).ToDateTime(TimeOnly.MinValue), TimeSpan.FromHours(-5)),
            new DateTimeOffset(first.AddDays(7).ToDateTime(new TimeOnly(23, 59)), TimeSpan.FromHours(-5)));
        await world.SyncAsync();

        // Two days (end exclusive) in New York: the 1st 00:00 to the 2nd 23:59 local, stored in UTC.
        var offsite = world.Meeting("Offsite");
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        Assert.Equal(first.ToDateTime(TimeOnly.MinValue), TimeZoneInfo.ConvertTime(When(offsite, "StartDate"), zone).DateTime);
        Assert.Equal(first.AddDays(1).ToDateTime(new TimeOnly(23, 59)), TimeZoneInfo.ConvertTime(When(offsite, "DueDate"), zone).DateTime);
        var holiday = (await world.GoogleEventAsync(CalendarIds.GoogleEventIdFor(creatioDay)))!;
        Assert.Equal((first.AddDays(7).ToString("yyyy-MM-dd"), first.AddDays(8).ToString("yyyy-MM-dd")), (holiday.Start!.Date, holiday.End!.Date));

        // A Creatio edit of the title writes Google back as an all-day event with the same days.
        world.Broker.Clock.Advance(TimeSpan.FromMinutes(1));
        world.Creatio.SimulateUserEdit("Activity", Guid.Parse(offsite["Id"]!.GetValue<string>()), new JsonObject { ["Title"] = "Offsite (final)" });
        await world.SyncAsync();
        var back = (await world.GoogleEventAsync(id))!;
        Assert.Equal(("Offsite (final)", first.ToString("yyyy-MM-dd"), first.AddDays(2).ToString("yyyy-MM-dd")), (back.Summary, back.Start!.Date, back.End!.Date));
        Assert.Null(back.Start.DateTime);
        await world.AssertQuietAsync("after the all-day round trip");
    }

    [Fact]
    public async Task Times_keep_their_instant_across_offsets_zones_and_DST_and_zero_length_events_stay_zero_length()
    {
        await using var world = await StartAsync();
        var at = Tomorrow9(world);
        world.UserCreate(Timed("Tokyo call", at, TimeSpan.FromHours(1), "Asia/Tokyo"));
        world.UserCreate(Timed("Reminder", at.AddHours(3), TimeSpan.Zero));
        var offset = new JsonObject
        {
            ["summary"] = "Offset",
            ["start"] = new JsonObject { ["dateTime"] = at.ToOffset(TimeSpan.FromHours(-7)).ToString("yyyy-MM-dd'T'HH:mm:sszzz") },
            ["end"] = new JsonObject { ["dateTime"] = at.AddHours(2).ToOffset(TimeSpan.FromHours(5.5)).ToString("yyyy-MM-dd'T'HH:mm:sszzz") },
        };
        world.UserCreate(offset);
        await world.SyncAsync();

        Assert.Equal(at, When(world.Meeting("Tokyo call"), "StartDate"));
        Assert.Equal(When(world.Meeting("Reminder"), "StartDate"), When(world.Meeting("Reminder"), "DueDate"));
        Assert.Equal((at, at.AddHours(2)), (When(world.Meeting("Offset"), "StartDate"), When(world.Meeting("Offset"), "DueDate")));

        // A weekly series across Berlin's next DST change keeps 10:00 local: the UTC time of its instances moves by an hour.
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var change = NextDstChange(berlin, world.Now);
        var firstLocal = TimeZoneInfo.ConvertTime(change.AddDays(-7), berlin).Date.AddHours(10);
        var series = new JsonObject
        {
            ["summary"] = "Weekly",
            ["start"] = new JsonObject { ["dateTime"] = firstLocal.ToString("yyyy-MM-dd'T'HH:mm:ss"), ["timeZone"] = "Europe/Berlin" },
            ["end"] = new JsonObject { ["dateTime"] = firstLocal.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:ss"), ["timeZone"] = "Europe/Berlin" },
            ["recurrence"] = new JsonArray("RRULE:FREQ=WEEKLY;COUNT=3"),
        };
        world.UserCreate(series);
        await world.SyncAsync();
        var weekly = world.Meetings().Where(m => m["Title"]!.GetValue<string>() == "Weekly").Select(m => TimeZoneInfo.ConvertTime(When(m, "StartDate"), berlin)).Order().ToList();
        Assert.Equal(3, weekly.Count);
        Assert.All(weekly, w => Assert.Equal(10, w.Hour));
        Assert.NotEqual(weekly[0].Offset, weekly[2].Offset);
        await world.AssertQuietAsync("after zones and DST");
    }

    [Fact]
    public async Task A_recurring_event_is_synced_as_its_instances_an_edited_instance_changes_one_meeting_and_a_cancelled_one_is_set_to_Canceled()
    {
        await using var world = await StartAsync();
        var at = Tomorrow9(world);
        var series = Timed("Weekly sync", at, TimeSpan.FromHours(1), "Europe/Berlin");
        series["start"]!["dateTime"] = TimeZoneInfo.ConvertTime(at, TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin")).ToString("yyyy-MM-dd'T'HH:mm:ss");
        series["end"]!["dateTime"] = TimeZoneInfo.ConvertTime(at.AddHours(1), TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin")).ToString("yyyy-MM-dd'T'HH:mm:ss");
        series["recurrence"] = new JsonArray("RRULE:FREQ=WEEKLY;COUNT=4");
        var master = world.UserCreate(series)["id"]!.GetValue<string>();
        await world.SyncAsync();
        var instances = (await world.GoogleEventsAsync()).Where(e => e.RecurringEventId == master).OrderBy(e => e.Start!.DateTime).ToList();
        Assert.Equal(4, instances.Count);
        Assert.Equal(4, world.Meetings().Count(m => m["Title"]!.GetValue<string>() == "Weekly sync"));

        world.Broker.Clock.Advance(TimeSpan.FromMinutes(1));
        world.Calendar.UserEdit(Email, instances[1].Id!, new JsonObject { ["summary"] = "Weekly sync (with customer)" });
        world.Calendar.UserDelete(Email, instances[2].Id!);
        await world.SyncAsync();

        var meetings = world.Meetings().Where(m => m["Title"]!.GetValue<string>().StartsWith("Weekly sync", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, meetings.Count);
        Assert.Single(meetings, m => m["Title"]!.GetValue<string>() == "Weekly sync (with customer)");
        var cancelled = meetings.Single(m => m["Id"]!.GetValue<string>() == CalendarIds.CreatioIdFor("acme", instances[2].Id!).ToString());
        Assert.Equal(ActivityLookups.StatusCanceled.ToString(), cancelled["StatusId"]!.GetValue<string>());
        Assert.Equal(3, meetings.Count(m => m["StatusId"]!.GetValue<string>() != ActivityLookups.StatusCanceled.ToString()));

        // An instance edited in Creatio becomes an exception of the series in Google; the other instances stay as they are.
        world.Broker.Clock.Advance(TimeSpan.FromMinutes(1));
        var last = meetings.Single(m => m["Id"]!.GetValue<string>() == CalendarIds.CreatioIdFor("acme", instances[3].Id!).ToString());
        world.Creatio.SimulateUserEdit("Activity", Guid.Parse(last["Id"]!.GetValue<string>()), new JsonObject { ["Location"] = "Room 9" });
        await world.SyncAsync();
        var exception = (await world.GoogleEventAsync(instances[3].Id!))!;
        Assert.Equal(("Room 9", master), (exception.Location, exception.RecurringEventId));
        Assert.Null((await world.GoogleEventAsync(instances[0].Id!))!.Location);
        await world.AssertQuietAsync("after instance edits");
    }

    [Fact]
    public async Task Attendees_become_participants_by_Email_or_ContactCommunication_with_their_answers_and_unmatched_ones_are_listed_and_kept()
    {
        await using var world = await StartAsync();
        var carol = world.SeedContact("Carol", "carol@example.org");
        var dave = world.SeedContact("Dave", "dave@example.org", "dave.private@example.net");
        var at = Tomorrow9(world);
        var ev = Timed("Kick-off", at, TimeSpan.FromHours(1));
        ev["attendees"] = Attendees(("carol@example.org", "accepted"), ("DAVE.PRIVATE@example.net", "tentative"), ("stranger@example.com", "declined"),
            (Email, "accepted"));
        var id = world.UserCreate(ev)["id"]!.GetValue<string>();
        await world.SyncAsync();

        var meeting = world.Meeting("Kick-off");
        var participants = world.ParticipantsOf(meeting).ToDictionary(p => Guid.Parse(p["ParticipantId"]!.GetValue<string>()), p => p["InviteResponseId"]!.GetValue<string>());
        Assert.Equal(ActivityLookups.ResponseConfirmed.ToString(), participants[carol]);
        Assert.Equal(ActivityLookups.ResponseInDoubt.ToString(), participants[dave]);
        Assert.Equal(ActivityLookups.ResponseConfirmed.ToString(), participants[world.OwnerContactId]);
        Assert.Equal(3, participants.Count);
        Assert.Equal("stranger@example.com (declined)", meeting["Recepient"]!.GetValue<string>());
        await world.AssertQuietAsync("after matching attendees");

        // Carol declines in Creatio: Google gets her answer; Dave keeps his own address; the stranger is still invited.
        world.Broker.Clock.Advance(TimeSpan.FromMinutes(1));
        var carolRow = world.ParticipantsOf(meeting).Single(p => p["ParticipantId"]!.GetValue<string>() == carol.ToString());
        world.Creatio.SimulateUserEdit("ActivityParticipant", Guid.Parse(carolRow["Id"]!.GetValue<string>()), new JsonObject { ["InviteResponseId"] = ActivityLookups.ResponseDeclined.ToString() });
        await world.SyncAsync();
        var attendees = (await world.GoogleEventAsync(id))!.Attendees!.ToDictionary(a => a.Email!.ToLowerInvariant(), a => a.ResponseStatus);
        Assert.Equal("declined", attendees["carol@example.org"]);
        Assert.Equal("tentative", attendees["dave.private@example.net"]);
        Assert.Equal("declined", attendees["stranger@example.com"]);
        Assert.Equal(4, attendees.Count);
        await world.AssertQuietAsync("after an answer changed in Creatio");
    }

    [Fact]
    public async Task A_meeting_organized_by_someone_else_comes_into_Creatio_and_is_never_changed_in_Google()
    {
        await using var world = await StartAsync();
        var at = Tomorrow9(world);
        var ev = Timed("Their meeting", at, TimeSpan.FromHours(1));
        ev["iCalUID"] = "their-meeting@partner.example";
        ev["organizer"] = new JsonObject { ["email"] = "boss@partner.example" };
        ev["attendees"] = Attendees(("boss@partner.example", "accepted"), (Email, "needsAction"));
        var id = world.Calendar.SeedEvents(Email, [ev]).Single();
        await world.SyncAsync();
        var meeting = world.Meeting("Their meeting");
        Assert.Equal(world.OwnerContactId.ToString(), meeting["OwnerId"]!.GetValue<string>());

        world.Broker.Clock.Advance(TimeSpan.FromMinutes(1));
        world.Creatio.SimulateUserEdit("Activity", Guid.Parse(meeting["Id"]!.GetValue<string>()), new JsonObject { ["Title"] = "My notes on it" });
        world.ResetCounters();
        await world.SyncAsync();

        Assert.Equal(0, world.GoogleWrites());
        Assert.Equal("Their meeting", (await world.GoogleEventAsync(id))!.Summary);
        Assert.Equal("boss@partner.example", (await world.GoogleEventAsync(id))!.Organizer!.Email);
    }

    [Fact]
    public async Task A_meeting_the_user_only_takes_part_in_is_not_put_in_their_calendar_but_its_invitation_links_to_it()
    {
        await using var world = await StartAsync();
        var at = Tomorrow9(world);
        var bobs = world.SeedMeeting("Bob's review", at, at.AddHours(1), owner: world.ColleagueContactId);
        world.AddParticipant(bobs, world.OwnerContactId);
        await world.SyncAsync();
        Assert.Equal(0, world.Calendar.CallCount("calendar.events.insert"));

        // Bob's own sync put it in his calendar and Google delivered the invitation to alice: same event id, Bob's shared stamp.
        var invitation = Timed("Bob's review", at, TimeSpan.FromHours(1));
        invitation["id"] = CalendarIds.GoogleEventIdFor(bobs);
        invitation["organizer"] = new JsonObject { ["email"] = "bob@example.com" };
        invitation["extendedProperties"] = new JsonObject { ["shared"] = new JsonObject { ["creatioActivityId"] = bobs.ToString() } };
        world.Calendar.SeedEvents(Email, [invitation]);
        world.Calendar.UserEdit(Email, invitation["id"]!.GetValue<string>(), new JsonObject { ["description"] = "" }); // visible to the sync token
        world.ResetCounters();
        await world.SyncAsync();

        Assert.Single(world.Meetings());
        Assert.Contains(await world.LinksAsync(), l => l.CreatioId == bobs.ToString() && l.GoogleId == invitation["id"]!.GetValue<string>());
        Assert.Equal(0, world.GoogleWrites());
    }

    [Fact]
    public async Task By_default_a_deleted_event_leaves_its_meeting_Canceled_and_a_deleted_meeting_leaves_its_event()
    {
        await using var world = await StartAsync();
        var at = Tomorrow9(world);
        var googleId = world.UserCreate(Timed("Dropped in Google", at, TimeSpan.FromHours(1)))["id"]!.GetValue<string>();
        var creatioId = world.SeedMeeting("Dropped in Creatio", at.AddHours(2), at.AddHours(3));
        await world.SyncAsync();

        world.Broker.Clock.Advance(TimeSpan.FromMinutes(1));
        world.Calendar.UserDelete(Email, googleId);
        var batch = world.Broker.Services.GetRequiredService<Broker.Creatio.ICreatioClientFactory>().ForTenant("acme");
        await batch.ExecuteBatchAsync([Broker.Creatio.CreatioBatchOperation.Delete("Activity", creatioId)], CancellationToken.None);
        await world.SyncAsync();

        Assert.Equal(ActivityLookups.StatusCanceled.ToString(), world.Meeting("Dropped in Google")["StatusId"]!.GetValue<string>());
        Assert.False((await world.GoogleEventAsync(CalendarIds.GoogleEventIdFor(creatioId)))!.IsCancelled);
        await world.AssertQuietAsync("after deletes with copies kept");
    }

    [Fact]
    public async Task With_deletes_propagated_a_deleted_event_deletes_its_meeting_and_a_Canceled_meeting_deletes_its_event()
    {
        await using var world = await StartAsync(s => s["CalendarSync:DeletePolicy"] = "Propagate");
        var at = Tomorrow9(world);
        var googleId = world.UserCreate(Timed("Dropped in Google", at, TimeSpan.FromHours(1)))["id"]!.GetValue<string>();
        var creatioId = world.SeedMeeting("Canceled in Creatio", at.AddHours(2), at.AddHours(3));
        await world.SyncAsync();

        world.Broker.Clock.Advance(TimeSpan.FromMinutes(1));
        world.Calendar.UserDelete(Email, googleId);
        world.Creatio.SimulateUserEdit("Activity", creatioId, new JsonObject { ["StatusId"] = ActivityLookups.StatusCanceled.ToString() });
        await world.SyncAsync();

        Assert.DoesNotContain(world.Meetings(), m => m["Title"]!.GetValue<string>() == "Dropped in Google");
        Assert.True((await world.GoogleEventAsync(CalendarIds.GoogleEventIdFor(creatioId)))!.IsCancelled);
        Assert.Equal(ActivityLookups.StatusCanceled.ToString(), world.Meeting("Canceled in Creatio")["StatusId"]!.GetValue<string>());
        await world.AssertQuietAsync("after propagated deletes");
    }

    [Fact]
    public async Task A_meeting_changed_on_both_sides_takes_the_later_change()
    {
        await using var world = await StartAsync();
        var at = Tomorrow9(world);
        var id = world.UserCreate(Timed("Both", at, TimeSpan.FromHours(1)))["id"]!.GetValue<string>();
        await world.SyncAsync();
        var meeting = Guid.Parse(world.Meeting("Both")["Id"]!.GetValue<string>());

        world.Broker.Clock.Advance(TimeSpan.FromMinutes(1));
        world.Creatio.SimulateUserEdit("Activity", meeting, new JsonObject { ["Title"] = "Both (Creatio)" });
        world.Broker.Clock.Advance(TimeSpan.FromMinutes(1));
        world.Calendar.UserEdit(Email, id, new JsonObject { ["summary"] = "Both (Google, later)" });
        await world.SyncAsync();

        Assert.Equal("Both (Google, later)", world.Creatio.Get("Activity", meeting)!["Title"]!.GetValue<string>());
        Assert.Equal("Both (Google, later)", (await world.GoogleEventAsync(id))!.Summary);
        await world.AssertQuietAsync("after a conflict");
    }

    [Fact]
    public async Task The_calendar_feature_asks_for_calendar_events_only_and_a_connection_made_under_the_old_calendar_scope_still_syncs()
    {
        Assert.Equal("https://www.googleapis.com/auth/calendar.events", Features.Scope(Features.Calendar));
        Assert.Empty(Features.MissingFrom([Features.Calendar], ["openid", "https://www.googleapis.com/auth/calendar"]));
        Assert.Equal([Features.Calendar], Features.MissingFrom([Features.Calendar], ["https://www.googleapis.com/auth/calendar.readonly"]));

        await using var world = await StartAsync(scopes: ["openid", "email", "profile", "https://www.googleapis.com/auth/calendar"]);
        world.UserCreate(Timed("Legacy", Tomorrow9(world), TimeSpan.FromHours(1)));
        Assert.Equal(SyncRunOutcome.Completed, await world.SyncAsync());
        Assert.Single(world.Meetings());
    }
}
