using System.Text.Json.Nodes;
using CreatioGoogle.Broker.Creatio;
using CreatioGoogle.Sandbox.Creatio;

namespace CreatioGoogle.Tests.Creatio;

/// <summary>The real Creatio client against the sandbox Creatio over HTTP.</summary>
public sealed class CreatioClientTests
{
    private static readonly string[] NameColumns = ["Name", "ModifiedOn"];

    [Fact]
    public async Task FormsLogin_SendsCookiesAndCsrf_AndReusesTheSession()
    {
        await using var world = await CreatioWorld.StartAsync();
        var owner = Guid.NewGuid();
        var seeded = world.Sandbox.SeedContact(new JsonObject { ["Name"] = "Ann Lee", ["OwnerId"] = owner.ToString() });

        var rows = await AllRowsAsync(world.Client, OwnedBy(owner));
        var again = await world.Client.GetByIdAsync("Contact", seeded.GetGuid("Id"), NameColumns, CancellationToken.None);

        Assert.Equal("Ann Lee", Assert.Single(rows).GetText("Name"));
        Assert.Equal("Ann Lee", again!.GetText("Name"));
        Assert.Equal(1, world.Sandbox.CountOf(CreatioRequestKind.Login));
        // The sandbox answers 401 to any data call without the BPMCSRF header matching the cookie.
        Assert.Equal(0, world.Sandbox.CountOf(CreatioRequestKind.Rejected));
        Assert.Null(await world.Client.GetByIdAsync("Contact", Guid.NewGuid(), null, CancellationToken.None));
    }

    [Fact]
    public async Task ExpiredSession_IsRenewedByOneReLogin()
    {
        await using var world = await CreatioWorld.StartAsync();
        var owner = Guid.NewGuid();
        world.Sandbox.SeedContact(new JsonObject { ["Name"] = "Bo Chen", ["OwnerId"] = owner.ToString() });
        Assert.Single(await AllRowsAsync(world.Client, OwnedBy(owner)));

        world.Sandbox.ExpireSessions();
        Assert.Single(await AllRowsAsync(world.Client, OwnedBy(owner)));

        // Timed out by the clock rather than killed: same answer.
        world.Clock.Advance(TimeSpan.FromMinutes(61));
        Assert.Single(await AllRowsAsync(world.Client, OwnedBy(owner)));

        Assert.Equal(3, world.Sandbox.CountOf(CreatioRequestKind.Login));
        Assert.Equal(2, world.Sandbox.CountOf(CreatioRequestKind.Rejected));
        Assert.Equal(5, world.Sandbox.CountOf(CreatioRequestKind.Query));
    }

    [Fact]
    public async Task PersistentUnauthorized_StopsAfterOneReLogin()
    {
        await using var world = await CreatioWorld.StartAsync();
        world.Sandbox.InjectFailures(10, 401);

        var error = await Assert.ThrowsAsync<CreatioAuthenticationException>(() => AllRowsAsync(world.Client, null));

        Assert.Contains("401", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, world.Sandbox.CountOf(CreatioRequestKind.Query));
        Assert.Equal(2, world.Sandbox.CountOf(CreatioRequestKind.Login));
    }

    [Fact]
    public async Task FailedLogin_IsAClearErrorWithoutThePassword()
    {
        const string wrong = "Wr0ng-S3cret-Value";
        await using var world = await CreatioWorld.StartAsync(password: wrong);

        var error = await Assert.ThrowsAsync<CreatioAuthenticationException>(() => AllRowsAsync(world.Client, null));

        Assert.Contains("Code 1", error.Message, StringComparison.Ordinal);
        Assert.Contains(CreatioWorld.UserName, error.Message, StringComparison.Ordinal);
        Assert.Contains("Invalid username or password", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, error.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, world.Sandbox.CountOf(CreatioRequestKind.Login)); // a POST login is not retried
        Assert.Equal(0, world.Sandbox.CountOf(CreatioRequestKind.Query));
    }

