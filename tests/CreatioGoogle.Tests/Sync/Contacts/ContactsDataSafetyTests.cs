using System.Text.Json.Nodes;
using Azure.Data.Tables;
using CreatioGoogle.Broker.Google;
using CreatioGoogle.Broker.Storage;
using CreatioGoogle.Broker.Sync;
using CreatioGoogle.Broker.Sync.Contacts;
using Microsoft.Extensions.DependencyInjection;

namespace CreatioGoogle.Tests.Sync.Contacts;

/// <summary>
/// The contacts sync loses nothing it does not own (issue 8, items 3, 4, 5 and 11's neighbours): Google sub-fields outside
/// the mapping survive a Creatio edit, renamed Google contacts are followed, create answers are matched by stamp, a
/// refused sync token costs one full listing, old cursor rows keep their place, and a dead grant stops a run cleanly.
/// </summary>
public sealed class ContactsDataSafetyTests
{
    [Fact]
    public async Task A_Creatio_edit_changes_only_the_mapped_sub_fields_and_keeps_every_other_Google_field_as_it_was()
    {
        await using var world = await ContactsWorld.StartAsync();
        var group = await world.GroupAsync();
        var original = FullyFilledContact(group);
        var id = world.People.SeedContacts(ContactsWorld.Email, [original]).Single();
        await world.SyncAsync();
        var before = world.People.Peek(ContactsWorld.Email, id)!;
        var copy = Guid.Parse(Assert.Single(world.OwnedCreatioContacts())["Id"]!.GetValue<string>());
        Assert.Equal("primary@example.com", world.Creatio.GetContact(copy)!["Email"]!.GetValue<string>()); // the sourcePrimary one

        world.Broker.Clock.Advance(TimeSpan.FromMinutes(1));
        world.Creatio.SimulateUserEdit(copy, new JsonObject
        {
            ["GivenName"] = "Augusta", ["Email"] = "augusta@example.com", ["JobTitle"] = "Countess", ["Notes"] = "<p>met again</p>",
            ["MobilePhone"] = "+44 7700 900002",
        });
        await world.SyncAsync();
        var after = world.People.Peek(ContactsWorld.Email, id)!;

        // The mapped values changed...
        Assert.Equal("Augusta", after["names"]![0]!["givenName"]!.GetValue<string>());
        Assert.Equal("augusta@example.com", after["emailAddresses"]![1]!["value"]!.GetValue<string>());
        Assert.Equal("Countess", after["organizations"]![0]!["title"]!.GetValue<string>());
        Assert.Equal("<p>met again</p>", after["biographies"]![0]!["value"]!.GetValue<string>());
        Assert.Equal("+44 7700 900002", after["phoneNumbers"]!.AsArray().Single(p => p!["type"]!.GetValue<string>() == "mobile")!["value"]!.GetValue<string>());

        // ...and every sub-field the broker does not own is exactly as Google had it, field by field.
        AssertSameExcept(before["names"]![0]!, after["names"]![0]!, "givenName", "displayName");
        AssertSameExcept(before["emailAddresses"]![0]!, after["emailAddresses"]![0]!);
        AssertSameExcept(before["emailAddresses"]![1]!, after["emailAddresses"]![1]!, "value");
        Assert.True(after["emailAddresses"]![1]!["metadata"]!["primary"]!.GetValue<bool>(), "the primary e-mail is still primary");
        AssertSameExcept(before["organizations"]![0]!, after["organizations"]![0]!, "title");
        AssertSameExcept(before["organizations"]![1]!, after["organizations"]![1]!);
        AssertSameExcept(before["biographies"]![0]!, after["biographies"]![0]!, "value");
        AssertSameExcept(before["birthdays"]![0]!, after["birthdays"]![0]!);
        AssertSameExcept(before["phoneNumbers"]![0]!, after["phoneNumbers"]![0]!);
        foreach (var untouched in (string[])["addresses", "urls", "nicknames", "userDefined", "relations", "clientData", "memberships"])
        {
            Assert.True(JsonNode.DeepEquals(before[untouched], after[untouched]), $"{untouched} changed: {before[untouched]} → {after[untouched]}");
        }

        world.ResetCounters();
        await world.SyncAsync();
        Assert.Equal(0, world.GoogleWrites() + world.CreatioWrites());
    }

