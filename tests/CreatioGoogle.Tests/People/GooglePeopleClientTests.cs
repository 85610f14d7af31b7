using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using CreatioGoogle.Broker.Google;
using CreatioGoogle.Broker.Google.People;

namespace CreatioGoogle.Tests.People;

/// <summary>The product's People client against the People simulator, over real HTTP with a real sandbox access token.</summary>
public sealed class GooglePeopleClientTests
{
    private const string T = PeopleWorld.Tenant;
    private const string C = PeopleWorld.Connection;
    private const string List = "people.connections.list";

    [Fact]
    public async Task FullSync_2500Contacts_ThreePagesOf1000_SyncTokenOnlyOnLastPage()
    {
        await using var world = await PeopleWorld.StartAsync();
        world.People.SeedContacts(PeopleWorld.Alice, PeopleWorld.NewContacts(2500));

        var (pages, people, syncToken) = await world.SyncAsync();

        Assert.Equal([1000, 1000, 500], pages.Select(p => p.Connections.Count));
        Assert.Equal(3, world.People.CallCount(List));
        Assert.All(pages.Take(2), p => Assert.Null(p.NextSyncToken));
        Assert.All(pages.Take(2), p => Assert.NotNull(p.NextPageToken));
        Assert.Null(pages[2].NextPageToken);
        Assert.False(string.IsNullOrEmpty(syncToken));
        Assert.All(pages, p => Assert.Equal(2500, p.TotalItems));
        Assert.Equal(2500, people.Select(p => p.ResourceName).Distinct().Count());
        Assert.All(people, p => Assert.False(string.IsNullOrEmpty(p.Metadata?.Sources?.Single().Etag)));

        // Nothing changed: the incremental sync is one empty page with a fresh token.
        var (again, changed, next) = await world.SyncAsync(syncToken);
        Assert.Single(again);
        Assert.Empty(changed);
        Assert.NotEqual(syncToken, next);
    }

    [Fact]
    public async Task IncrementalSync_ReturnsCreatedUpdatedAndDeleted_WithDeletedMarked()
    {
        await using var world = await PeopleWorld.StartAsync();
        world.People.SeedContacts(PeopleWorld.Alice, PeopleWorld.NewContacts(3));
        var (_, people, token) = await world.SyncAsync();
        var (toUpdate, toDelete, untouched) = (people[0], people[1], people[2]);

        var created = await world.Client.CreateContactAsync(T, C, PeopleWorld.NewPerson("Carol"));
        toUpdate.Names = [new Name { GivenName = "Renamed", FamilyName = "Person" }];
        var updated = await world.Client.UpdateContactAsync(T, C, toUpdate);
        Assert.NotEqual(toUpdate.Etag, updated.Etag);
        await world.Client.DeleteContactAsync(T, C, toDelete.ResourceName!);

        var (_, changes, next) = await world.SyncAsync(token);

        Assert.Equal(3, changes.Count);
        var byName = changes.ToDictionary(p => p.ResourceName!);
        Assert.DoesNotContain(untouched.ResourceName!, byName.Keys);
        Assert.False(byName[created.ResourceName!].IsDeleted);
        Assert.Equal("Carol", byName[created.ResourceName!].Names!.Single().GivenName);
        Assert.Equal("Acme", byName[created.ResourceName!].Organizations!.Single().Name);
        Assert.Equal("Buyer", byName[created.ResourceName!].Organizations!.Single().Title);
        Assert.Equal("Met at the fair", byName[created.ResourceName!].Biographies!.Single().Value);
        Assert.Equal(4, byName[created.ResourceName!].Birthdays!.Single().Date!.Month);
        Assert.Equal("Renamed", byName[toUpdate.ResourceName!].Names!.Single().GivenName);
        Assert.Equal(updated.Etag, byName[toUpdate.ResourceName!].Etag);
        Assert.True(byName[toDelete.ResourceName!].IsDeleted);
        Assert.True(byName[toDelete.ResourceName!].Metadata!.Deleted);

        // The chain continues: the next incremental sync sees nothing new.
        var (_, none, _) = await world.SyncAsync(next);
        Assert.Empty(none);
    }

