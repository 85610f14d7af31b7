using System.Text.Json.Nodes;
using CreatioGoogle.Broker.Sync;

namespace CreatioGoogle.Tests.Sync.Contacts;

/// <summary>
/// Contacts on the engine-level crash test: a run killed at each of its writes, then run again without the fault, ends
/// with both sides consistent, no duplicate on either side, and a cursor that only moved on the successful run.
/// </summary>
public sealed class ContactsSyncCrashTests
{
    [Fact]
    public Task A_first_sync_killed_after_any_write_and_run_again_ends_consistent_without_duplicates() =>
        CrashAtEveryWrite.RunAsync(() => ContactsWorld.StartAsync(),
            async world =>
            {
                world.SeedCreatio("Ada", "Lovelace", "ada@example.com");
                world.SeedCreatio("Alan", "Turing");
                var group = await world.GroupAsync();
                world.SeedGoogle(group, "Grace", "Hopper");
                world.SeedGoogle(group, "Edsger", "Dijkstra");
            },
            async (world, why) =>
            {
                Assert.NotNull((await world.StateAsync()).GoogleSyncToken);
                await AssertConsistentAsync(world, why, 4);
            });

    [Fact]
    public Task An_incremental_sync_killed_after_any_write_and_run_again_applies_every_edit_once() =>
        CrashAtEveryWrite.RunAsync(() => ContactsWorld.StartAsync(),
            async world =>
            {
                var ada = world.SeedCreatio("Ada", "Lovelace");
                var group = await world.GroupAsync();
                var grace = world.SeedGoogle(group, "Grace", "Hopper");
                await world.SyncAsync();

                world.Broker.Clock.Advance(TimeSpan.FromMinutes(1));
                await world.GoogleEditAsync(grace, p => p.Names![0].GivenName = "Amazing Grace", "names");
                world.Creatio.SimulateUserEdit(ada, new JsonObject { ["JobTitle"] = "Countess" });
                world.SeedCreatio("Alan", "Turing");
            },
            async (world, why) =>
            {
                await AssertConsistentAsync(world, why, 3);
                Assert.Contains(world.OwnedCreatioContacts(), c => c["GivenName"]!.GetValue<string>() == "Amazing Grace");
                Assert.Contains(await world.GoogleContactsAsync(), p => p.Organizations?.FirstOrDefault()?.Title == "Countess");
            });

    [Fact]
    public async Task A_Google_create_that_never_reached_Google_is_made_on_the_next_run_exactly_once()
    {
        await using var world = await ContactsWorld.StartAsync();
        world.SeedCreatio("Ada", "Lovelace");
        await world.GroupAsync();

        // The batch create dies before reaching Google: the intent was saved, the outcome is unknown to the run.
        world.Fault.Arm(1, beforeSend: true);
        await Assert.ThrowsAsync<HttpRequestException>(world.SyncAsync);
        world.Fault.Disarm();

        // The next run looks the intent up by its stamp, finds nothing, and creates it: no waiting, no duplicate.
        world.ResetCounters();
        await world.SyncAsync();
        Assert.Equal(1, world.People.CallCount("contactGroups.get"));
        Assert.Equal(1, world.People.CallCount("people.batchCreateContacts"));
        await AssertConsistentAsync(world, "after a create that never reached Google", 1);
    }

    [Fact]
    public async Task A_Google_create_whose_answer_was_lost_is_confirmed_by_its_stamp_on_the_next_run_and_not_made_again()
    {
        await using var world = await ContactsWorld.StartAsync();
        world.SeedCreatio("Ada", "Lovelace");
        world.SeedCreatio("Alan", "Turing");
        await world.GroupAsync();

        // Google's sync listings show a write minutes later: the next run's listing cannot see the contacts it made.
        world.People.PropagationDelay = TimeSpan.FromMinutes(5);
        world.Fault.Arm(1);
        await Assert.ThrowsAsync<SimulatedCrashException>(world.SyncAsync);
        world.Fault.Disarm();
        Assert.Equal(2, world.People.ContactCount(ContactsWorld.Email));

        world.ResetCounters();
        await world.SyncAsync();
        Assert.Equal(0, world.People.CallCount("people.batchCreateContacts"));
        Assert.Equal(2, world.People.ContactCount(ContactsWorld.Email));
        var links = await world.LinksAsync();
        Assert.Equal(2, links.Count);
        Assert.DoesNotContain(links, l => SyncDecision.IsPending(l));

        world.Broker.Clock.Advance(TimeSpan.FromMinutes(6));
        await AssertConsistentAsync(world, "after a create whose answer was lost", 2);
    }

    [Fact]
    public async Task A_Google_create_refused_by_Google_takes_back_its_intent_and_is_retried_next_run()
    {
        await using var world = await ContactsWorld.StartAsync();
        world.SeedCreatio("Ada", "Lovelace");
        await world.GroupAsync();
        world.People.InjectFailures(1, 503, method: "people.batchCreateContacts");

        var refused = await Assert.ThrowsAsync<SyncIncompleteException>(world.SyncAsync);
        Assert.Contains("503", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await world.LinksAsync());

        await world.SyncAsync();
        await AssertConsistentAsync(world, "after a refused create", 1);
    }

    /// <summary>Both sides hold the same contacts, once each, every pair linked, and one more run writes nothing.</summary>
    internal static async Task AssertConsistentAsync(ContactsWorld world, string why, int expected)
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
