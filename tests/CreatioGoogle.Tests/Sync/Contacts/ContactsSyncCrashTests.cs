using System.Text.Json.Nodes;
using CreatioGoogle.Broker.Google.People;
using CreatioGoogle.Broker.Sync;

namespace CreatioGoogle.Tests.Sync.Contacts;

/// <summary>
/// A run killed at each of its writes, then run again without the fault, ends with both sides consistent, no
/// duplicate on either side, and a cursor that only moved on the successful run.
/// </summary>
public sealed class ContactsSyncCrashTests
{
    [Fact]
    public async Task A_first_sync_killed_after_any_write_and_run_again_ends_consistent_without_duplicates()
    {
        for (var crashAfter = 1; ; crashAfter++)
        {
            await using var world = await ContactsWorld.StartAsync();
            world.SeedCreatio("Ada", "Lovelace", "ada@example.com");
            world.SeedCreatio("Alan", "Turing");
            var group = await world.GroupAsync();
            world.SeedGoogle(group, "Grace", "Hopper");
            world.SeedGoogle(group, "Edsger", "Dijkstra");

            world.Fault.Arm(crashAfter);
            var crashed = await RunAsync(world);
            world.Fault.Disarm();
            if (!crashed)
            {
                // Every write point has been tried (group, Google batch create, Creatio $batch).
                Assert.True(crashAfter > 2, $"expected at least 2 write points, found {crashAfter - 1}");
                return;
            }

            var afterCrash = (await world.CursorAsync())!;
            Assert.Null(afterCrash.GoogleSyncToken);
            Assert.Null(afterCrash.LastSuccessAt);

            Assert.Equal(SyncRunOutcome.Completed, await world.SyncAsync());
            await AssertConsistentAsync(world, $"crash after write {crashAfter}", 4);
            Assert.NotNull((await world.CursorAsync())!.GoogleSyncToken);
        }
    }

    [Fact]
    public async Task An_incremental_sync_killed_after_any_write_and_run_again_applies_every_edit_once()
    {
        for (var crashAfter = 1; ; crashAfter++)
        {
            await using var world = await ContactsWorld.StartAsync();
            var ada = world.SeedCreatio("Ada", "Lovelace");
            var group = await world.GroupAsync();
            var grace = world.SeedGoogle(group, "Grace", "Hopper");
            await world.SyncAsync();
            var tokenBefore = (await world.CursorAsync())!.GoogleSyncToken;

            world.Broker.Clock.Advance(TimeSpan.FromMinutes(1));
            await world.GoogleEditAsync(grace, p => p.Names![0].GivenName = "Amazing Grace", "names");
            world.Creatio.SimulateUserEdit(ada, new JsonObject { ["JobTitle"] = "Countess" });
            world.SeedCreatio("Alan", "Turing");

            world.Fault.Arm(crashAfter);
            var crashed = await RunAsync(world);
            world.Fault.Disarm();
            if (!crashed)
            {
                Assert.True(crashAfter > 2, $"expected at least 2 write points, found {crashAfter - 1}");
                return;
            }

            Assert.Equal(tokenBefore, (await world.CursorAsync())!.GoogleSyncToken);
            Assert.Equal(SyncRunOutcome.Completed, await world.SyncAsync());
            Assert.NotEqual(tokenBefore, (await world.CursorAsync())!.GoogleSyncToken);

            var why = $"crash after write {crashAfter}";
            await AssertConsistentAsync(world, why, 3);
            Assert.Contains(world.OwnedCreatioContacts(), c => c["GivenName"]!.GetValue<string>() == "Amazing Grace");
            Assert.Contains(await world.GoogleContactsAsync(), p => p.Organizations?.FirstOrDefault()?.Title == "Countess");
        }
    }

    [Fact]
    public async Task A_Google_create_whose_outcome_is_unknown_is_not_repeated_until_the_grace_period_ends()
    {
        await using var world = await ContactsWorld.StartAsync();
        world.SeedCreatio("Ada", "Lovelace");
        await world.GroupAsync();

        // The batch create dies before reaching Google (the intent was saved, the outcome is unknown to the run).
        world.Fault.Arm(1, beforeSend: true);
        await Assert.ThrowsAsync<HttpRequestException>(world.SyncAsync);
        world.Fault.Disarm();

        await world.SyncAsync();
        Assert.Empty(await world.GoogleContactsAsync()); // not re-created yet: Google may list it later
        Assert.Contains("awaiting 1", (await world.CursorAsync())!.LastRunSummary, StringComparison.Ordinal);

        world.Broker.Clock.Advance(TimeSpan.FromMinutes(31));
        await world.SyncAsync();
        await AssertConsistentAsync(world, "after the grace period", 1);
    }

    [Fact]
    public async Task A_Google_create_refused_by_Google_takes_back_its_intent_and_is_retried_next_run()
    {
        await using var world = await ContactsWorld.StartAsync();
        world.SeedCreatio("Ada", "Lovelace");
        await world.GroupAsync();
        world.People.InjectFailures(1, 503, method: "people.batchCreateContacts");

        await Assert.ThrowsAsync<PeopleApiException>(world.SyncAsync);
        Assert.Empty(await world.LinksAsync());

        await world.SyncAsync();
        await AssertConsistentAsync(world, "after a refused create", 1);
    }

    private static async Task<bool> RunAsync(ContactsWorld world)
    {
        try
        {
            await world.SyncAsync();
            return false;
        }
        catch (SimulatedCrashException)
        {
            return true;
        }
    }

    /// <summary>Both sides hold the same contacts, once each, every pair linked, and one more run writes nothing.</summary>
    private static async Task AssertConsistentAsync(ContactsWorld world, string why, int expected)
    {
        var google = await world.GoogleContactsAsync();
        var creatio = world.OwnedCreatioContacts();
        Assert.True(expected == google.Count, $"{why}: {google.Count} Google contacts, expected {expected}");
        Assert.True(expected == creatio.Count, $"{why}: {creatio.Count} Creatio contacts, expected {expected}");
        var googleNames = google.Select(p => $"{p.Names![0].GivenName} {p.Names[0].FamilyName}").Order().ToList();
        var creatioNames = creatio.Select(c => $"{c["GivenName"]} {c["Surname"]}").Order().ToList();
        Assert.Equal(googleNames, creatioNames);
        var links = (await world.LinksAsync()).Where(l => l.GoneSide is null).ToList();
        Assert.True(expected == links.Count, $"{why}: {links.Count} links, expected {expected}");
        Assert.DoesNotContain(links, l => l.GoogleId.StartsWith("pending:", StringComparison.Ordinal));
        Assert.Equal(google.Select(p => p.ResourceName).Order(), links.Select(l => l.GoogleId).Order());

        world.ResetCounters();
        await world.SyncAsync();
        Assert.True(world.GoogleWrites() + world.CreatioWrites() == 0, $"{why}: a further run wrote {world.GoogleWrites()} to Google, {world.CreatioWrites()} to Creatio");
    }
}