    [Fact]
    public async Task SyncToken_ExpiresSevenDaysAfterTheFullSync_As400ExpiredSyncToken()
    {
        await using var world = await PeopleWorld.StartAsync();
        world.People.SeedContacts(PeopleWorld.Alice, PeopleWorld.NewContacts(2));
        var (_, _, token) = await world.SyncAsync();

        world.Clock.Advance(TimeSpan.FromDays(6));
        var (_, _, chained) = await world.SyncAsync(token);

        // Counted from the full sync, not from the incremental one that issued the chained token.
        world.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        var ex = await Assert.ThrowsAsync<GoogleApiException>(() => world.SyncAsync(chained));
        Assert.True(ex.IsExpiredSyncToken);
        Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.Equal("FAILED_PRECONDITION", ex.Status);
        Assert.Equal("EXPIRED_SYNC_TOKEN", ex.Reason);

        // The documented recovery: a full sync without the token.
        var (_, all, _) = await world.SyncAsync();
        Assert.Equal(2, all.Count);
    }

    [Fact]
    public async Task Update_WithStaleOrMissingEtag_IsRejected()
    {
        await using var world = await PeopleWorld.StartAsync();
        var created = await world.Client.CreateContactAsync(T, C, PeopleWorld.NewPerson("Dave"));
        var staleEtag = created.Etag;
        created.Organizations = [new Organization { Name = "Globex", Title = "CTO" }];
        var first = await world.Client.UpdateContactAsync(T, C, created, "organizations");
        Assert.Equal("Globex", first.Organizations!.Single().Name);

        created.Etag = staleEtag;
        var ex = await Assert.ThrowsAsync<GoogleApiException>(() => world.Client.UpdateContactAsync(T, C, created, "organizations"));
        Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.Equal("FAILED_PRECONDITION", ex.Status);
        Assert.True(ex.IsEtagMismatch);
        Assert.False(ex.IsExpiredSyncToken);

        var path = $"v1/{created.ResourceName}:updateContact?updatePersonFields=names";
        var (noEtag, noEtagBody) = await world.RawAsync(HttpMethod.Patch, path, new JsonObject { ["names"] = new JsonArray(new JsonObject { ["givenName"] = "X" }) });
        Assert.Equal(HttpStatusCode.BadRequest, noEtag);
        Assert.Equal("INVALID_ARGUMENT", noEtagBody.GetProperty("error").GetProperty("status").GetString());
        Assert.Contains("person.etag", noEtagBody.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);

        var (noMask, _) = await world.RawAsync(HttpMethod.Patch, $"v1/{created.ResourceName}:updateContact", new JsonObject { ["etag"] = first.Etag });
        Assert.Equal(HttpStatusCode.BadRequest, noMask);

        // Fields in the mask are replaced, others kept: the name survived the organizations-only update.
        var current = await world.Client.GetAsync(T, C, created.ResourceName!);
        Assert.Equal("Dave", current.Names!.Single().GivenName);
        Assert.Equal(first.Etag, current.Etag);
    }

    [Fact]
    public async Task BatchCreate_200Succeeds_201IsRejected_BatchUpdateAndDeleteWork()
    {
        await using var world = await PeopleWorld.StartAsync();
        var batch = Enumerable.Range(0, 200).Select(i => PeopleWorld.NewPerson($"B{i}")).ToList();

        var created = await world.Client.BatchCreateContactsAsync(T, C, batch);
        Assert.Equal(200, created.Count);
        Assert.Equal(200, created.Select(p => p.ResourceName).Distinct().Count());
        Assert.Equal(200, world.People.ContactCount(PeopleWorld.Alice));
        Assert.Equal(1, world.People.CallCount("people.batchCreateContacts"));

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => world.Client.BatchCreateContactsAsync(T, C, [.. batch, PeopleWorld.NewPerson("Extra")]));
        Assert.Equal(1, world.People.CallCount("people.batchCreateContacts"));

        var tooMany = new JsonObject
        {
            ["contacts"] = new JsonArray([.. Enumerable.Range(0, 201).Select(i => (JsonNode)new JsonObject
            {
                ["contactPerson"] = new JsonObject { ["names"] = new JsonArray(new JsonObject { ["givenName"] = $"R{i}" }) },
            })]),
            ["readMask"] = "names",
        };
        var (status, body) = await world.RawAsync(HttpMethod.Post, "v1/people:batchCreateContacts", tooMany);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("INVALID_ARGUMENT", body.GetProperty("error").GetProperty("status").GetString());
        Assert.Equal(200, world.People.ContactCount(PeopleWorld.Alice));

        var edits = created.Take(2).Select(p => { p.Biographies = [new Biography { Value = "batch edit" }]; return p; }).ToList();
        var updated = await world.Client.BatchUpdateContactsAsync(T, C, edits, "biographies");
        Assert.Equal(2, updated.Count);
        Assert.All(updated.Values, p => Assert.Equal("batch edit", p.Biographies!.Single().Value));