    [Fact]
    public async Task ClientCredentials_TokenIsCachedUntilShortlyBeforeExpiry()
    {
        await using var world = await CreatioWorld.StartAsync(CreatioAuthMode.ClientCredentials);
        var owner = Guid.NewGuid();
        var seeded = world.Sandbox.SeedContact(new JsonObject { ["Name"] = "Cy Diaz", ["OwnerId"] = owner.ToString() });

        Assert.Single(await AllRowsAsync(world.Client, OwnedBy(owner)));
        Assert.NotNull(await world.Client.GetByIdAsync("Contact", seeded.GetGuid("Id"), null, CancellationToken.None));
        Assert.Single(await AllRowsAsync(world.Factory.ForTenant(CreatioWorld.Tenant), OwnedBy(owner)));
        Assert.Equal(1, world.Sandbox.CountOf(CreatioRequestKind.Token));
        Assert.Equal(0, world.Sandbox.CountOf(CreatioRequestKind.Login));

        // Tokens live 1 h; the client renews 2 min early, before Creatio would refuse the old one.
        world.Clock.Advance(TimeSpan.FromMinutes(57));
        Assert.Single(await AllRowsAsync(world.Client, OwnedBy(owner)));
        Assert.Equal(1, world.Sandbox.CountOf(CreatioRequestKind.Token));
        world.Clock.Advance(TimeSpan.FromMinutes(1.5));
        Assert.Single(await AllRowsAsync(world.Client, OwnedBy(owner)));
        Assert.Equal(2, world.Sandbox.CountOf(CreatioRequestKind.Token));
        Assert.Equal(0, world.Sandbox.CountOf(CreatioRequestKind.Rejected));

        // A revoked token: one 401, a new token, the call succeeds.
        world.Sandbox.RevokeTokens();
        Assert.Single(await AllRowsAsync(world.Client, OwnedBy(owner)));
        Assert.Equal(3, world.Sandbox.CountOf(CreatioRequestKind.Token));
        Assert.Equal(1, world.Sandbox.CountOf(CreatioRequestKind.Rejected));
    }

    [Fact]
    public async Task ClientCredentials_WrongSecret_IsAClearErrorWithoutTheSecret()
    {
        const string wrong = "not-the-client-secret-42";
        await using var world = await CreatioWorld.StartAsync(CreatioAuthMode.ClientCredentials, clientSecret: wrong);

        var error = await Assert.ThrowsAsync<CreatioAuthenticationException>(() => AllRowsAsync(world.Client, null));

        Assert.Contains("invalid_client", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, error.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, world.Sandbox.CountOf(CreatioRequestKind.Token));
    }

    [Fact]
    public async Task Paging_250ContactsWithTiedModifiedOn_ThreeRequestsNoDuplicates()
    {
        await using var world = await CreatioWorld.StartAsync();
        var owner = Guid.NewGuid();
        var ids = Enumerable.Range(0, 250)
            .Select(i => world.Sandbox.SeedContact(new JsonObject { ["Name"] = $"Contact {i:000}", ["OwnerId"] = owner.ToString() }).GetGuid("Id"))
            .ToHashSet();
        Assert.Single(world.Sandbox.Contacts().Where(c => c.GetGuid("OwnerId") == owner).Select(c => c.GetText("ModifiedOn")).Distinct());

        var pages = new List<CreatioPage>();
        // The caller's order has ties; the client must still page over a total order (the sandbox shuffles ties).
        await foreach (var page in world.Client.QueryPagesAsync(
            new CreatioQuery("Contact") { Filter = OwnedBy(owner), Select = NameColumns, OrderBy = "ModifiedOn asc" }, CancellationToken.None))
        {
            pages.Add(page);
        }

        Assert.Equal([100, 100, 50], pages.Select(p => p.Rows.Count));
        Assert.Equal([0, 100, 200], pages.Select(p => p.Skip));
        Assert.Equal(3, world.Sandbox.CountOf(CreatioRequestKind.Query));
        var seen = pages.SelectMany(p => p.Rows).Select(r => r.GetGuid("Id")).ToList();
        Assert.Equal(250, seen.Distinct().Count());
        Assert.True(ids.SetEquals(seen));
        Assert.All(pages.SelectMany(p => p.Rows), r => Assert.Equal(["Id", "Name", "ModifiedOn"], r.Select(kv => kv.Key)));
    }

