using Azure.Data.Tables;
using CreatioGoogle.Broker.Storage;
using CreatioGoogle.Tests.Infrastructure;

namespace CreatioGoogle.Tests.Tokens;

/// <summary><c>GET /api/connections[/{id}]</c> and <c>DELETE /api/connections/{id}</c>.</summary>
public sealed class ConnectionStatusAndDisconnectTests
{
    [Fact]
    public async Task Status_shows_account_scopes_expiry_status_and_renewal_but_never_a_token()
    {
        await using var world = await BrokerWorld.StartAsync();
        var connection = await world.ConnectedAsync("alice@example.com", "mail", "contacts");
        var accessToken = await world.Connections.ReadAccessTokenAsync(connection, default);
        var refreshToken = await world.Connections.ReadRefreshTokenAsync(connection, default);

        var response = await world.CallAsync((api, r) => api.GetConnectionAsync(r, connection.ConnectionId, default));

        Assert.Equal(200, response.Status);
        var body = response.Json;
        Assert.Equal(connection.ConnectionId, body.GetProperty("connectionId").GetString());
        Assert.Equal("alice@example.com", body.GetProperty("googleAccount").GetProperty("email").GetString());
        Assert.Contains("https://www.googleapis.com/auth/contacts", body.GetProperty("grantedScopes").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("connected", body.GetProperty("status").GetString());
        Assert.Equal(connection.AccessTokenExpiresAt, body.GetProperty("accessTokenExpiresAt").GetDateTimeOffset());
        Assert.Equal(connection.LastRenewedAt, body.GetProperty("lastRenewedAt").GetDateTimeOffset());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, body.GetProperty("lastError").ValueKind);
        Assert.DoesNotContain(accessToken!, response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(refreshToken!, response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("Ciphertext", response.Body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task List_by_user_returns_only_that_users_connections_and_unknown_id_is_404()
    {
        await using var world = await BrokerWorld.StartAsync();
        var alice = await world.ConnectedAsync("alice@example.com");
        await world.ConnectedAsync("bob@example.com");

        var mine = await world.CallAsync((api, r) => api.ListConnectionsAsync(r, default), query: "?user=" + alice.CreatioUserId);
        var all = await world.CallAsync((api, r) => api.ListConnectionsAsync(r, default));
        var missing = await world.CallAsync((api, r) => api.GetConnectionAsync(r, "nope", default));

        Assert.Equal(200, mine.Status);
        Assert.Equal([alice.ConnectionId], mine.Json.GetProperty("connections").EnumerateArray().Select(c => c.GetProperty("connectionId").GetString()));
        Assert.Equal(2, all.Json.GetProperty("connections").GetArrayLength());
        Assert.Equal(404, missing.Status);
    }

    [Fact]
    public async Task Disconnect_revokes_at_google_deletes_tokens_cursors_and_links_and_is_204_twice()
    {
        await using var world = await BrokerWorld.StartAsync();
        var connection = await world.ConnectedAsync();
        var accessToken = (await world.Connections.ReadAccessTokenAsync(connection, default))!;
        foreach (var name in (string[])[BrokerTables.Cursors, BrokerTables.Links])
        {
            var table = await world.Tables.GetAsync(name, default);
            await table.AddEntityAsync(new TableEntity(connection.ConnectionId, "contacts") { ["SyncToken"] = "x" });
            await table.AddEntityAsync(new TableEntity("someone-else", "contacts") { ["SyncToken"] = "y" });
        }

        var first = await world.CallAsync((api, r) => api.DeleteConnectionAsync(r, connection.ConnectionId, default), "DELETE");
        var second = await world.CallAsync((api, r) => api.DeleteConnectionAsync(r, connection.ConnectionId, default), "DELETE");

        Assert.Equal(204, first.Status);
        Assert.Equal(204, second.Status);
        Assert.False(world.Google.IsAccessTokenValid(accessToken)); // the grant is gone at Google
        Assert.Null(await world.Connections.GetAsync(BrokerWorld.TenantId, connection.ConnectionId, default));
        foreach (var name in (string[])[BrokerTables.Cursors, BrokerTables.Links])
        {
            var table = await world.Tables.GetAsync(name, default);
            Assert.Empty(table.Query<TableEntity>(e => e.PartitionKey == connection.ConnectionId).ToList());
            Assert.Single(table.Query<TableEntity>(e => e.PartitionKey == "someone-else").ToList());
        }

        var token = await world.CallAsync((api, r) => api.GetTokenAsync(r, connection.ConnectionId, default), "POST");
        Assert.Equal(404, token.Status);
    }

    [Fact]
    public async Task Concurrent_disconnects_of_a_connection_with_sync_state_all_answer_204()
    {
        await using var world = await BrokerWorld.StartAsync();
        var connection = await world.ConnectedAsync("alice@example.com", "contacts");
        var links = await world.Tables.GetAsync(BrokerTables.Links, default);
        for (var i = 0; i < 150; i++)
        {
            await links.AddEntityAsync(new TableEntity(connection.ConnectionId, $"contacts-{i:D3}") { ["GoogleId"] = $"people/c{i}" });
        }

        // Creatio retrying a DELETE it thinks timed out: the calls overlap, each deleting the same rows.
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            world.CallAsync((api, r) => api.DeleteConnectionAsync(r, connection.ConnectionId, default), "DELETE")));

        Assert.All(answers, a => Assert.Equal(204, a.Status));
        Assert.Empty(links.Query<TableEntity>(e => e.PartitionKey == connection.ConnectionId).ToList());
        Assert.Null(await world.Connections.GetAsync(BrokerWorld.TenantId, connection.ConnectionId, default));
    }

    [Fact]
    public async Task Disconnect_while_google_is_down_deletes_nothing_and_says_so()
    {
        await using var world = await BrokerWorld.StartAsync();
        var connection = await world.ConnectedAsync();
        await world.Google.DisposeAsync(); // revoke endpoint unreachable

        var response = await world.CallAsync((api, r) => api.DeleteConnectionAsync(r, connection.ConnectionId, default), "DELETE");

        Assert.Equal(502, response.Status);
        Assert.NotNull(await world.Connections.GetAsync(BrokerWorld.TenantId, connection.ConnectionId, default));
    }
}
