using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CreatioGoogle.Broker.Google.Calendar;
using CreatioGoogle.Broker.Sync;
using CreatioGoogle.Broker.Sync.Calendar;
using static CreatioGoogle.Tests.Sync.Calendar.CalendarSyncWorld;

namespace CreatioGoogle.Tests.Sync.Calendar;

/// <summary>
/// What Calendar answers when things go wrong, and runs that die: 410 on a sync token, 412 on a patch, 409 on an insert, 410 on
/// a delete, lost links, and a run killed after every one of its writes. Each ends consistent with no duplicate on either side.
/// </summary>
public sealed class CalendarSyncRecoveryTests
{
    private static DateTimeOffset Soon(CalendarSyncWorld world, int hours = 0) =>
        new DateTimeOffset(world.Now.UtcDateTime.Date, TimeSpan.Zero).AddDays(2).AddHours(9 + hours);

    [Fact]
    public async Task A_tampered_sync_token_makes_a_full_resync_that_relinks_everything_and_duplicates_nothing()
    {
        await using var world = await StartAsync();
        var google = world.UserCreate(Timed("From Google", Soon(world), TimeSpan.FromHours(1)))["id"]!.GetValue<string>();
        world.SeedMeeting("From Creatio", Soon(world, 2), Soon(world, 3));
        await world.SyncAsync();
        await world.SyncAsync(); // incremental: the token is in use

        world.Broker.Clock.Advance(TimeSpan.FromMinutes(1));
        world.Calendar.UserEdit(Email, google, new JsonObject { ["summary"] = "From Google (edited)" });
        await world.EditStateAsync(s => s.GoogleSyncToken = "x" + s.GoogleSyncToken);
        world.ResetCounters();
        Assert.Equal(SyncRunOutcome.Completed, await world.SyncAsync());

        Assert.Equal(2, world.Calendar.CallCount("calendar.events.list")); // the refused incremental listing, then the full one
        Assert.Equal(0, world.Calendar.CallCount("calendar.events.insert"));
        Assert.Equal(2, world.Meetings().Count);
        Assert.Equal("From Google (edited)", world.Meeting("From Google (edited)")["Title"]!.GetValue<string>());
        Assert.Equal(2, (await world.GoogleEventsAsync()).Count);
        Assert.Equal(2, (await world.LinksAsync()).Count);
        Assert.NotNull((await world.StateAsync()).GoogleSyncToken);
        await world.AssertQuietAsync("after the full resync");
    }

    [Theory]
    [InlineData("fullSyncRequired")]
    [InlineData("updatedMinTooLongAgo")]
    public async Task Calendar_refusing_the_listing_with_410_is_answered_with_a_full_listing(string reason)
    {
        await using var world = await StartAsync();
        world.UserCreate(Timed("Kept", Soon(world), TimeSpan.FromHours(1)));
        await world.SyncAsync();

        world.AnswerNext("syncToken=", () => new HttpResponseMessage(HttpStatusCode.Gone)
        {
            Content = new StringContent($$$"""{"error":{"code":410,"message":"Gone","errors":[{"domain":"calendar","reason":"{{{reason}}}","message":"Gone"}]}}""",
                Encoding.UTF8, "application/json"),
        });
        world.ResetCounters();
        Assert.Equal(SyncRunOutcome.Completed, await world.SyncAsync());

        Assert.Equal(1, world.Calendar.CallCount("calendar.events.list")); // the canned 410 never reached the sandbox; the full listing did
        Assert.Single(world.Meetings());
        Assert.Single(await world.LinksAsync());
    }