    [Fact]
    public async Task ModifiedSinceFilter_ReturnsOnlyRowsChangedByUsersSinceTheCursor()
    {
        await using var world = await CreatioWorld.StartAsync();
        var owner = Guid.NewGuid();
        var seeded = Enumerable.Range(0, 5)
            .Select(i => world.Sandbox.SeedContact(new JsonObject { ["Name"] = $"P{i}", ["OwnerId"] = owner.ToString() }).GetGuid("Id"))
            .ToList();

        world.Clock.Advance(TimeSpan.FromMinutes(1).Add(TimeSpan.FromMilliseconds(5)));
        var cursor = world.Clock.GetUtcNow();
        world.Sandbox.SimulateUserEdit(seeded[1], new JsonObject { ["JobTitle"] = "CTO" });
        world.Sandbox.SimulateUserEdit(seeded[3]);

        var changed = await AllRowsAsync(world.Client, CreatioFilter.And(OwnedBy(owner), CreatioFilter.ModifiedSince(cursor)));

        Assert.Equal(new[] { seeded[1], seeded[3] }.Order(), changed.Select(r => r.GetGuid("Id")).Order());
        Assert.All(changed, r => Assert.Equal(cursor, r.GetDateTime("ModifiedOn")));
        Assert.All(changed, r => Assert.EndsWith("Z", r.GetText("ModifiedOn"), StringComparison.Ordinal));
        Assert.Equal("CTO", changed.Single(r => r.GetGuid("Id") == seeded[1]).GetText("JobTitle"));
        Assert.Empty(await AllRowsAsync(world.Client, CreatioFilter.And(OwnedBy(owner), CreatioFilter.ModifiedSince(cursor.AddMilliseconds(1)))));
    }

    [Fact]
    public async Task Batch_OneFailingItem_OthersAreApplied()
    {
        await using var world = await CreatioWorld.StartAsync();
        var a = world.Sandbox.SeedContact(new JsonObject { ["Name"] = "Al Ames" }).GetGuid("Id");
        var b = world.Sandbox.SeedContact(new JsonObject { ["Name"] = "Bea Bell" }).GetGuid("Id");
        var missing = Guid.NewGuid();
        var account = Guid.NewGuid();
        world.Clock.Advance(TimeSpan.FromSeconds(30));

        var results = await world.Client.ExecuteBatchAsync(
        [
            CreatioBatchOperation.Create("Contact", new JsonObject { ["GivenName"] = "Cleo", ["Surname"] = "Cruz", ["AccountId"] = account.ToString() }),
            CreatioBatchOperation.Update("Contact", missing, new JsonObject { ["JobTitle"] = "Ghost" }),
            CreatioBatchOperation.Update("Contact", a, new JsonObject { ["JobTitle"] = "Buyer" }),
            CreatioBatchOperation.Delete("Contact", b),
        ], CancellationToken.None);

        Assert.Equal([201, 404, 204, 204], results.Select(r => r.StatusCode));
        Assert.Equal([true, false, true, true], results.Select(r => r.Succeeded));
        Assert.Contains(missing.ToString(), results[1].ErrorMessage, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1, world.Sandbox.CountOf(CreatioRequestKind.Batch));

        var created = world.Sandbox.GetContact(results[0].EntityId);
        Assert.Equal(results[0].Operation.Id, results[0].EntityId);
        Assert.NotNull(created);
        Assert.Equal("Cleo Cruz", created.GetText("Name"));
        Assert.Equal(account, created.GetGuid("AccountId"));
        Assert.Equal(Guid.Empty, created.GetGuid("OwnerId")); // empty lookup = empty GUID
        Assert.Equal("Cleo Cruz", results[0].Entity!.GetText("Name"));
        Assert.Equal("Buyer", world.Sandbox.GetContact(a)!.GetText("JobTitle"));
        Assert.Equal(world.Clock.GetUtcNow(), world.Sandbox.GetContact(a)!.GetDateTime("ModifiedOn"));
        Assert.Null(world.Sandbox.GetContact(b));
        Assert.Null(world.Sandbox.GetContact(missing));
    }

