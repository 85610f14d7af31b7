using System.Text.Json.Nodes;
using CreatioGoogle.Broker.Google.People;
using CreatioGoogle.Broker.Sync;
using CreatioGoogle.Broker.Sync.Contacts;
using CreatioGoogle.Sandbox.Creatio;

namespace CreatioGoogle.Tests.Sync.Contacts;

/// <summary>The contacts sync end to end: Azurite, sandbox People and sandbox Creatio over HTTP, the real runner.</summary>
public sealed class ContactsSyncTests
{
    [Fact]
    public async Task New_contacts_on_each_side_are_created_on_the_other_linked_and_a_second_run_writes_nothing()
    {
        await using var world = await ContactsWorld.StartAsync();
        var group = await world.GroupAsync();
        var fromGoogle = world.SeedGoogle(group, "Grace", "Hopper", "grace@navy.example", workPhone: "+1 555 0100");
        world.SeedGoogle("contactGroups/myContacts", "Not", "Synced");
        var fromCreatio = world.SeedCreatio("Ada", "Lovelace", "ada@example.com");
        world.SeedCreatio("Other", "Owner", owner: Guid.NewGuid());

        Assert.Equal(SyncRunOutcome.Completed, await world.SyncAsync());

        var copyInCreatio = Assert.Single(world.OwnedCreatioContacts(), c => c["Surname"]!.GetValue<string>() == "Hopper");
        Assert.Equal("grace@navy.example", copyInCreatio["Email"]!.GetValue<string>());
        Assert.Equal("+1 555 0100", copyInCreatio["Phone"]!.GetValue<string>());
        Assert.Equal("Grace Hopper", copyInCreatio["Name"]!.GetValue<string>());
        var google = await world.GoogleContactsAsync();
        var copyInGoogle = Assert.Single(google, p => p.Names?.FirstOrDefault()?.FamilyName == "Lovelace");
        Assert.Contains(copyInGoogle.Memberships!, m => m.ContactGroupMembership?.ContactGroupResourceName == group);
        Assert.Equal(fromCreatio.ToString("D"), copyInGoogle.ClientData?.Single(c => c.Key == "creatioContactId").Value);
        Assert.Equal(3, google.Count);
        Assert.Equal(3, world.OwnedCreatioContacts().Count + 1); // "Other Owner" is not ours and was not copied
        var links = await world.LinksAsync();
        Assert.Equal(2, links.Count);
        Assert.Contains(links, l => l.GoogleId == fromGoogle && l.CreatioId == copyInCreatio["Id"]!.GetValue<string>());

        // Our own writes come back as echoes: the links absorb them, nothing is written on either side.
        world.ResetCounters();
        Assert.Equal(SyncRunOutcome.Completed, await world.SyncAsync());
        Assert.Equal(0, world.GoogleWrites());
        Assert.Equal(0, world.CreatioWrites());
        Assert.Equal(3, (await world.GoogleContactsAsync()).Count);
        Assert.Equal(2, world.OwnedCreatioContacts().Count);

        // Nothing changed: one People list call and one Creatio query, nothing else.
        world.ResetCounters();
        Assert.Equal(SyncRunOutcome.Completed, await world.SyncAsync());
        Assert.Equal(1, world.People.TotalCalls);
        Assert.Equal(1, world.People.CallCount("people.connections.list"));
        Assert.Equal(1, world.Creatio.RequestCount);
        Assert.Equal(1, world.Creatio.CountOf(CreatioRequestKind.Query));
    }

    [Fact]
    public async Task An_edit_on_either_side_updates_the_other_and_keeps_unmapped_Google_fields()
    {
        await using var world = await ContactsWorld.StartAsync();
        var group = await world.GroupAsync();
        var googleId = world.SeedGoogle(group, "Grace", "Hopper", "grace@navy.example", workPhone: "+1 555 0100", homePhone: "+1 555 0199");
        var creatioId = world.SeedCreatio("Ada", "Lovelace", "ada@example.com");
        await world.SyncAsync();
        var graceInCreatio = Guid.Parse(world.OwnedCreatioContacts().Single(c => c["Surname"]!.GetValue<string>() == "Hopper")["Id"]!.GetValue<string>());
        var adaInGoogle = (await world.GoogleContactsAsync()).Single(p => p.Names?.FirstOrDefault()?.FamilyName == "Lovelace").ResourceName!;

        world.Broker.Clock.Advance(TimeSpan.FromMinutes(1));
        await world.GoogleEditAsync(googleId, p => p.Organizations = [new Organization { Title = "Rear Admiral" }], "organizations");
        world.Creatio.SimulateUserEdit(creatioId, new JsonObject { ["MobilePhone"] = "+44 20 7946 0000", ["JobTitle"] = "Analyst" });
        await world.SyncAsync();

        Assert.Equal("Rear Admiral", world.Creatio.GetContact(graceInCreatio)!["JobTitle"]!.GetValue<string>());
        var ada = (await world.GoogleContactsAsync()).Single(p => p.ResourceName == adaInGoogle);
        Assert.Equal("+44 20 7946 0000", ada.PhoneNumbers!.Single(n => n.Type == "mobile").Value);
        Assert.Equal("Analyst", ada.Organizations!.Single().Title);

        // Creatio → Google for a contact this run does not read from Google: merged into the person as Google holds it.
        world.Creatio.SimulateUserEdit(graceInCreatio, new JsonObject { ["Phone"] = "+1 555 0111" });
        await world.SyncAsync();
        var grace = (await world.GoogleContactsAsync()).Single(p => p.ResourceName == googleId);
        Assert.Equal("+1 555 0111", grace.PhoneNumbers!.Single(n => n.Type == "work").Value);
        Assert.Equal("+1 555 0199", grace.PhoneNumbers!.Single(n => n.Type == "home").Value); // not mapped, kept
        Assert.Equal(2, world.OwnedCreatioContacts().Count);

        world.ResetCounters();
        await world.SyncAsync();
        Assert.Equal(0, world.GoogleWrites());
        Assert.Equal(0, world.CreatioWrites());
    }

