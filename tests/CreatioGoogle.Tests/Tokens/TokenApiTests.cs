using System.Web;
using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Tests.Infrastructure;

namespace CreatioGoogle.Tests.Tokens;

/// <summary><c>POST /api/connections/{id}/token</c>, against Azurite and the sandbox Google over HTTP.</summary>
public sealed class TokenApiTests
{
    private static readonly TimeSpan IntoTheMargin = TimeSpan.FromMinutes(56); // 3599 s tokens: ~4 min left, inside the 5-min margin

    [Fact]
    public async Task Fresh_token_is_returned_as_stored_without_asking_google()
    {
        await using var world = await BrokerWorld.StartAsync();
        var connection = await world.ConnectedAsync();

        var response = await world.CallAsync((api, r) => api.GetTokenAsync(r, connection.ConnectionId, default), "POST");

        Assert.Equal(200, response.Status);
        var token = response.Json.GetProperty("accessToken").GetString()!;
        Assert.True(world.Google.IsAccessTokenValid(token));
        Assert.Equal("Bearer", response.Json.GetProperty("tokenType").GetString());
        Assert.Equal(connection.AccessTokenExpiresAt, response.Json.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.Contains("https://mail.google.com/", response.Json.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal("no-store", response.Headers.CacheControl.ToString());
        Assert.Equal(0, world.Google.RefreshCount);
    }

    [Fact]
    public async Task Token_expiring_within_the_margin_is_refreshed_before_it_is_returned()
    {
        await using var world = await BrokerWorld.StartAsync();
        var connection = await world.ConnectedAsync();
        var old = await world.Connections.ReadAccessTokenAsync(connection, default);
        world.Clock.Advance(IntoTheMargin);

        var response = await world.CallAsync((api, r) => api.GetTokenAsync(r, connection.ConnectionId, default), "POST");

        Assert.Equal(200, response.Status);
        var token = response.Json.GetProperty("accessToken").GetString()!;
        Assert.NotEqual(old, token);
        Assert.True(world.Google.IsAccessTokenValid(token));
        Assert.True(response.Json.GetProperty("expiresAt").GetDateTimeOffset() > world.Clock.GetUtcNow().AddMinutes(55));
        Assert.Equal(1, world.Google.RefreshCount);
        var stored = await world.ReloadAsync(connection);
        Assert.Equal(token, await world.Connections.ReadAccessTokenAsync(stored, default));
        Assert.Equal(world.Clock.GetUtcNow(), stored.LastRenewedAt);
        Assert.Null(stored.RefreshLeaseUntil);
    }

    [Fact]
    public async Task Refresh_margin_is_configurable()
    {
        await using var world = await BrokerWorld.StartAsync(s => s["Tokens:RefreshMargin"] = "00:01:00");
        var connection = await world.ConnectedAsync();
        world.Clock.Advance(IntoTheMargin);

        var response = await world.CallAsync((api, r) => api.GetTokenAsync(r, connection.ConnectionId, default), "POST");

        Assert.Equal(200, response.Status);
        Assert.Equal(0, world.Google.RefreshCount); // 4 minutes left is outside a 1-minute margin
    }

    [Fact]
    public async Task Unknown_connection_and_another_tenants_connection_are_404_and_a_wrong_key_is_401()
    {
        var betaKey = BrokerWorld.RandomText();
        await using var world = await BrokerWorld.StartAsync(s =>
        {
            s["Tenants:beta:ReturnUrls:0"] = "https://beta.creatio.example/";
            s["Secrets:tenant-beta-api-key"] = betaKey;
        });
        var connection = await world.ConnectedAsync();

        var unknown = await world.CallAsync((api, r) => api.GetTokenAsync(r, Guid.NewGuid().ToString("N"), default), "POST");
        var otherTenant = await world.CallAsync((api, r) => api.GetTokenAsync(r, connection.ConnectionId, default), "POST", tenant: "beta", apiKey: betaKey);
        var wrongKey = await world.CallAsync((api, r) => api.GetTokenAsync(r, connection.ConnectionId, default), "POST", apiKey: "wrong");

        Assert.Equal(404, unknown.Status);
        Assert.StartsWith("application/problem+json", unknown.ContentType, StringComparison.Ordinal);
        Assert.Equal(404, otherTenant.Status);
        Assert.DoesNotContain("sbx-", otherTenant.Body, StringComparison.Ordinal);
        Assert.Equal(401, wrongKey.Status);
    }

    [Fact]
    public async Task Revoked_grant_answers_409_with_a_new_connect_url_and_keeps_the_refresh_token()
    {
        // Tokens born inside the margin, so no clock change: the reconnect's ID token is checked against real time.
        await using var world = await BrokerWorld.StartAsync(google: g => g.AccessTokenLifetime = TimeSpan.FromMinutes(4));
        var connection = await world.ConnectedAsync();
        world.Google.RevokeAllFor("alice@example.com");

        var response = await world.CallAsync((api, r) => api.GetTokenAsync(r, connection.ConnectionId, default), "POST");

        Assert.Equal(409, response.Status);
        Assert.StartsWith("application/problem+json", response.ContentType, StringComparison.Ordinal);
        Assert.Contains("reconnect", response.Json.GetProperty("title").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(ConnectionStatus.ReconnectNeeded, response.Json.GetProperty("connectionStatus").GetString());
        var connectUrl = new Uri(response.Json.GetProperty("connectUrl").GetString()!);
        Assert.Equal(world.Google.AuthorizationEndpoint.AbsolutePath, connectUrl.AbsolutePath);
        var query = HttpUtility.ParseQueryString(connectUrl.Query);
        Assert.Equal("alice@example.com", query["login_hint"]);
        Assert.Contains("https://mail.google.com/", query["scope"]!.Split(' '));
        var stored = await world.ReloadAsync(connection);
        Assert.Equal(ConnectionStatus.ReconnectNeeded, stored.Status);
        Assert.Contains("revoked", stored.StatusReason, StringComparison.Ordinal);
        Assert.NotNull(await world.Connections.ReadRefreshTokenAsync(stored, default));

        // The link works: the user reconnects, and the same connection is usable again, back on the page they came from.
        var redirect = await GoogleConsent.DecideAsync(world.Browser, connectUrl, "alice@example.com");
        var outcome = await world.ConnectFlow.CompleteAsync(BrokerWorld.CallbackOf(redirect), default);
        Assert.StartsWith(BrokerWorld.ReturnUrl.GetLeftPart(UriPartial.Path), outcome.RedirectTo!.AbsoluteUri, StringComparison.Ordinal);
        var again = await world.CallAsync((api, r) => api.GetTokenAsync(r, connection.ConnectionId, default), "POST");
        Assert.Equal(200, again.Status);
        Assert.Equal(ConnectionStatus.Connected, (await world.ReloadAsync(connection)).Status);
    }

    [Fact]
    public async Task Google_down_with_an_expired_token_answers_503_with_retry_after_but_a_still_valid_token_is_served()
    {
        await using var world = await BrokerWorld.StartAsync();
        var connection = await world.ConnectedAsync();
        var old = await world.Connections.ReadAccessTokenAsync(connection, default);
        world.Google.InjectTokenEndpointFailures(100, 503, TimeSpan.FromMinutes(10));
        world.Clock.Advance(IntoTheMargin);

        var stillValid = await world.CallAsync((api, r) => api.GetTokenAsync(r, connection.ConnectionId, default), "POST");
        world.Clock.Advance(TimeSpan.FromMinutes(5));
        var expired = await world.CallAsync((api, r) => api.GetTokenAsync(r, connection.ConnectionId, default), "POST");

        Assert.Equal(200, stillValid.Status);
        Assert.Equal(old, stillValid.Json.GetProperty("accessToken").GetString());
        Assert.Equal(503, expired.Status);
        Assert.True(long.Parse(expired.Headers.RetryAfter.ToString(), System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Equal(1, world.Google.RefreshCount); // the second request honoured Retry-After instead of asking again
        Assert.Equal(ConnectionStatus.Connected, (await world.ReloadAsync(connection)).Status);
    }

    [Fact]
    public async Task A_thousand_concurrent_token_requests_cause_exactly_one_refresh_at_google()
    {
        await using var world = await BrokerWorld.StartAsync();
        var connection = await world.ConnectedAsync();
        world.Google.TokenEndpointLatency = TimeSpan.FromMilliseconds(200);
        world.Clock.Advance(IntoTheMargin);

        var responses = await Task.WhenAll(Enumerable.Range(0, 1000).Select(_ => Task.Run(() =>
            world.CallAsync((api, r) => api.GetTokenAsync(r, connection.ConnectionId, default), "POST"))));

        Assert.All(responses, r => Assert.Equal(200, r.Status));
        Assert.Single(responses.Select(r => r.Json.GetProperty("accessToken").GetString()).Distinct());
        Assert.Equal(1, world.Google.RefreshCount);
    }

    [Fact]
    public async Task Two_instances_asking_at_once_refresh_once_and_the_loser_uses_the_winners_token()
    {
        await using var world = await BrokerWorld.StartAsync();
        var connection = await world.ConnectedAsync();
        var other = world.StartOtherInstance();
        var otherTokens = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<CreatioGoogle.Broker.Tokens.TokenService>(other);
        world.Google.TokenEndpointLatency = TimeSpan.FromMilliseconds(300);
        world.Clock.Advance(IntoTheMargin);

        var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() =>
            (i % 2 == 0 ? world.Tokens : otherTokens).GetAccessTokenAsync(world.Tenant, connection.ConnectionId, default))));

        var tokens = answers.Select(a => Assert.IsType<CreatioGoogle.Broker.Tokens.TokenAnswer.Issued>(a).Token.AccessToken).Distinct().ToList();
        Assert.Single(tokens);
        Assert.Equal(1, world.Google.RefreshCount);
        Assert.True(world.Google.IsAccessTokenValid(tokens[0]));
    }

    [Fact]
    public async Task Forced_refresh_finds_a_grant_revoked_before_its_token_expired_and_asks_for_a_reconnect()
    {
        await using var world = await BrokerWorld.StartAsync();
        var connection = await world.ConnectedAsync();
        world.Clock.Advance(TimeSpan.FromMinutes(1));
        world.Google.RevokeAllFor("alice@example.com");

        var stored = await world.CallAsync((api, r) => api.GetTokenAsync(r, connection.ConnectionId, default), "POST");
        var forced = await world.CallAsync((api, r) => api.GetTokenAsync(r, connection.ConnectionId, default), "POST", query: "?refresh=true");

        Assert.Equal(200, stored.Status); // the broker cannot know before it asks Google
        Assert.Equal(409, forced.Status);
        Assert.StartsWith(world.Google.AuthorizationEndpoint.ToString(), forced.Json.GetProperty("connectUrl").GetString(), StringComparison.Ordinal);
        Assert.Equal(ConnectionStatus.ReconnectNeeded, (await world.ReloadAsync(connection)).Status);
    }

    [Fact]
    public async Task Concurrent_forced_refreshes_share_one_call_to_google()
    {
        await using var world = await BrokerWorld.StartAsync();
        var connection = await world.ConnectedAsync();
        var old = await world.Connections.ReadAccessTokenAsync(connection, default);
        world.Clock.Advance(TimeSpan.FromSeconds(1));

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
            world.CallAsync((api, r) => api.GetTokenAsync(r, connection.ConnectionId, default), "POST", query: "?refresh=true")));

        Assert.All(responses, r => Assert.Equal(200, r.Status));
        var tokens = responses.Select(r => r.Json.GetProperty("accessToken").GetString()).Distinct().ToList();
        Assert.Equal(1, world.Google.RefreshCount);
        Assert.NotEqual(old, Assert.Single(tokens));
    }
}
