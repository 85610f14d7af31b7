using System.Net;
using System.Text.Json.Nodes;
using CreatioGoogle.Sandbox.Google.Calendar;
using static CreatioGoogle.Tests.Sandbox.CalendarWorld;

namespace CreatioGoogle.Tests.Sandbox;

/// <summary>The Calendar simulator's list, sync, write and error behaviours over raw HTTP, as Google's reference describes them.</summary>
public sealed class SandboxCalendarTests
{
    [Fact]
    public async Task List_pages_by_250_by_default_and_gives_the_sync_token_only_on_the_last_page()
    {
        await using var world = await StartAsync();
        world.Calendar.SeedEvents(Alice, Enumerable.Range(0, 600).Select(i => Timed($"E{i}", "2025-03-02T10:00:00Z", "2025-03-02T11:00:00Z")));

        var (items, last, pages) = await world.ListAllAsync("");
        var big = await world.GetAsync("calendars/primary/events?maxResults=5000");

        Assert.Equal(3, pages);
        Assert.Equal(600, items.Select(i => i["id"]!.GetValue<string>()).Distinct().Count());
        Assert.StartsWith("sbx-cst-", last["nextSyncToken"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("calendar#events", last["kind"]!.GetValue<string>());
        Assert.Equal("Europe/Berlin", last["timeZone"]!.GetValue<string>());
        Assert.Equal(600, big.Body!["items"]!.AsArray().Count); // maxResults above 2500 is cut to 2500, not refused
    }

    [Fact]
    public async Task Short_pages_can_be_empty_but_still_lead_to_every_event_and_a_page_token_needs_the_same_query()
    {
        await using var world = await StartAsync();
        world.Calendar.ShortPages = true;
        world.Calendar.SeedEvents(Alice, Enumerable.Range(0, 10).Select(i => Timed($"E{i}", "2025-03-02T10:00:00Z", "2025-03-02T11:00:00Z")));

        var first = await world.GetAsync("calendars/primary/events?maxResults=4");
        var token = Uri.EscapeDataString(first.Body!["nextPageToken"]!.GetValue<string>());
        var empty = await world.GetAsync($"calendars/primary/events?maxResults=4&pageToken={token}");
        var otherQuery = await world.GetAsync($"calendars/primary/events?maxResults=3&pageToken={token}");
        var (all, _, _) = await world.ListAllAsync("maxResults=4");

        Assert.Empty(empty.Body!["items"]!.AsArray());
        Assert.NotNull(empty.Body!["nextPageToken"]);
        Assert.Equal(HttpStatusCode.BadRequest, otherQuery.Status);
        Assert.Equal(10, all.Select(i => i["id"]!.GetValue<string>()).Distinct().Count());
    }

    [Fact]
    public async Task Incremental_sync_returns_exactly_the_changes_with_deletions_as_cancelled()
    {
        await using var world = await StartAsync();
        var kept = world.Calendar.SeedEvents(Alice, [Timed("Kept", "2025-03-02T10:00:00Z", "2025-03-02T11:00:00Z")])[0];
        var changed = world.Calendar.SeedEvents(Alice, [Timed("Changed", "2025-03-03T10:00:00Z", "2025-03-03T11:00:00Z")])[0];
        var gone = world.Calendar.SeedEvents(Alice, [Timed("Gone", "2025-03-04T10:00:00Z", "2025-03-04T11:00:00Z")])[0];
        var (_, full, _) = await world.ListAllAsync("");
        var syncToken = Uri.EscapeDataString(full["nextSyncToken"]!.GetValue<string>());

        var added = await world.InsertAsync(Timed("Added", "2025-03-05T10:00:00Z", "2025-03-05T11:00:00Z"));
        Assert.Equal(HttpStatusCode.OK, (await world.SendAsync(HttpMethod.Patch, $"calendars/primary/events/{changed}", new JsonObject { ["summary"] = "Changed!" })).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await world.SendAsync(HttpMethod.Delete, $"calendars/primary/events/{gone}")).Status);

        var (changes, last, _) = await world.ListAllAsync("syncToken=" + syncToken);
        var byId = changes.ToDictionary(c => c["id"]!.GetValue<string>());
        var (nothing, afterNothing, _) = await world.ListAllAsync("syncToken=" + Uri.EscapeDataString(last["nextSyncToken"]!.GetValue<string>()));

        Assert.Equal(new[] { added["id"]!.GetValue<string>(), changed, gone }.Order(), byId.Keys.Order());
        Assert.DoesNotContain(kept, byId.Keys);
        Assert.Equal("Changed!", byId[changed]["summary"]!.GetValue<string>());
        Assert.Equal("cancelled", byId[gone]["status"]!.GetValue<string>());
        Assert.Null(byId[gone]["summary"]); // without showDeleted, a deletion carries no details
        Assert.Empty(nothing);
        Assert.NotNull(afterNothing["nextSyncToken"]);
    }

    [Theory]
    [InlineData("iCalUID=x@google.com")]
    [InlineData("orderBy=updated")]
    [InlineData("privateExtendedProperty=a%3Db")]
    [InlineData("sharedExtendedProperty=a%3Db")]
    [InlineData("q=lunch")]
    [InlineData("timeMin=2025-01-01T00:00:00Z")]
    [InlineData("timeMax=2026-01-01T00:00:00Z")]
    [InlineData("updatedMin=2025-02-27T00:00:00Z")]
    [InlineData("showDeleted=false")]
    public async Task A_sync_token_with_a_filter_it_cannot_be_combined_with_is_400(string filter)
    {
        await using var world = await StartAsync();
        var (_, full, _) = await world.ListAllAsync("");

        var answer = await world.GetAsync($"calendars/primary/events?syncToken={Uri.EscapeDataString(full["nextSyncToken"]!.GetValue<string>())}&{filter}");

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal(filter.Split('=')[0], answer.Body!["error"]!["errors"]![0]!["location"]!.GetValue<string>());
    }

    [Fact]
    public async Task Tampered_and_expired_sync_tokens_answer_410_fullSyncRequired_and_updatedMin_too_old_410_too()
    {
        await using var world = await StartAsync();
        var (_, full, _) = await world.ListAllAsync("");
        var token = full["nextSyncToken"]!.GetValue<string>();

        var tampered = await world.GetAsync("calendars/primary/events?syncToken=1" + Uri.EscapeDataString(token));
        var fresh = await world.GetAsync("calendars/primary/events?syncToken=" + Uri.EscapeDataString(token));
        world.Clock.Advance(world.Calendar.SyncTokenLifetime + TimeSpan.FromMinutes(1));
        world.SignIn(CalendarScope);
        var expired = await world.GetAsync("calendars/primary/events?syncToken=" + Uri.EscapeDataString(token));
        var (_, again, _) = await world.ListAllAsync("");
        world.Calendar.ExpireSyncTokens(Alice);
        var revoked = await world.GetAsync("calendars/primary/events?syncToken=" + Uri.EscapeDataString(again["nextSyncToken"]!.GetValue<string>()));
        var tooOld = await world.GetAsync("calendars/primary/events?updatedMin=" + Uri.EscapeDataString((world.Clock.GetUtcNow() - TimeSpan.FromDays(60)).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'")));

        Assert.Equal(HttpStatusCode.OK, fresh.Status);
        foreach (var gone in new[] { tampered, expired, revoked })
        {
            Assert.Equal(HttpStatusCode.Gone, gone.Status);
            var error = gone.Body!["error"]!;
            Assert.Equal(410, error["code"]!.GetValue<int>());
            Assert.Equal("Sync token is no longer valid, a full sync is required.", error["message"]!.GetValue<string>());
            var item = error["errors"]![0]!;
            Assert.Equal("fullSyncRequired", item["reason"]!.GetValue<string>());
            Assert.Equal("parameter", item["locationType"]!.GetValue<string>());
            Assert.Equal("syncToken", item["location"]!.GetValue<string>());
        }

        Assert.Equal(HttpStatusCode.Gone, tooOld.Status);
        Assert.Equal("updatedMinTooLongAgo", tooOld.Reason);
    }

    [Fact]
    public async Task TimeMin_bounds_the_end_and_timeMax_the_start_both_exclusive_and_need_an_offset()
    {
        await using var world = await StartAsync();
        world.Calendar.SeedEvents(Alice,
        [
            Timed("EndsAtMin", "2025-03-02T09:00:00Z", "2025-03-02T10:00:00Z"),
            Timed("Straddles", "2025-03-02T09:30:00Z", "2025-03-02T10:30:00Z"),
            Timed("StartsAtMax", "2025-03-02T12:00:00Z", "2025-03-02T13:00:00Z"),
            Timed("Inside", "2025-03-02T11:00:00+01:00", "2025-03-02T11:30:00+01:00"),
        ]);

        var (items, _, _) = await world.ListAllAsync("timeMin=2025-03-02T10:00:00Z&timeMax=2025-03-02T12:00:00Z");
        var empty = await world.GetAsync("calendars/primary/events?timeMin=2025-03-02T12:00:00Z&timeMax=2025-03-02T12:00:00Z");
        var noOffset = await world.GetAsync("calendars/primary/events?timeMin=2025-03-02T12:00:00");

        Assert.Equal(["Inside", "Straddles"], items.Select(i => i["summary"]!.GetValue<string>()).Order());
        Assert.Equal(HttpStatusCode.BadRequest, empty.Status);
        Assert.Equal("timeRangeEmpty", empty.Reason);
        Assert.Equal(HttpStatusCode.BadRequest, noOffset.Status);
    }

    [Fact]
    public async Task A_sync_token_keeps_the_time_window_of_its_full_sync()
    {
        await using var world = await StartAsync();
        var inside = world.Calendar.SeedEvents(Alice, [Timed("Inside", "2025-03-10T10:00:00Z", "2025-03-10T11:00:00Z")])[0];
        var (_, full, _) = await world.ListAllAsync("timeMin=2025-03-01T00:00:00Z&timeMax=2025-04-01T00:00:00Z");

        await world.InsertAsync(Timed("Outside", "2025-06-10T10:00:00Z", "2025-06-10T11:00:00Z"));
        var moved = await world.SendAsync(HttpMethod.Patch, $"calendars/primary/events/{inside}", new JsonObject
        {
            ["start"] = new JsonObject { ["dateTime"] = "2025-07-01T10:00:00Z" },
            ["end"] = new JsonObject { ["dateTime"] = "2025-07-01T11:00:00Z" },
        });
        var (changes, _, _) = await world.ListAllAsync("syncToken=" + Uri.EscapeDataString(full["nextSyncToken"]!.GetValue<string>()));

        Assert.Equal(HttpStatusCode.OK, moved.Status);
        Assert.Equal([inside], changes.Select(c => c["id"]!.GetValue<string>())); // it left the window: reported; the new one outside: not
    }

    [Fact]
    public async Task Client_ids_must_be_base32hex_of_5_to_1024_and_are_never_reused()
    {
        await using var world = await StartAsync();
        Task<CalendarWorld.Answer> InsertAsync(string id) =>
            world.SendAsync(HttpMethod.Post, "calendars/primary/events", Timed("X", "2025-03-02T10:00:00Z", "2025-03-02T11:00:00Z").Also(e => e["id"] = id));

        var upper = await InsertAsync("ABCDEF");
        var w = await InsertAsync("abcdefw");
        var shortId = await InsertAsync("abcd");
        var ok = await InsertAsync("0123456789abcdefghijklmnopqrstuv");
        var again = await InsertAsync("0123456789abcdefghijklmnopqrstuv");
        await world.SendAsync(HttpMethod.Delete, "calendars/primary/events/0123456789abcdefghijklmnopqrstuv");
        var afterDelete = await InsertAsync("0123456789abcdefghijklmnopqrstuv");
        var both = await world.SendAsync(HttpMethod.Post, "calendars/primary/events",
            Timed("X", "2025-03-02T10:00:00Z", "2025-03-02T11:00:00Z").Also(e => { e["id"] = "abcdefgh"; e["iCalUID"] = "x@example.com"; }));

        Assert.Equal([HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest], new[] { upper.Status, w.Status, shortId.Status });
        Assert.Equal(HttpStatusCode.OK, ok.Status);
        Assert.Equal((HttpStatusCode.Conflict, "duplicate"), (again.Status, again.Reason));
        Assert.Equal((HttpStatusCode.Conflict, "duplicate"), (afterDelete.Status, afterDelete.Reason));
        Assert.Equal(HttpStatusCode.BadRequest, both.Status);
    }

    [Fact]
    public async Task Writes_check_If_Match_bump_etag_updated_and_sequence_and_patch_replaces_arrays()
    {
        await using var world = await StartAsync();
        var created = await world.InsertAsync(Timed("Meet", "2025-03-02T10:00:00Z", "2025-03-02T11:00:00Z").Also(e => e["attendees"] = new JsonArray(
            new JsonObject { ["email"] = "a@example.com" }, new JsonObject { ["email"] = "b@example.com", ["responseStatus"] = "accepted" })));
        var id = created["id"]!.GetValue<string>();
        var etag = created["etag"]!.GetValue<string>();

        world.Clock.Advance(TimeSpan.FromMinutes(1));
        var stale = await world.SendAsync(HttpMethod.Patch, $"calendars/primary/events/{id}", new JsonObject { ["summary"] = "x" }, ifMatch: "\"1\"");
        var patched = await world.SendAsync(HttpMethod.Patch, $"calendars/primary/events/{id}",
            new JsonObject { ["attendees"] = new JsonArray(new JsonObject { ["email"] = "c@example.com" }) }, ifMatch: etag);
        var moved = await world.SendAsync(HttpMethod.Patch, $"calendars/primary/events/{id}",
            new JsonObject { ["start"] = new JsonObject { ["dateTime"] = "2025-03-02T12:00:00Z" }, ["end"] = new JsonObject { ["dateTime"] = "2025-03-02T13:00:00Z" } });
        var staleDelete = await world.SendAsync(HttpMethod.Delete, $"calendars/primary/events/{id}", ifMatch: etag);
        var deleted = await world.SendAsync(HttpMethod.Delete, $"calendars/primary/events/{id}");
        var twice = await world.SendAsync(HttpMethod.Delete, $"calendars/primary/events/{id}");
        var get = await world.GetAsync($"calendars/primary/events/{id}");

        Assert.Equal((HttpStatusCode.PreconditionFailed, "conditionNotMet"), (stale.Status, stale.Reason));
        Assert.Equal(HttpStatusCode.OK, patched.Status);
        Assert.Equal(["c@example.com"], patched.Body!["attendees"]!.AsArray().Select(a => a!["email"]!.GetValue<string>()));
        Assert.Equal("needsAction", patched.Body!["attendees"]![0]!["responseStatus"]!.GetValue<string>());
        Assert.NotEqual(etag, patched.Body!["etag"]!.GetValue<string>());
        Assert.NotEqual(created["updated"]!.GetValue<string>(), patched.Body!["updated"]!.GetValue<string>());
        Assert.Equal(0, patched.Body!["sequence"]!.GetValue<int>());
        Assert.Equal(1, moved.Body!["sequence"]!.GetValue<int>()); // a time change is a significant revision
        Assert.Equal(HttpStatusCode.PreconditionFailed, staleDelete.Status);
        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
        Assert.Equal((HttpStatusCode.Gone, "deleted"), (twice.Status, twice.Reason));
        Assert.Equal("cancelled", get.Body!["status"]!.GetValue<string>()); // get always returns deleted events
    }

    [Fact]
    public async Task Recurring_events_need_a_time_zone_and_expand_into_instances_that_keep_local_time_across_DST()
    {
        await using var world = await StartAsync();
        var noZone = await world.SendAsync(HttpMethod.Post, "calendars/primary/events",
            Timed("Weekly", "2025-03-17T10:00:00+01:00", "2025-03-17T11:00:00+01:00").Also(e => e["recurrence"] = new JsonArray("RRULE:FREQ=WEEKLY;COUNT=3")));
        var master = await world.InsertAsync(Timed("Weekly", "2025-03-17T10:00:00", "2025-03-17T11:00:00", "Europe/Berlin")
            .Also(e => e["recurrence"] = new JsonArray("RRULE:FREQ=WEEKLY;COUNT=3")));
        var id = master["id"]!.GetValue<string>();

        var (instances, _, _) = await world.ListAllAsync("singleEvents=true&orderBy=startTime&timeZone=UTC");
        var (series, _, _) = await world.ListAllAsync("");
        var orderBySeries = await world.GetAsync("calendars/primary/events?orderBy=startTime");

        Assert.Equal(HttpStatusCode.BadRequest, noZone.Status);
        Assert.Equal([$"{id}_20250317T090000Z", $"{id}_20250324T090000Z", $"{id}_20250331T080000Z"], instances.Select(i => i["id"]!.GetValue<string>()));
        Assert.Equal(["2025-03-17T09:00:00Z", "2025-03-24T09:00:00Z", "2025-03-31T08:00:00Z"], instances.Select(i => i["start"]!["dateTime"]!.GetValue<string>()));
        Assert.All(instances, i =>
        {
            Assert.Equal(id, i["recurringEventId"]!.GetValue<string>());
            Assert.Equal(master["iCalUID"]!.GetValue<string>(), i["iCalUID"]!.GetValue<string>());
            Assert.Equal(i["start"]!["dateTime"]!.GetValue<string>(), i["originalStartTime"]!["dateTime"]!.GetValue<string>());
            Assert.Null(i["recurrence"]);
        });
        Assert.Equal([id], series.Select(s => s["id"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.BadRequest, orderBySeries.Status);
    }

    [Fact]
    public async Task Editing_an_instance_makes_an_exception_and_deleting_one_leaves_a_cancelled_instance_with_only_its_keys()
    {
        await using var world = await StartAsync();
        var master = await world.InsertAsync(Timed("Daily", "2025-03-10T09:00:00", "2025-03-10T09:15:00", "Europe/Berlin")
            .Also(e => e["recurrence"] = new JsonArray("RRULE:FREQ=DAILY;COUNT=4", "EXDATE;TZID=Europe/Berlin:20250313T090000")));
        var id = master["id"]!.GetValue<string>();

        var edited = await world.SendAsync(HttpMethod.Patch, $"calendars/primary/events/{id}_20250310T080000Z", new JsonObject { ["summary"] = "Moved standup" });
        var cancelled = await world.SendAsync(HttpMethod.Delete, $"calendars/primary/events/{id}_20250311T080000Z");
        var (instances, _, _) = await world.ListAllAsync("singleEvents=true");
        var (withDeleted, _, _) = await world.ListAllAsync("singleEvents=true&showDeleted=true");
        var (series, _, _) = await world.ListAllAsync("");
        var viaInstances = await world.GetAsync($"calendars/primary/events/{id}/instances");

        Assert.Equal(HttpStatusCode.OK, edited.Status);
        Assert.Equal(HttpStatusCode.NoContent, cancelled.Status);
        Assert.Equal(["Daily", "Moved standup"], instances.Select(i => i["summary"]!.GetValue<string>()).Order());
        Assert.Equal(3, withDeleted.Count);
        var tombstone = series.Single(s => s["status"]!.GetValue<string>() == "cancelled");
        Assert.Equal(["etag", "id", "kind", "originalStartTime", "recurringEventId", "status"], tombstone.Select(p => p.Key).Order());
        Assert.Equal($"{id}_20250311T080000Z", tombstone["id"]!.GetValue<string>());
        Assert.Equal(3, series.Count); // the master, its exception, and the cancelled instance (EXDATE: no instance at all)
        Assert.Equal(2, viaInstances.Body!["items"]!.AsArray().Count);
    }

    [Fact]
    public async Task All_day_events_use_dates_with_an_exclusive_end_and_date_instance_ids()
    {
        await using var world = await StartAsync();
        var one = await world.SendAsync(HttpMethod.Post, "calendars/primary/events", AllDay("Same day", "2025-03-05", "2025-03-05"));
        var mixed = await world.SendAsync(HttpMethod.Post, "calendars/primary/events",
            new JsonObject { ["start"] = new JsonObject { ["date"] = "2025-03-05" }, ["end"] = new JsonObject { ["dateTime"] = "2025-03-06T00:00:00Z" } });
        var trip = await world.InsertAsync(AllDay("Trip", "2025-03-05", "2025-03-08"));
        var yearly = await world.InsertAsync(AllDay("Birthday", "2025-03-20", "2025-03-21").Also(e => e["recurrence"] = new JsonArray("RRULE:FREQ=YEARLY;COUNT=2")));

        var (onThe7th, _, _) = await world.ListAllAsync("timeMin=2025-03-07T12:00:00%2B01:00&timeMax=2025-03-07T13:00:00%2B01:00");
        var (onThe8th, _, _) = await world.ListAllAsync("timeMin=2025-03-08T12:00:00%2B01:00&timeMax=2025-03-08T13:00:00%2B01:00");
        var (instances, _, _) = await world.ListAllAsync("singleEvents=true&q=Birthday");

        Assert.Equal((HttpStatusCode.BadRequest, "timeRangeEmpty"), (one.Status, one.Reason));
        Assert.Equal(HttpStatusCode.BadRequest, mixed.Status);
        Assert.Equal("2025-03-08", trip["end"]!["date"]!.GetValue<string>());
        Assert.Equal(["Trip"], onThe7th.Select(e => e["summary"]!.GetValue<string>()));
        Assert.Empty(onThe8th); // the end date is exclusive
        var yearlyId = yearly["id"]!.GetValue<string>();
        Assert.Equal([$"{yearlyId}_20250320", $"{yearlyId}_20260320"], instances.Select(i => i["id"]!.GetValue<string>()));
        Assert.Equal("2026-03-20", instances[1]["originalStartTime"]!["date"]!.GetValue<string>());
    }

    [Fact]
    public async Task Private_extended_properties_are_stored_and_queryable_and_send_updates_and_conference_data_are_honoured()
    {
        await using var world = await StartAsync();
        var stamped = Timed("Stamped", "2025-03-02T10:00:00Z", "2025-03-02T11:00:00Z").Also(e =>
        {
            e["extendedProperties"] = new JsonObject { ["private"] = new JsonObject { ["creatioId"] = "42", ["hash"] = "h1" } };
            e["attendees"] = new JsonArray(new JsonObject { ["email"] = "guest@example.com" });
            e["conferenceData"] = new JsonObject { ["conferenceId"] = "abc-defg-hij" };
        });
        var quiet = await world.InsertAsync(stamped, "?sendUpdates=none");
        await world.InsertAsync(Timed("Plain", "2025-03-02T10:00:00Z", "2025-03-02T11:00:00Z"));
        Assert.False(world.Calendar.InvitationsSent);
        var withConference = await world.InsertAsync((JsonObject)stamped.DeepClone(), "?sendUpdates=all&conferenceDataVersion=1");

        var (found, last, _) = await world.ListAllAsync("privateExtendedProperty=creatioId%3D42&privateExtendedProperty=hash%3Dh1");
        var (none, _, _) = await world.ListAllAsync("privateExtendedProperty=creatioId%3D43");

        Assert.Equal(2, found.Count);
        Assert.Null(last["nextSyncToken"]); // a filtered listing cannot be continued with a sync token
        Assert.Empty(none);
        Assert.Equal("42", quiet["extendedProperties"]!["private"]!["creatioId"]!.GetValue<string>());
        Assert.Null(quiet["conferenceData"]); // conferenceDataVersion 0 ignores it
        Assert.Equal("abc-defg-hij", withConference["conferenceData"]!["conferenceId"]!.GetValue<string>());
        Assert.True(world.Calendar.InvitationsSent);
        Assert.Equal(["none", null, "all"], world.Calendar.Writes.Select(w => w.SendUpdates));
    }

    [Fact]
    public async Task Scopes_follow_the_discovery_document_and_calendar_events_cannot_read_the_calendar_list()
    {
        await using var world = await StartAsync(EventsScope);
        var list = await world.GetAsync("calendars/primary/events");
        var insert = await world.SendAsync(HttpMethod.Post, "calendars/primary/events", Timed("X", "2025-03-02T10:00:00Z", "2025-03-02T11:00:00Z"));
        var calendarList = await world.GetAsync("users/me/calendarList");
        var calendar = await world.GetAsync("calendars/primary");
        world.SignIn("https://www.googleapis.com/auth/calendar.readonly");
        var readonlyInsert = await world.SendAsync(HttpMethod.Post, "calendars/primary/events", Timed("X", "2025-03-02T10:00:00Z", "2025-03-02T11:00:00Z"));
        var readonlyCalendar = await world.GetAsync("calendars/primary");
        var noToken = await world.SendAsync(HttpMethod.Get, "calendars/primary/events", token: "nope");
        var otherCalendar = await world.GetAsync("calendars/bob%40example.com/events");

        Assert.Equal(HttpStatusCode.OK, list.Status);
        Assert.Equal(HttpStatusCode.OK, insert.Status);
        Assert.Equal((HttpStatusCode.Forbidden, "insufficientPermissions"), (calendarList.Status, calendarList.Reason));
        Assert.Equal("ACCESS_TOKEN_SCOPE_INSUFFICIENT", calendarList.Body!["error"]!["details"]![0]!["reason"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Forbidden, calendar.Status);
        Assert.Equal(HttpStatusCode.Forbidden, readonlyInsert.Status);
        Assert.Equal("Europe/Berlin", readonlyCalendar.Body!["timeZone"]!.GetValue<string>());
        Assert.Equal((HttpStatusCode.Unauthorized, "authError"), (noToken.Status, noToken.Reason));
        Assert.Equal(HttpStatusCode.NotFound, otherCalendar.Status);
    }

    [Fact]
    public async Task Injected_faults_and_a_disabled_api_answer_in_googles_shapes_and_every_call_is_counted()
    {
        await using var world = await StartAsync();
        world.Calendar.InjectFailures(1, CalendarFault.RateLimitExceeded, "calendar.events.list", TimeSpan.FromSeconds(3));
        var rate = await world.GetAsync("calendars/primary/events");
        world.Calendar.InjectFailures(1, CalendarFault.TooManyRequests);
        var tooMany = await world.GetAsync("calendars/primary/events");
        world.Calendar.InjectFailures(1, CalendarFault.QuotaExceeded);
        var quota = await world.GetAsync("calendars/primary/events");
        world.Calendar.InjectFailures(1, CalendarFault.BackendError);
        var backend = await world.GetAsync("calendars/primary/events");
        var fine = await world.GetAsync("calendars/primary/events");
        world.Calendar.ApiDisabled = true;
        var disabled = await world.GetAsync("calendars/primary/events");

        Assert.Equal((HttpStatusCode.Forbidden, "rateLimitExceeded", TimeSpan.FromSeconds(3)), (rate.Status, rate.Reason, rate.RetryAfter));
        Assert.Equal("usageLimits", rate.Body!["error"]!["errors"]![0]!["domain"]!.GetValue<string>());
        Assert.Equal((HttpStatusCode.TooManyRequests, "rateLimitExceeded"), (tooMany.Status, tooMany.Reason));
        Assert.Equal((HttpStatusCode.Forbidden, "quotaExceeded"), (quota.Status, quota.Reason));
        Assert.Equal((HttpStatusCode.InternalServerError, "backendError"), (backend.Status, backend.Reason));
        Assert.Equal(HttpStatusCode.OK, fine.Status);
        Assert.Equal((HttpStatusCode.Forbidden, "accessNotConfigured"), (disabled.Status, disabled.Reason));
        Assert.Equal("PERMISSION_DENIED", disabled.Body!["error"]!["status"]!.GetValue<string>());
        Assert.Equal("SERVICE_DISABLED", disabled.Body!["error"]!["details"]![0]!["reason"]!.GetValue<string>());
        Assert.Equal("calendar-json.googleapis.com", disabled.Body!["error"]!["details"]![0]!["metadata"]!["service"]!.GetValue<string>());
        Assert.Equal(6, world.Calendar.CallCount("calendar.events.list"));
    }

    [Fact]
    public async Task Watch_sends_sync_then_exists_on_every_change_and_stops_with_the_channel()
    {
        await using var world = await StartAsync();
        await using var receiver = await NotificationReceiver.StartAsync();
        var expiration = world.Clock.GetUtcNow().AddDays(90).ToUnixTimeMilliseconds();
        var watch = await world.SendAsync(HttpMethod.Post, "calendars/primary/events/watch", new JsonObject
        {
            ["id"] = "channel-1", ["type"] = "web_hook", ["address"] = receiver.Address.ToString(), ["token"] = "secret-token", ["expiration"] = expiration,
        });
        await world.Calendar.WaitForNotificationsAsync(n => n.Count >= 1);
        await world.InsertAsync(Timed("A", "2025-03-02T10:00:00Z", "2025-03-02T11:00:00Z"));
        world.Calendar.UserCreate(Alice, Timed("B", "2025-03-02T12:00:00Z", "2025-03-02T13:00:00Z"));
        world.Calendar.SeedEvents(Alice, [Timed("Seeded", "2025-03-02T12:00:00Z", "2025-03-02T13:00:00Z")]);
        await world.Calendar.WaitForNotificationsAsync(n => n.Count >= 3);

        var resourceId = watch.Body!["resourceId"]!.GetValue<string>();
        var stopWrong = await world.SendAsync(HttpMethod.Post, "channels/stop", new JsonObject { ["id"] = "channel-1", ["resourceId"] = "other" });
        var stop = await world.SendAsync(HttpMethod.Post, "channels/stop", new JsonObject { ["id"] = "channel-1", ["resourceId"] = resourceId });
        world.Calendar.UserCreate(Alice, Timed("After stop", "2025-03-02T14:00:00Z", "2025-03-02T15:00:00Z"));
        await Task.Delay(200);

        Assert.Equal(HttpStatusCode.OK, watch.Status);
        Assert.Equal("api#channel", watch.Body!["kind"]!.GetValue<string>());
        Assert.Equal((world.Clock.GetUtcNow() + world.Calendar.MaxChannelLifetime).ToUnixTimeMilliseconds().ToString(), watch.Body!["expiration"]!.GetValue<string>());
        Assert.EndsWith("calendar/v3/calendars/primary/events?alt=json", watch.Body!["resourceUri"]!.GetValue<string>(), StringComparison.Ordinal);
        var received = receiver.Received.ToList();
        Assert.Equal(["sync", "exists", "exists"], received.Select(r => r.Headers["X-Goog-Resource-State"]));
        Assert.Equal(["1", "2", "3"], received.Select(r => r.Headers["X-Goog-Message-Number"]));
        Assert.All(received, r =>
        {
            Assert.Equal(0, r.BodyLength);
            Assert.Equal("channel-1", r.Headers["X-Goog-Channel-ID"]);
            Assert.Equal("secret-token", r.Headers["X-Goog-Channel-Token"]);
            Assert.Equal(resourceId, r.Headers["X-Goog-Resource-ID"]);
            Assert.True(DateTimeOffset.TryParse(r.Headers["X-Goog-Channel-Expiration"], out _));
            Assert.Contains("calendars/primary/events", r.Headers["X-Goog-Resource-URI"], StringComparison.Ordinal);
        });
        Assert.Equal(HttpStatusCode.NotFound, stopWrong.Status);
        Assert.Equal(HttpStatusCode.NoContent, stop.Status);
        Assert.Equal(3, world.Calendar.Notifications.Count);
    }

    [Fact]
    public async Task An_expired_channel_gets_nothing_and_a_stopped_one_can_linger_when_configured()
    {
        await using var world = await StartAsync();
        await using var receiver = await NotificationReceiver.StartAsync();
        world.Calendar.DeliverAfterStop = TimeSpan.FromMinutes(5);
        var shortLived = await world.SendAsync(HttpMethod.Post, "calendars/primary/events/watch", new JsonObject
        {
            ["id"] = "short", ["type"] = "web_hook", ["address"] = receiver.Address.ToString(),
            ["expiration"] = world.Clock.GetUtcNow().AddMinutes(10).ToUnixTimeMilliseconds(),
        });
        var lingering = await world.SendAsync(HttpMethod.Post, "calendars/primary/events/watch", new JsonObject
        {
            ["id"] = "lingering", ["type"] = "web_hook", ["address"] = receiver.Address.ToString(),
        });
        var duplicate = await world.SendAsync(HttpMethod.Post, "calendars/primary/events/watch", new JsonObject
        {
            ["id"] = "lingering", ["type"] = "web_hook", ["address"] = receiver.Address.ToString(),
        });
        var notHttps = await world.SendAsync(HttpMethod.Post, "calendars/primary/events/watch", new JsonObject
        {
            ["id"] = "plain", ["type"] = "web_hook", ["address"] = "http://broker.example.com/hook",
        });
        await world.SendAsync(HttpMethod.Post, "channels/stop", new JsonObject { ["id"] = "lingering", ["resourceId"] = lingering.Body!["resourceId"]!.GetValue<string>() });
        world.Clock.Advance(TimeSpan.FromMinutes(2));
        world.Calendar.UserCreate(Alice, Timed("Change", "2025-03-02T10:00:00Z", "2025-03-02T11:00:00Z"));
        world.Clock.Advance(TimeSpan.FromMinutes(10));
        world.Calendar.UserCreate(Alice, Timed("Later", "2025-03-02T10:00:00Z", "2025-03-02T11:00:00Z"));
        var notifications = await world.Calendar.WaitForNotificationsAsync(n => n.Count >= 4);
        await Task.Delay(200);

        Assert.Equal(HttpStatusCode.OK, shortLived.Status);
        Assert.Equal(HttpStatusCode.BadRequest, duplicate.Status);
        Assert.Equal(HttpStatusCode.BadRequest, notHttps.Status);
        Assert.Equal(
            ["short:sync", "lingering:sync", "short:exists", "lingering:exists"],
            world.Calendar.Notifications.Select(n => $"{n.ChannelId}:{n.ResourceState}"));
        Assert.All(notifications, n => Assert.Equal(200, n.StatusCode));
    }

    [Fact]
    public async Task Seeds_and_user_edits_are_not_calls_and_user_edits_change_the_etag()
    {
        await using var world = await StartAsync();
        var id = world.Calendar.SeedEvents(Alice, [Timed("Seed", "2025-03-02T10:00:00Z", "2025-03-02T11:00:00Z")])[0];
        var before = world.Calendar.Event(Alice, id)!;

        world.Clock.Advance(TimeSpan.FromSeconds(5));
        var edited = world.Calendar.UserEdit(Alice, id, new JsonObject { ["location"] = "Room 1" });

        Assert.Equal(0, world.Calendar.TotalCalls);
        Assert.NotEqual(before["etag"]!.GetValue<string>(), edited["etag"]!.GetValue<string>());
        Assert.Equal("Room 1", world.Calendar.Event(Alice, id)!["location"]!.GetValue<string>());
        Assert.Empty(world.Calendar.Writes);
    }
}

internal static class JsonObjectExtensions
{
    public static JsonObject Also(this JsonObject obj, Action<JsonObject> change)
    {
        change(obj);
        return obj;
    }
}