    [Fact]
    public async Task A_Google_contact_whose_resource_name_changes_is_followed_not_copied_again()
    {
        await using var world = await ContactsWorld.StartAsync();
        var group = await world.GroupAsync();
        var oldName = world.SeedGoogle(group, "Grace", "Hopper");
        await world.SyncAsync();
        var graceInCreatio = Guid.Parse(Assert.Single(world.OwnedCreatioContacts())["Id"]!.GetValue<string>());

        var newName = world.People.RenameContact(ContactsWorld.Email, oldName);
        await world.SyncAsync();

        Assert.Single(world.OwnedCreatioContacts());
        var link = Assert.Single(await world.LinksAsync());
        Assert.Equal(newName, link.GoogleId);
        Assert.Equal(graceInCreatio.ToString("D"), link.CreatioId);

        world.Creatio.SimulateUserEdit(graceInCreatio, new JsonObject { ["JobTitle"] = "Rear Admiral" });
        await world.SyncAsync();
        Assert.Equal("Rear Admiral", Assert.Single(await world.GoogleContactsAsync()).Organizations![0].Title);
        await ContactsSyncCrashTests.AssertConsistentAsync(world, "after a rename", 1);
    }

    [Fact]
    public async Task A_rename_seen_only_by_a_full_listing_is_followed_for_Google_and_for_Creatio_made_contacts()
    {
        await using var world = await ContactsWorld.StartAsync();
        world.People.SyncTokenLifetime = TimeSpan.FromHours(1);
        var group = await world.GroupAsync();
        var grace = world.SeedGoogle(group, "Grace", "Hopper");
        world.SeedCreatio("Ada", "Lovelace");
        await world.SyncAsync();
        var ada = (await world.GoogleContactsAsync()).Single(p => p.Names![0].FamilyName == "Lovelace").ResourceName!;

        // Both renamed while the sync token expires: the next run lists in full, where Google names no former resource names.
        var newGrace = world.People.RenameContact(ContactsWorld.Email, grace);
        var newAda = world.People.RenameContact(ContactsWorld.Email, ada);
        world.Broker.Clock.Advance(TimeSpan.FromHours(2));
        await world.SyncAsync();

        Assert.Equal(2, world.OwnedCreatioContacts().Count);
        Assert.Equal(new[] { newAda, newGrace }.Order(), (await world.LinksAsync()).Where(l => l.GoneSide is null).Select(l => l.GoogleId).Order());
        await ContactsSyncCrashTests.AssertConsistentAsync(world, "after renames seen by a full listing", 2);
    }

    [Fact]
    public async Task Created_Google_contacts_are_matched_to_their_Creatio_contacts_by_stamp_whatever_order_Google_answers_in()
    {
        await using var world = await ContactsWorld.StartAsync();
        Assert.True(world.People.ShuffleBatchCreateResults);
        await world.GroupAsync();
        for (var i = 0; i < 30; i++)
        {
            world.SeedCreatio("Person" + i, "Creatio", $"p{i}@example.com");
        }

        await world.SyncAsync();

        var google = (await world.GoogleContactsAsync()).ToDictionary(p => p.ResourceName!);
        var creatio = world.OwnedCreatioContacts().ToDictionary(c => c["Id"]!.GetValue<string>());
        var links = await world.LinksAsync();
        Assert.Equal(30, links.Count);
        foreach (var link in links)
        {
            var person = google[link.GoogleId];
            Assert.Equal(link.CreatioId, ContactMapping.StampedCreatioId(person)!.Value.ToString("D"));
            Assert.Equal(creatio[link.CreatioId]["GivenName"]!.GetValue<string>(), person.Names![0].GivenName);
        }

        world.ResetCounters();
        await world.SyncAsync();
        Assert.Equal(0, world.GoogleWrites() + world.CreatioWrites());
    }

    [Fact]
    public async Task A_sync_token_refused_with_another_400_is_dropped_once_for_a_full_listing_that_relinks()
    {
        await using var world = await ContactsWorld.StartAsync();
        var group = await world.GroupAsync();
        world.SeedGoogle(group, "Grace", "Hopper");
        world.SeedCreatio("Ada", "Lovelace");
        await world.SyncAsync();

        // A token the sandbox never issued (as after a restart of it): 400 INVALID_ARGUMENT, not EXPIRED_SYNC_TOKEN.
        await SetStateAsync(world, s => s.GoogleSyncToken = "sbx-st-from-another-life");
        world.ResetCounters();
        Assert.Equal(SyncRunOutcome.Completed, await world.SyncAsync());

        Assert.Equal(2, world.People.CallCount("people.connections.list")); // the refused incremental, then the full listing
        Assert.Equal(0, world.GoogleWrites() + world.CreatioWrites());
        Assert.NotEqual("sbx-st-from-another-life", (await world.StateAsync()).GoogleSyncToken);
        Assert.StartsWith("full", (await world.CursorAsync())!.LastRunSummary, StringComparison.Ordinal);
        await ContactsSyncCrashTests.AssertConsistentAsync(world, "after a refused token", 2);
    }