    [Fact]
    public async Task Lost_links_and_state_are_rebuilt_by_a_full_listing_from_derived_ids_and_stamps_without_a_duplicate()
    {
        await using var world = await StartAsync();
        world.UserCreate(Timed("From Google", Soon(world), TimeSpan.FromHours(1)));
        world.SeedMeeting("From Creatio", Soon(world, 2), Soon(world, 3));
        await world.SyncAsync();

        await world.Links.DeleteConnectionAsync(world.Connection.ConnectionId, CancellationToken.None);
        await world.EditStateAsync(s => (s.GoogleSyncToken, s.CreatioModifiedSince) = (null, null));
        world.ResetCounters();
        await world.SyncAsync();

        Assert.Equal(0, world.GoogleWrites() + world.CreatioWrites());
        Assert.Equal(2, (await world.LinksAsync()).Count);
        Assert.Equal(2, world.Meetings().Count);
        Assert.Equal(2, (await world.GoogleEventsAsync()).Count);
    }

    [Fact]
    public async Task A_Google_edit_racing_the_patch_is_refused_by_its_etag_read_again_and_decided_again()
    {
        await using var world = await StartAsync();
        var meeting = world.SeedMeeting("Race", Soon(world), Soon(world, 1));
        await world.SyncAsync();
        var id = CalendarIds.GoogleEventIdFor(meeting);

        world.Broker.Clock.Advance(TimeSpan.FromMinutes(1));
        world.Creatio.SimulateUserEdit("Activity", meeting, new JsonObject { ["Title"] = "Race (Creatio)" });
        world.Broker.Clock.Advance(TimeSpan.FromMinutes(1));
        world.Fault.BeforeNextWrite("/events/" + id, () =>
        {
            world.Calendar.UserEdit(Email, id, new JsonObject { ["summary"] = "Race (Google, later)" });
            return Task.CompletedTask;
        });
        world.ResetCounters();
        Assert.Equal(SyncRunOutcome.Completed, await world.SyncAsync());

        Assert.Equal(1, world.Calendar.CallCount("calendar.events.patch")); // refused with 412, not sent again once Google won
        Assert.Equal("Race (Google, later)", world.Creatio.Get("Activity", meeting)!["Title"]!.GetValue<string>());
        Assert.Equal("Race (Google, later)", (await world.GoogleEventAsync(id))!.Summary);
        await world.AssertQuietAsync("after the race");
    }

    [Fact]
    public async Task An_insert_whose_answer_was_lost_is_linked_on_the_next_run_by_409_duplicate_and_not_made_twice()
    {
        await using var world = await StartAsync();

        // Beyond the full listing's reach (a year ahead): the next run cannot see the event it made, only run into its id.
        var far = world.Now.AddDays(500);
        var meeting = world.SeedMeeting("Far ahead", far, far.AddHours(1));
        world.Fault.Arm(1);
        await Assert.ThrowsAsync<SimulatedCrashException>(world.SyncAsync);
        world.Fault.Disarm();

        world.ResetCounters();
        Assert.Equal(SyncRunOutcome.Completed, await world.SyncAsync());
        Assert.Equal(1, world.Calendar.CallCount("calendar.events.insert")); // answered 409 duplicate: linked
        Assert.Single(world.Calendar.Events(Email));
        Assert.Contains(await world.LinksAsync(), l => l.CreatioId == meeting.ToString() && l.GoogleId == CalendarIds.GoogleEventIdFor(meeting));
        await world.AssertQuietAsync("after the lost insert");
    }

    [Fact]
    public async Task A_delete_that_finds_the_event_deleted_already_410_deleted_counts_as_done()
    {
        await using var world = await StartAsync(s => s["CalendarSync:DeletePolicy"] = "Propagate");
        var meeting = world.SeedMeeting("Gone twice", Soon(world), Soon(world, 1));
        await world.SyncAsync();
        var id = CalendarIds.GoogleEventIdFor(meeting);

        world.Broker.Clock.Advance(TimeSpan.FromMinutes(1));
        world.Creatio.SimulateUserEdit("Activity", meeting, new JsonObject { ["StatusId"] = ActivityLookups.StatusCanceled.ToString() });
        world.Fault.BeforeNextWrite("/events/" + id, () =>
        {
            world.Calendar.UserDelete(Email, id);
            return Task.CompletedTask;
        });
        Assert.Equal(SyncRunOutcome.Completed, await world.SyncAsync());

        Assert.Empty(await world.LinksAsync());
        Assert.True((await world.GoogleEventAsync(id))!.IsCancelled);
        await world.AssertQuietAsync("after a delete Google had done already");
    }