        await world.Client.BatchDeleteContactsAsync(T, C, [.. created.Take(150).Select(p => p.ResourceName!)]);
        Assert.Equal(50, world.People.ContactCount(PeopleWorld.Alice));
    }

    [Fact]
    public async Task ContactGroup_FindOrCreate_IsIdempotent_AndMembershipShowsOnThePerson()
    {
        await using var world = await PeopleWorld.StartAsync();
        var group = await world.Client.FindOrCreateContactGroupAsync(T, C, "Creatio");
        var again = await world.Client.FindOrCreateContactGroupAsync(T, C, "Creatio");
        Assert.Equal(group.ResourceName, again.ResourceName);
        Assert.Equal("USER_CONTACT_GROUP", group.GroupType);
        Assert.Equal(1, world.People.CallCount("contactGroups.create"));

        var person = await world.Client.CreateContactAsync(T, C, PeopleWorld.NewPerson("Erin"));
        var result = await world.Client.ModifyContactGroupMembersAsync(T, C, group.ResourceName!, [person.ResourceName!, "people/c404"], []);
        Assert.Equal(["people/c404"], result.NotFoundResourceNames);

        var member = await world.Client.GetAsync(T, C, person.ResourceName!);
        Assert.Contains(member.Memberships!, m => m.ContactGroupMembership!.ContactGroupResourceName == group.ResourceName);
        Assert.Contains(member.Memberships!, m => m.ContactGroupMembership!.ContactGroupResourceName == "contactGroups/myContacts");
        Assert.NotEqual(person.Etag, member.Etag);
        var listed = (await world.Client.ListContactGroupsAsync(T, C)).Single(g => g.ResourceName == group.ResourceName);
        Assert.Equal(1, listed.MemberCount);

        // A membership change is a change for incremental sync too.
        var (_, _, token) = await world.SyncAsync();
        await world.Client.ModifyContactGroupMembersAsync(T, C, group.ResourceName!, [], [person.ResourceName!]);
        var (_, changed, _) = await world.SyncAsync(token);
        var p = Assert.Single(changed);
        Assert.DoesNotContain(p.Memberships!, m => m.ContactGroupMembership!.ContactGroupResourceName == group.ResourceName);
    }

    [Fact]
    public async Task WithoutValidToken_401Unauthenticated()
    {
        await using var world = await PeopleWorld.StartAsync();
        world.TokenOverride = "sbx-at-not-a-real-token";
        var ex = await Assert.ThrowsAsync<GoogleApiException>(() => world.SyncAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        Assert.Equal("UNAUTHENTICATED", ex.Status);
        Assert.DoesNotContain("sbx-at-", ex.Message, StringComparison.Ordinal);

        var (status, body) = await world.RawAsync(HttpMethod.Get, "v1/people/me/connections?personFields=names", token: string.Empty);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(401, body.GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task WithoutContactsScope_403ScopeInsufficient()
    {
        await using var world = await PeopleWorld.StartAsync("openid email");
        var ex = await Assert.ThrowsAsync<GoogleApiException>(() => world.SyncAsync());
        Assert.Equal(HttpStatusCode.Forbidden, ex.StatusCode);
        Assert.Equal("PERMISSION_DENIED", ex.Status);
        Assert.Equal("ACCESS_TOKEN_SCOPE_INSUFFICIENT", ex.Reason);
    }

    [Fact]
    public async Task ReadonlyScope_CanList_ButNotWrite()
    {
        await using var world = await PeopleWorld.StartAsync("openid https://www.googleapis.com/auth/contacts.readonly");
        await world.SyncAsync();
        var ex = await Assert.ThrowsAsync<GoogleApiException>(() => world.Client.CreateContactAsync(T, C, PeopleWorld.NewPerson("Nope")));
        Assert.Equal(HttpStatusCode.Forbidden, ex.StatusCode);
    }

    [Fact]
    public async Task Writes_AppearInListsOnlyAfterThePropagationDelay()
    {
        await using var world = await PeopleWorld.StartAsync();
        world.People.PropagationDelay = TimeSpan.FromMinutes(3);
        var (_, _, token) = await world.SyncAsync();

        var created = await world.Client.CreateContactAsync(T, C, PeopleWorld.NewPerson("Fay"));
        Assert.Equal("Fay", (await world.Client.GetAsync(T, C, created.ResourceName!)).Names!.Single().GivenName);

        var (_, early, token2) = await world.SyncAsync(token);
        Assert.Empty(early);
        Assert.Empty((await world.SyncAsync()).People);

        world.Clock.Advance(TimeSpan.FromMinutes(3));
        var (_, late, _) = await world.SyncAsync(token2);
        Assert.Equal(created.ResourceName, Assert.Single(late).ResourceName);
        Assert.Single((await world.SyncAsync()).People);
    }

    [Fact]
    public async Task Throttled_ReadsAreRetriedAfterRetryAfter_WritesSurfaceTheRetryAfter()
    {
        await using var world = await PeopleWorld.StartAsync();
        world.People.SeedContacts(PeopleWorld.Alice, PeopleWorld.NewContacts(5));
        world.People.InjectFailures(1, 429, TimeSpan.FromSeconds(1), List);

        var watch = Stopwatch.StartNew();
        var (_, people, _) = await world.SyncAsync();
        Assert.Equal(5, people.Count);
        Assert.Equal(2, world.People.CallCount(List));
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(0.9), $"retried after {watch.Elapsed}, before Retry-After");

        world.People.InjectFailures(1, 429, TimeSpan.FromSeconds(7), "people.createContact");
        var ex = await Assert.ThrowsAsync<GoogleApiException>(() => world.Client.CreateContactAsync(T, C, PeopleWorld.NewPerson("Gus")));
        Assert.Equal(HttpStatusCode.TooManyRequests, ex.StatusCode);
        Assert.Equal("RESOURCE_EXHAUSTED", ex.Status);
        Assert.Equal(TimeSpan.FromSeconds(7), ex.RetryAfter);
        Assert.Equal(1, world.People.CallCount("people.createContact"));
        Assert.Equal(5, world.People.ContactCount(PeopleWorld.Alice));
    }

    [Fact]
    public async Task ConcurrentMutations_ForOneUser_AreAborted()
    {
        await using var world = await PeopleWorld.StartAsync();
        world.People.Latency = TimeSpan.FromMilliseconds(300);
        var results = await Task.WhenAll(Enumerable.Range(0, 2).Select(async i =>
        {
            try
            {
                await world.Client.CreateContactAsync(T, C, PeopleWorld.NewPerson($"Par{i}"));
                return (HttpStatusCode?)null;
            }
            catch (GoogleApiException e)
            {
                return e.StatusCode;
            }
        }));

        Assert.Single(results, r => r is null);
        Assert.Single(results, r => r == HttpStatusCode.Conflict);
        Assert.Equal(1, world.People.ContactCount(PeopleWorld.Alice));
    }

    [Fact]
    public async Task ListProtocol_RequiresPersonFields_CapsPageSize_AndPinsParametersToThePageToken()
    {
        await using var world = await PeopleWorld.StartAsync();
        world.People.SeedContacts(PeopleWorld.Alice, PeopleWorld.NewContacts(150));

        var (missing, missingBody) = await world.RawAsync(HttpMethod.Get, "v1/people/me/connections");
        Assert.Equal(HttpStatusCode.BadRequest, missing);
        Assert.Equal("INVALID_ARGUMENT", missingBody.GetProperty("error").GetProperty("status").GetString());

        var (tooBig, _) = await world.RawAsync(HttpMethod.Get, "v1/people/me/connections?personFields=names&pageSize=1001");
        Assert.Equal(HttpStatusCode.BadRequest, tooBig);

        var (ok, first) = await world.RawAsync(HttpMethod.Get, "v1/people/me/connections?personFields=names");
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal(100, first.GetProperty("connections").GetArrayLength());
        Assert.False(first.TryGetProperty("nextSyncToken", out _));
        var pageToken = Uri.EscapeDataString(first.GetProperty("nextPageToken").GetString()!);

        var (changed, _) = await world.RawAsync(HttpMethod.Get, $"v1/people/me/connections?personFields=names,metadata&pageToken={pageToken}");
        Assert.Equal(HttpStatusCode.BadRequest, changed);

        var (last, lastBody) = await world.RawAsync(HttpMethod.Get, $"v1/people/me/connections?personFields=names&pageToken={pageToken}");
        Assert.Equal(HttpStatusCode.OK, last);
        Assert.Equal(50, lastBody.GetProperty("connections").GetArrayLength());
        Assert.False(lastBody.TryGetProperty("nextSyncToken", out _)); // requestSyncToken was not set.
    }
}