    [Theory]
    [InlineData("google-later", "Google")]
    [InlineData("creatio-later", "Creatio")]
    public async Task A_conflict_is_won_by_the_later_change(string order, string winner)
    {
        await using var world = await ContactsWorld.StartAsync();
        var group = await world.GroupAsync();
        var googleId = world.SeedGoogle(group, "Grace", "Hopper");
        await world.SyncAsync();
        var creatioId = Guid.Parse(world.OwnedCreatioContacts().Single()["Id"]!.GetValue<string>());

        async Task EditGoogle() => await world.GoogleEditAsync(googleId, p => p.Names![0].GivenName = "Google", "names");
        void EditCreatio() => world.Creatio.SimulateUserEdit(creatioId, new JsonObject { ["GivenName"] = "Creatio" });
        world.Broker.Clock.Advance(TimeSpan.FromMinutes(1));
        if (order == "google-later")
        {
            EditCreatio();
            world.Broker.Clock.Advance(TimeSpan.FromMinutes(1));
            await EditGoogle();
        }
        else
        {
            await EditGoogle();
            world.Broker.Clock.Advance(TimeSpan.FromMinutes(1));
            EditCreatio();
        }

        await world.SyncAsync();

        Assert.Equal(winner, world.Creatio.GetContact(creatioId)!["GivenName"]!.GetValue<string>());
        Assert.Equal(winner, (await world.GoogleContactsAsync()).Single().Names![0].GivenName);
        world.ResetCounters();
        await world.SyncAsync();
        Assert.Equal(0, world.GoogleWrites() + world.CreatioWrites());
    }

    [Fact]
    public async Task ConflictPolicy_GoogleWins_overrides_a_later_Creatio_change()
    {
        await using var world = await ContactsWorld.StartAsync(s => s["ContactsSync:ConflictPolicy"] = "GoogleWins");
        var group = await world.GroupAsync();
        var googleId = world.SeedGoogle(group, "Grace", "Hopper");
        await world.SyncAsync();
        var creatioId = Guid.Parse(world.OwnedCreatioContacts().Single()["Id"]!.GetValue<string>());
        await world.GoogleEditAsync(googleId, p => p.Names![0].GivenName = "Google", "names");
        world.Broker.Clock.Advance(TimeSpan.FromMinutes(5));
        world.Creatio.SimulateUserEdit(creatioId, new JsonObject { ["GivenName"] = "Creatio" });

        await world.SyncAsync();

        Assert.Equal("Google", world.Creatio.GetContact(creatioId)!["GivenName"]!.GetValue<string>());
    }

    [Fact]
    public async Task By_default_a_delete_is_not_propagated_and_the_survivor_is_never_copied_back()
    {
        await using var world = await ContactsWorld.StartAsync();
        var group = await world.GroupAsync();
        var googleId = world.SeedGoogle(group, "Grace", "Hopper");
        var creatioId = world.SeedCreatio("Ada", "Lovelace");
        await world.SyncAsync();
        var adaInGoogle = (await world.GoogleContactsAsync()).Single(p => p.Names![0].FamilyName == "Lovelace").ResourceName!;

        await world.GoogleDeleteAsync(googleId);
        world.Creatio.SimulateUserEdit(creatioId, new JsonObject { ["Notes"] = "edited, then deleted" });
        await world.SyncAsync();
        Assert.Equal(2, world.OwnedCreatioContacts().Count); // Grace's Creatio copy is kept

        // Creatio deletions show in the forced full listing (6 days); it must not resurrect anything either.
        DeleteInCreatio(world, creatioId);
        world.Broker.Clock.Advance(TimeSpan.FromDays(6));
        world.ResetCounters();
        await world.SyncAsync();
        await world.SyncAsync();

        Assert.Contains((await world.GoogleContactsAsync()), p => p.ResourceName == adaInGoogle); // Ada's Google copy is kept
        Assert.Single(world.OwnedCreatioContacts());
        Assert.Single(await world.GoogleContactsAsync());
        Assert.Equal(0, world.People.CallCount("people.batchCreateContacts") + world.People.CallCount("people.batchDeleteContacts"));
        Assert.Equal(0, world.CreatioWrites());
    }