    [Fact]
    public async Task A_full_listing_that_fails_after_a_refused_token_fails_the_run_instead_of_trying_again()
    {
        await using var world = await ContactsWorld.StartAsync();
        var group = await world.GroupAsync();
        world.SeedGoogle(group, "Grace", "Hopper");
        await world.SyncAsync();
        await SetStateAsync(world, s => s.GoogleSyncToken = "sbx-st-from-another-life");
        world.People.InjectFailures(2, 400, method: "people.connections.list");
        world.ResetCounters();

        await Assert.ThrowsAsync<GoogleApiException>(world.SyncAsync);

        Assert.Equal(2, world.People.CallCount("people.connections.list"));
        Assert.Equal("sbx-st-from-another-life", (await world.StateAsync()).GoogleSyncToken); // nothing moved
        Assert.Equal(SyncRunOutcome.Completed, await world.SyncAsync());
    }

    [Fact]
    public async Task A_cursor_row_from_before_feature_state_keeps_its_place_and_moves_its_columns_into_the_state()
    {
        await using var world = await ContactsWorld.StartAsync();
        var group = await world.GroupAsync();
        world.SeedGoogle(group, "Grace", "Hopper");
        await world.SyncAsync();
        var state = await world.StateAsync();
        var cursor = (await world.CursorAsync())!;

        // The row as the broker wrote it before: contacts' values as columns of their own, no FeatureState.
        var table = await world.Broker.Services.GetRequiredService<BrokerTables>().GetAsync(BrokerTables.Cursors, CancellationToken.None);
        await table.UpsertEntityAsync(new TableEntity(cursor.PartitionKey, cursor.RowKey)
        {
            ["TenantId"] = cursor.TenantId, ["LastFullSyncAt"] = cursor.LastFullSyncAt, ["LastRunStartedAt"] = cursor.LastRunStartedAt,
            ["LastSuccessAt"] = cursor.LastSuccessAt, ["GoogleSyncToken"] = state.GoogleSyncToken, ["CreatioModifiedSince"] = state.CreatioModifiedSince,
            ["GoogleGroupResourceName"] = state.GoogleGroupResourceName, ["GoogleGroupName"] = state.GoogleGroupName, ["CreatioOwnerId"] = state.CreatioOwnerId,
        }, TableUpdateMode.Replace);
        world.ResetCounters();

        await world.SyncAsync();

        Assert.StartsWith("incremental", (await world.CursorAsync())!.LastRunSummary, StringComparison.Ordinal);
        Assert.Equal(1, world.People.TotalCalls); // the old token, no group lookup
        Assert.Equal(1, world.Creatio.RequestCount); // the old ModifiedOn cursor, no owner lookup
        var migrated = await world.StateAsync();
        Assert.Equal((state.GoogleGroupResourceName, state.CreatioOwnerId), (migrated.GoogleGroupResourceName, migrated.CreatioOwnerId));
        Assert.NotNull(migrated.GoogleSyncToken);
    }

    [Fact]
    public async Task A_grant_revoked_during_a_sync_stops_the_run_as_reconnect_needed_without_a_reconnect_link()
    {
        await using var world = await ContactsWorld.StartAsync();
        var group = await world.GroupAsync();
        world.SeedGoogle(group, "Grace", "Hopper");
        await world.SyncAsync();
        var pendingBefore = await CountAsync(world, BrokerTables.AuthStates);

        world.Broker.Google.RevokeAllFor(ContactsWorld.Email);
        world.SeedGoogle(group, "Edsger", "Dijkstra");

        Assert.Equal(SyncRunOutcome.ReconnectNeeded, await world.SyncAsync());

        var cursor = (await world.CursorAsync())!;
        Assert.StartsWith("Reconnect needed", cursor.LastError, StringComparison.Ordinal);
        Assert.Null(cursor.LeaseOwner);
        Assert.Equal(pendingBefore, await CountAsync(world, BrokerTables.AuthStates));
        Assert.Equal("reconnect_needed", (await world.Broker.ReloadAsync(world.Connection)).Status);
        Assert.Single(world.OwnedCreatioContacts());
    }