    [Fact]
    public Task A_first_sync_killed_after_any_write_and_run_again_ends_consistent_without_duplicates() =>
        CrashAtEveryWrite.RunAsync(() => StartAsync(),
            world =>
            {
                var at = Soon(world);
                var ev = Timed("Google one", at, TimeSpan.FromHours(1));
                ev["attendees"] = Attendees(("carol@example.org", "accepted"));
                world.SeedContact("Carol", "carol@example.org");
                world.UserCreate(ev);
                world.UserCreate(AllDay("Google two", DateOnly.FromDateTime(at.UtcDateTime).AddDays(1), DateOnly.FromDateTime(at.UtcDateTime).AddDays(2)));
                var meeting = world.SeedMeeting("Creatio one", at.AddHours(3), at.AddHours(4));
                world.AddParticipant(meeting, world.ColleagueContactId);
                world.SeedMeeting("Creatio two", at.AddDays(1), at.AddDays(1).AddMinutes(30));
                return Task.CompletedTask;
            },
            (world, why) => AssertConsistentAsync(world, why, 4),
            minWritePoints: 3);

    [Fact]
    public Task An_incremental_sync_killed_after_any_write_and_run_again_applies_every_edit_once() =>
        CrashAtEveryWrite.RunAsync(() => StartAsync(),
            async world =>
            {
                var at = Soon(world);
                var google = world.UserCreate(Timed("Google one", at, TimeSpan.FromHours(1)))["id"]!.GetValue<string>();
                var meeting = world.SeedMeeting("Creatio one", at.AddHours(3), at.AddHours(4));
                await world.SyncAsync();

                world.Broker.Clock.Advance(TimeSpan.FromMinutes(1));
                world.Calendar.UserEdit(Email, google, new JsonObject { ["summary"] = "Google one (edited)" });
                world.Creatio.SimulateUserEdit("Activity", meeting, new JsonObject { ["Title"] = "Creatio one (edited)" });
                world.UserCreate(Timed("Google new", at.AddDays(1), TimeSpan.FromHours(1)));
                world.SeedMeeting("Creatio new", at.AddDays(2), at.AddDays(2).AddHours(1));
            },
            async (world, why) =>
            {
                await AssertConsistentAsync(world, why, 4);
                Assert.Contains(world.Meetings(), m => m["Title"]!.GetValue<string>() == "Google one (edited)");
                Assert.Contains(await world.GoogleEventsAsync(), e => e.Summary == "Creatio one (edited)");
            });

    /// <summary>Both sides hold the same meetings, once each, every pair linked, and one more run writes nothing.</summary>
    private static async Task AssertConsistentAsync(CalendarSyncWorld world, string why, int expected)
    {
        var google = (await world.GoogleEventsAsync()).Where(e => !e.IsCancelled).Select(e => e.Summary ?? "").Order().ToList();
        var creatio = world.Meetings().Where(m => m["StatusId"]!.GetValue<string>() != ActivityLookups.StatusCanceled.ToString())
            .Select(m => m["Title"]!.GetValue<string>()).Order().ToList();
        Assert.True(expected == google.Count, $"{why}: {google.Count} Google events, expected {expected}: {string.Join(", ", google)}");
        Assert.True(expected == creatio.Count, $"{why}: {creatio.Count} Creatio meetings, expected {expected}: {string.Join(", ", creatio)}");
        Assert.Equal(google, creatio);
        var links = (await world.LinksAsync()).Where(l => l.GoneSide is null).ToList();
        Assert.True(expected == links.Count, $"{why}: {links.Count} links, expected {expected}");
        var participants = world.Creatio.Rows("ActivityParticipant");
        Assert.Equal(participants.Count, participants.Select(p => (p["ActivityId"]!.GetValue<string>(), p["ParticipantId"]!.GetValue<string>())).Distinct().Count());
        await world.AssertQuietAsync(why);
    }
}