    [Fact]
    public async Task DeletePolicy_Propagate_deletes_the_copy_on_the_other_side()
    {
        await using var world = await ContactsWorld.StartAsync(s => s["ContactsSync:DeletePolicy"] = "Propagate");
        var group = await world.GroupAsync();
        var googleId = world.SeedGoogle(group, "Grace", "Hopper");
        var creatioId = world.SeedCreatio("Ada", "Lovelace");
        await world.SyncAsync();

        await world.GoogleDeleteAsync(googleId);
        await world.SyncAsync();
        Assert.DoesNotContain(world.OwnedCreatioContacts(), c => c["Surname"]!.GetValue<string>() == "Hopper");

        DeleteInCreatio(world, creatioId);
        world.Broker.Clock.Advance(TimeSpan.FromDays(6));
        await world.SyncAsync();
        Assert.Empty(await world.GoogleContactsAsync());
        Assert.Empty(world.OwnedCreatioContacts());
        Assert.Empty(await world.LinksAsync());
    }

    [Fact]
    public async Task A_contact_removed_from_the_group_is_unlinked_and_its_Creatio_copy_kept()
    {
        await using var world = await ContactsWorld.StartAsync(s => s["ContactsSync:DeletePolicy"] = "Propagate");
        var group = await world.GroupAsync();
        var googleId = world.SeedGoogle(group, "Grace", "Hopper");
        await world.SyncAsync();

        await world.PeopleClient.ModifyContactGroupMembersAsync(Infrastructure.BrokerWorld.TenantId, world.Connection.ConnectionId,
            "contactGroups/myContacts", [googleId], []);
        await world.PeopleClient.ModifyContactGroupMembersAsync(Infrastructure.BrokerWorld.TenantId, world.Connection.ConnectionId,
            group, [], [googleId]);
        await world.SyncAsync();

        Assert.Single(world.OwnedCreatioContacts());
        Assert.Equal("google", (await world.LinksAsync()).Single().GoneSide);
    }

    [Fact]
    public async Task An_expired_sync_token_leads_to_a_full_resync_without_duplicates()
    {
        await using var world = await ContactsWorld.StartAsync();
        world.People.SyncTokenLifetime = TimeSpan.FromHours(1);
        var group = await world.GroupAsync();
        world.SeedGoogle(group, "Grace", "Hopper");
        world.SeedCreatio("Ada", "Lovelace");
        await world.SyncAsync();
        var tokenBefore = (await world.StateAsync()).GoogleSyncToken;

        world.Broker.Clock.Advance(TimeSpan.FromHours(2));
        world.ResetCounters();
        Assert.Equal(SyncRunOutcome.Completed, await world.SyncAsync());

        Assert.Equal(2, world.People.CallCount("people.connections.list")); // the refused incremental, then the full listing
        Assert.Equal(0, world.GoogleWrites() + world.CreatioWrites());
        Assert.Equal(2, (await world.GoogleContactsAsync()).Count);
        Assert.Equal(2, world.OwnedCreatioContacts().Count);
        var cursor = (await world.CursorAsync())!;
        Assert.NotEqual(tokenBefore, cursor.ReadState<ContactsState>().GoogleSyncToken);
        Assert.Equal(world.Broker.Clock.GetUtcNow(), cursor.LastFullSyncAt);
    }

    private static void DeleteInCreatio(ContactsWorld world, Guid id)
    {
        // The sandbox has no test hook for deletes: go through OData as a user would, with the integration login.
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = world.Creatio.BaseUrl };
        using var login = http.PostAsync("ServiceModel/AuthService.svc/Login", JsonContent(new JsonObject
        {
            ["UserName"] = ContactsWorld.IntegrationUser, ["UserPassword"] = "integration-password",
        })).GetAwaiter().GetResult();
        var cookies = login.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).ToList();
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"0/odata/Contact({id:D})");
        request.Headers.Add("Cookie", string.Join("; ", cookies));
        request.Headers.Add("BPMCSRF", cookies.Single(c => c.StartsWith("BPMCSRF=", StringComparison.Ordinal))["BPMCSRF=".Length..]);
        using var response = http.SendAsync(request).GetAwaiter().GetResult();
        Assert.True(response.IsSuccessStatusCode, $"delete answered {(int)response.StatusCode}");
    }

    private static StringContent JsonContent(JsonObject body) => new(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
}