    [Fact]
    public async Task A_Google_contact_edited_while_the_sync_updates_it_is_read_again_and_decided_again_not_overwritten_blindly()
    {
        await using var world = await ContactsWorld.StartAsync();
        var group = await world.GroupAsync();
        var grace = world.SeedGoogle(group, "Grace", "Hopper");
        await world.SyncAsync();
        var copy = Guid.Parse(Assert.Single(world.OwnedCreatioContacts())["Id"]!.GetValue<string>());

        // Creatio changes the job title; between the sync's read of the Google contact and its update, the user renames her in Google.
        world.Broker.Clock.Advance(TimeSpan.FromMinutes(1));
        world.Creatio.SimulateUserEdit(copy, new JsonObject { ["JobTitle"] = "Rear Admiral" });
        world.Broker.Clock.Advance(TimeSpan.FromMinutes(1));
        world.Fault.BeforeNextWrite("batchUpdateContacts", () => world.GoogleEditAsync(grace, p => p.Names![0].GivenName = "Amazing Grace", "names"));
        world.ResetCounters();

        Assert.Equal(SyncRunOutcome.Completed, await world.SyncAsync());

        // Counted since the racing edit (which resets the counters): the update with the stale etag was refused, the contact
        // read again, and the conflict decided (the later change, Google's, wins): nothing more is written to Google.
        Assert.Equal(1, world.People.CallCount("people.batchUpdateContacts"));
        Assert.Equal(1, world.People.CallCount("people.getBatchGet"));
        Assert.Equal("Amazing Grace", world.Creatio.GetContact(copy)!["GivenName"]!.GetValue<string>());
        Assert.Equal("Amazing Grace", Assert.Single(await world.GoogleContactsAsync()).Names![0].GivenName);
        await ContactsSyncCrashTests.AssertConsistentAsync(world, "after an edit raced the update", 1);
    }

    /// <summary>A contact with every sub-field Google has and the sync does not own.</summary>
    private static JsonObject FullyFilledContact(string group) => (JsonObject)JsonNode.Parse($$"""
        {
          "names": [{ "givenName": "Ada", "middleName": "King", "familyName": "Lovelace", "honorificPrefix": "Lady", "honorificSuffix": "FRS",
                      "phoneticGivenName": "AY-da", "phoneticFamilyName": "LUV-lace", "phoneticMiddleName": "king", "phoneticFullName": "AY-da LUV-lace",
                      "phoneticHonorificPrefix": "LAY-dee", "phoneticHonorificSuffix": "eff-ar-ess", "unstructuredName": "Lady Ada King Lovelace" }],
          "emailAddresses": [{ "value": "other@example.com", "type": "home", "displayName": "Ada at home" },
                             { "value": "primary@example.com", "type": "work", "displayName": "Ada at work", "metadata": { "sourcePrimary": true } }],
          "phoneNumbers": [{ "value": "+44 20 7946 0001", "type": "home" }, { "value": "+44 7700 900001", "type": "mobile" }],
          "organizations": [{ "name": "Analytical Engines Ltd", "title": "Analyst", "department": "Research", "type": "work", "current": true,
                              "startDate": { "year": 1833, "month": 6, "day": 5 }, "endDate": { "year": 1852, "month": 11, "day": 27 },
                              "location": "London", "domain": "engines.example", "jobDescription": "Notes on the engine", "symbol": "AEL",
                              "phoneticName": "ah-nah-LIT-i-cal", "costCenter": "R&D", "fullTimeEquivalentMillipercent": 50000 },
                            { "name": "Royal Society", "type": "school", "current": false }],
          "biographies": [{ "value": "<p>first programmer</p>", "contentType": "TEXT_HTML" }],
          "birthdays": [{ "date": { "year": 1815, "month": 12, "day": 10 }, "text": "10 December 1815" }],
          "addresses": [{ "streetAddress": "12 St James's Square", "city": "London", "type": "home" }],
          "urls": [{ "value": "https://example.com/ada", "type": "homePage" }],
          "nicknames": [{ "value": "Enchantress of Numbers" }],
          "relations": [{ "person": "Charles Babbage", "type": "friend" }],
          "userDefined": [{ "key": "favourite", "value": "Bernoulli numbers" }],
          "memberships": [{ "contactGroupMembership": { "contactGroupResourceName": "{{group}}" } }]
        }
        """)!;

    private static void AssertSameExcept(JsonNode before, JsonNode after, params string[] owned)
    {
        var b = (JsonObject)before.DeepClone();
        var a = (JsonObject)after.DeepClone();
        foreach (var name in owned.Append("metadata"))
        {
            b.Remove(name);
            a.Remove(name);
        }

        Assert.True(JsonNode.DeepEquals(b, a), $"changed: {b.ToJsonString()} → {a.ToJsonString()}");
    }

    private static async Task SetStateAsync(ContactsWorld world, Action<ContactsState> change)
    {
        var cursor = (await world.CursorAsync())!;
        var state = cursor.ReadState<ContactsState>();
        change(state);
        cursor.WriteState(state);
        await world.Broker.Services.GetRequiredService<CursorStore>().SaveHeldAsync(cursor, release: false, CancellationToken.None);
    }

    private static async Task<int> CountAsync(ContactsWorld world, string tableName)
    {
        var table = await world.Broker.Services.GetRequiredService<BrokerTables>().GetAsync(tableName, CancellationToken.None);
        var count = 0;
        await foreach (var _ in table.QueryAsync<TableEntity>(select: ["PartitionKey"]))
        {
            count++;
        }

        return count;
    }
}