    [Fact]
    public async Task Batch_IsSplitIntoRequestsOfAtMost100()
    {
        await using var world = await CreatioWorld.StartAsync();
        var owner = Guid.NewGuid();
        var ops = Enumerable.Range(0, 250)
            .Select(i => CreatioBatchOperation.Create("Contact", new JsonObject { ["Name"] = $"N{i}", ["OwnerId"] = owner.ToString() }))
            .ToList();

        var results = await world.Client.ExecuteBatchAsync(ops, CancellationToken.None);

        Assert.Equal(3, world.Sandbox.CountOf(CreatioRequestKind.Batch));
        Assert.Equal(250, world.Sandbox.CountOf(CreatioRequestKind.BatchOperation));
        Assert.All(results, r => Assert.True(r.Succeeded, r.ErrorMessage));
        Assert.Equal(ops.Select(o => o.Id), results.Select(r => r.EntityId));
        Assert.Equal(250, world.Sandbox.Contacts().Count(c => c.GetGuid("OwnerId") == owner));
    }

    [Fact]
    public async Task ServerErrors_ReadsAreRetried_BatchesAreNot()
    {
        await using var world = await CreatioWorld.StartAsync(realClientClock: true);
        world.Sandbox.InjectFailures(1, 500);
        await AllRowsAsync(world.Client, null);
        Assert.Equal(2, world.Sandbox.CountOf(CreatioRequestKind.Query));

        world.Sandbox.InjectFailures(1, 500);
        var error = await Assert.ThrowsAsync<CreatioRequestException>(() => world.Client.ExecuteBatchAsync(
            [CreatioBatchOperation.Create("Contact", new JsonObject { ["Name"] = "Once" })], CancellationToken.None));
        Assert.Equal(500, error.StatusCode);
        Assert.True(error.IsTransient);
        Assert.Equal(1, world.Sandbox.CountOf(CreatioRequestKind.Batch));
        Assert.DoesNotContain(world.Sandbox.Contacts(), c => c.GetText("Name") == "Once");
    }

    [Fact]
    public async Task UnknownColumn_IsALoud400()
    {
        await using var world = await CreatioWorld.StartAsync();
        var query = new CreatioQuery("Contact") { Select = ["Name", "NoSuchColumn"] };

        var error = await Assert.ThrowsAsync<CreatioRequestException>(async () =>
        {
            await foreach (var _ in world.Client.QueryPagesAsync(query, CancellationToken.None))
            {
            }
        });

        Assert.Equal(400, error.StatusCode);
        Assert.Contains("NoSuchColumn", error.Message, StringComparison.Ordinal);
    }

    private static string OwnedBy(Guid owner) => CreatioFilter.Equal("OwnerId", owner);

    private static async Task<List<JsonObject>> AllRowsAsync(ICreatioClient client, string? filter)
    {
        var rows = new List<JsonObject>();
        await foreach (var page in client.QueryPagesAsync(new CreatioQuery("Contact") { Filter = filter }, CancellationToken.None))
        {
            rows.AddRange(page.Rows);
        }

        return rows;
    }
}
