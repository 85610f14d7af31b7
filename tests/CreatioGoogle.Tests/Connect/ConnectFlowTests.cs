using System.Web;
using Azure.Data.Tables;
using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Google;
using CreatioGoogle.Broker.Storage;
using CreatioGoogle.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CreatioGoogle.Tests.Connect;

/// <summary>The connect flow's rules, against Azurite and the sandbox Google over real HTTP.</summary>
public sealed class ConnectFlowTests
{
    [Fact]
    public async Task Authorization_url_asks_for_offline_access_consent_pkce_and_the_features_scopes()
    {
        await using var world = await BrokerWorld.StartAsync();
        var request = world.Request(Features.Contacts, Features.Calendar);
        request.LoginHint = "alice@example.com";

        var started = await world.StartConnectAsync(request);

        var query = HttpUtility.ParseQueryString(started.AuthorizationUrl.Query);
        Assert.Equal("offline", query["access_type"]);
        Assert.Equal("consent", query["prompt"]);
        Assert.Equal("true", query["include_granted_scopes"]);
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.Equal("alice@example.com", query["login_hint"]);
        Assert.Equal(BrokerWorld.ClientId, query["client_id"]);
        Assert.Equal("http://broker.test/0/rest/GoogleOAuthAuthenticator/ProcessAuthenticationCode", query["redirect_uri"]);
        Assert.Equal(
            ["openid", "email", "profile", "https://www.googleapis.com/auth/contacts", "https://www.googleapis.com/auth/calendar.events"],
            query["scope"]!.Split(' '));
        // 256 bits of state: 43 base64url characters.
        Assert.Equal(43, query["state"]!.Length);
        Assert.True(started.ExpiresAt - world.Clock.GetUtcNow() == TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task Each_connect_request_gets_a_different_state()
    {
        await using var world = await BrokerWorld.StartAsync();
        var request = world.Request(Features.Mail);
        var states = new HashSet<string>();
        for (var i = 0; i < 20; i++)
        {
            var started = await world.StartConnectAsync(request);
            states.Add(HttpUtility.ParseQueryString(started.AuthorizationUrl.Query)["state"]!);
        }

        Assert.Equal(20, states.Count);
    }

    [Fact]
    public async Task Successful_connect_stores_granted_scopes_and_encrypted_tokens_and_returns_to_creatio()
    {
        await using var world = await BrokerWorld.StartAsync();
        var request = world.Request(Features.Mail, Features.Contacts);

        var (started, outcome) = await world.ConnectAsync(request);

        Assert.NotNull(outcome.RedirectTo);
        Assert.StartsWith(BrokerWorld.ReturnUrl.GetLeftPart(UriPartial.Path), outcome.RedirectTo!.AbsoluteUri, StringComparison.Ordinal);
        Assert.Contains($"connectionId={started.ConnectionId}", outcome.RedirectTo.Query, StringComparison.Ordinal);
        var connection = await world.Connections.GetAsync(BrokerWorld.TenantId, started.ConnectionId, CancellationToken.None);
        Assert.NotNull(connection);
        Assert.Equal(ConnectionStatus.Connected, connection!.Status);
        Assert.Equal("alice@example.com", connection.GoogleEmail);
        Assert.Equal(request.CreatioUserId, connection.CreatioUserId);
        Assert.Contains("https://mail.google.com/", connection.Scopes);
        Assert.Contains("https://www.googleapis.com/auth/contacts", connection.Scopes);
        var refreshToken = await world.Connections.ReadRefreshTokenAsync(connection, CancellationToken.None);
        Assert.StartsWith("sbx-rt-", refreshToken, StringComparison.Ordinal);
        Assert.DoesNotContain(refreshToken!, connection.RefreshTokenCiphertext!, StringComparison.Ordinal);
        Assert.True(world.Google.IsAccessTokenValid((await world.Connections.ReadAccessTokenAsync(connection, CancellationToken.None))!));
    }

    [Fact]
    public async Task Unticked_scope_is_reported_to_the_user_and_in_the_connection_status()
    {
        await using var world = await BrokerWorld.StartAsync();
        var request = world.Request(Features.Mail, Features.Calendar);

        var (started, outcome) = await world.ConnectAsync(request, untick: ["https://www.googleapis.com/auth/calendar.events"]);

        Assert.Null(outcome.RedirectTo);
        Assert.Equal(200, outcome.Page!.StatusCode);
        Assert.Contains("calendar", outcome.Page.Message, StringComparison.Ordinal);
        Assert.Contains(outcome.Page.Links, l => l.Url.Host == "127.0.0.1"); // a new Google link to grant what is missing
        var connection = await world.Connections.GetAsync(BrokerWorld.TenantId, started.ConnectionId, CancellationToken.None);
        Assert.Equal(ConnectionStatus.ScopesMissing, connection!.Status);
        Assert.Equal(["calendar"], connection.Missing);
        Assert.DoesNotContain("https://www.googleapis.com/auth/calendar.events", connection.Scopes);
    }

    [Fact]
    public async Task Denied_consent_shows_a_403_page_and_stores_no_connection()
    {
        await using var world = await BrokerWorld.StartAsync();
        var started = await world.StartConnectAsync(world.Request(Features.Mail));
        var redirect = await GoogleConsent.DecideAsync(world.Browser, started.AuthorizationUrl, "alice@example.com", allow: false);

        var outcome = await world.ConnectFlow.CompleteAsync(BrokerWorld.CallbackOf(redirect), CancellationToken.None);

        Assert.Equal(403, outcome.Page!.StatusCode);
        Assert.Contains("not granted", outcome.Page.Title, StringComparison.Ordinal);
        Assert.Null(await world.Connections.GetAsync(BrokerWorld.TenantId, started.ConnectionId, CancellationToken.None));
    }

    [Fact]
    public async Task Replayed_state_is_refused_with_409_and_changes_nothing()
    {
        await using var world = await BrokerWorld.StartAsync();
        var started = await world.StartConnectAsync(world.Request(Features.Mail));
        var redirect = await GoogleConsent.DecideAsync(world.Browser, started.AuthorizationUrl, "alice@example.com");
        var first = await world.ConnectFlow.CompleteAsync(BrokerWorld.CallbackOf(redirect), CancellationToken.None);
        var stored = await world.Connections.GetAsync(BrokerWorld.TenantId, started.ConnectionId, CancellationToken.None);

        var replay = await world.ConnectFlow.CompleteAsync(BrokerWorld.CallbackOf(redirect), CancellationToken.None);

        Assert.NotNull(first.RedirectTo);
        Assert.Equal(409, replay.Page!.StatusCode);
        var after = await world.Connections.GetAsync(BrokerWorld.TenantId, started.ConnectionId, CancellationToken.None);
        Assert.Equal(stored!.ETag, after!.ETag);
        Assert.Equal(1, world.Google.CodeExchangeCount);
    }

    [Fact]
    public async Task Expired_state_is_refused_with_410_and_stores_nothing()
    {
        await using var world = await BrokerWorld.StartAsync();
        var started = await world.StartConnectAsync(world.Request(Features.Mail));
        var redirect = await GoogleConsent.DecideAsync(world.Browser, started.AuthorizationUrl, "alice@example.com");
        world.Clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));

        var outcome = await world.ConnectFlow.CompleteAsync(BrokerWorld.CallbackOf(redirect), CancellationToken.None);

        Assert.Equal(410, outcome.Page!.StatusCode);
        Assert.Null(await world.Connections.GetAsync(BrokerWorld.TenantId, started.ConnectionId, CancellationToken.None));
        Assert.Equal(0, world.Google.CodeExchangeCount);
    }

    [Fact]
    public async Task Forged_state_is_refused_with_400()
    {
        await using var world = await BrokerWorld.StartAsync();
        var started = await world.StartConnectAsync(world.Request(Features.Mail));
        var redirect = await GoogleConsent.DecideAsync(world.Browser, started.AuthorizationUrl, "alice@example.com");
        var callback = BrokerWorld.CallbackOf(redirect) with { State = BrokerWorld.RandomText() };

        var outcome = await world.ConnectFlow.CompleteAsync(callback, CancellationToken.None);

        Assert.Equal(400, outcome.Page!.StatusCode);
        Assert.Null(await world.Connections.GetAsync(BrokerWorld.TenantId, started.ConnectionId, CancellationToken.None));
        Assert.Equal(0, world.Google.CodeExchangeCount);
    }

    [Fact]
    public async Task Callback_without_code_is_refused_with_400()
    {
        await using var world = await BrokerWorld.StartAsync();
        var started = await world.StartConnectAsync(world.Request(Features.Mail));
        var redirect = await GoogleConsent.DecideAsync(world.Browser, started.AuthorizationUrl, "alice@example.com");

        var outcome = await world.ConnectFlow.CompleteAsync(BrokerWorld.CallbackOf(redirect) with { Code = null }, CancellationToken.None);

        Assert.Equal(400, outcome.Page!.StatusCode);
        Assert.Contains("no authorization code", outcome.Page.Message, StringComparison.Ordinal);
        Assert.Null(await world.Connections.GetAsync(BrokerWorld.TenantId, started.ConnectionId, CancellationToken.None));
    }

    [Theory]
    [InlineData("https://evil.example/0/Shell/")]
    [InlineData("https://acme.creatio.example.evil.example/")]
    [InlineData("http://acme.creatio.example/")]
    [InlineData("https://user@acme.creatio.example/")]
    [InlineData("not a url")]
    public async Task Return_url_outside_the_allow_list_is_refused(string returnUrl)
    {
        await using var world = await BrokerWorld.StartAsync();
        var request = world.Request(Features.Mail);
        request.ReturnUrl = returnUrl;

        var (started, errors) = await world.ConnectFlow.StartAsync(world.Tenant, request, CancellationToken.None);

        Assert.Null(started);
        Assert.Contains("returnUrl", errors!.Keys);
    }

    [Fact]
    public async Task Unknown_feature_and_missing_user_are_refused_with_field_errors()
    {
        await using var world = await BrokerWorld.StartAsync();
        var request = world.Request("drive");
        request.CreatioUserId = null;

        var (_, errors) = await world.ConnectFlow.StartAsync(world.Tenant, request, CancellationToken.None);

        Assert.Contains("drive", errors!["features"][0], StringComparison.Ordinal);
        Assert.Contains("creatioUserId", errors.Keys);
    }

    [Fact]
    public async Task Reconnect_with_another_google_account_is_refused_and_keeps_the_first_connection()
    {
        await using var world = await BrokerWorld.StartAsync();
        var request = world.Request(Features.Mail);
        var (first, _) = await world.ConnectAsync(request, "alice@example.com");
        var before = await world.Connections.GetAsync(BrokerWorld.TenantId, first.ConnectionId, CancellationToken.None);

        var (second, outcome) = await world.ConnectAsync(request, "bob@example.com");

        Assert.Equal(first.ConnectionId, second.ConnectionId);
        Assert.Equal(409, outcome.Page!.StatusCode);
        Assert.Contains("alice@example.com", outcome.Page.Message, StringComparison.Ordinal);
        var after = await world.Connections.GetAsync(BrokerWorld.TenantId, first.ConnectionId, CancellationToken.None);
        Assert.Equal("alice@example.com", after!.GoogleEmail);
        Assert.Equal(before!.ETag, after.ETag);
    }

    [Fact]
    public async Task Reconnect_with_another_account_when_allowed_replaces_it_and_revokes_the_old_grant()
    {
        await using var world = await BrokerWorld.StartAsync();
        var request = world.Request(Features.Mail);
        var (first, _) = await world.ConnectAsync(request, "alice@example.com");
        var oldConnection = await world.Connections.GetAsync(BrokerWorld.TenantId, first.ConnectionId, CancellationToken.None);
        var oldAccessToken = await world.Connections.ReadAccessTokenAsync(oldConnection!, CancellationToken.None);
        request.AllowAccountSwitch = true;

        var (_, outcome) = await world.ConnectAsync(request, "bob@example.com");

        Assert.NotNull(outcome.RedirectTo);
        var after = await world.Connections.GetAsync(BrokerWorld.TenantId, first.ConnectionId, CancellationToken.None);
        Assert.Equal("bob@example.com", after!.GoogleEmail);
        Assert.False(world.Google.IsAccessTokenValid(oldAccessToken!));
    }

    [Fact]
    public async Task Reconnect_with_the_same_account_updates_the_connection_in_place()
    {
        await using var world = await BrokerWorld.StartAsync();
        var request = world.Request(Features.Mail);
        var (first, _) = await world.ConnectAsync(request);
        request.Features = [Features.Mail, Features.Contacts];

        var (second, outcome) = await world.ConnectAsync(request);

        Assert.Equal(first.ConnectionId, second.ConnectionId);
        Assert.NotNull(outcome.RedirectTo);
        var connections = await world.Connections.ListAsync(BrokerWorld.TenantId, request.CreatioUserId, CancellationToken.None);
        var connection = Assert.Single(connections);
        Assert.Contains("https://www.googleapis.com/auth/contacts", connection.Scopes);
    }

    [Fact]
    public async Task Stored_tokens_do_not_decrypt_when_copied_to_another_row()
    {
        await using var world = await BrokerWorld.StartAsync();
        var (started, _) = await world.ConnectAsync(world.Request(Features.Mail));
        var connection = (await world.Connections.GetAsync(BrokerWorld.TenantId, started.ConnectionId, CancellationToken.None))!;
        var copy = new Connection
        {
            PartitionKey = BrokerWorld.TenantId,
            RowKey = "other",
            RefreshTokenCiphertext = connection.RefreshTokenCiphertext,
            RefreshTokenKeyVersion = connection.RefreshTokenKeyVersion,
        };

        await Assert.ThrowsAnyAsync<System.Security.Cryptography.CryptographicException>(
            () => world.Connections.ReadRefreshTokenAsync(copy, CancellationToken.None));
    }

    [Fact]
    public async Task Pending_authorization_row_holds_neither_the_state_nor_the_plain_pkce_verifier()
    {
        await using var world = await BrokerWorld.StartAsync();
        var started = await world.StartConnectAsync(world.Request(Features.Mail));
        var state = HttpUtility.ParseQueryString(started.AuthorizationUrl.Query)["state"]!;

        var table = await world.Tables.GetAsync(BrokerTables.AuthStates, CancellationToken.None);
        var rows = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>(cancellationToken: CancellationToken.None))
        {
            rows.Add(row);
        }

        var stored = Assert.Single(rows);
        var text = string.Join("|", stored.Select(p => p.Value?.ToString()).Append(stored.RowKey));
        Assert.DoesNotContain(state, text, StringComparison.Ordinal);
        Assert.NotEmpty((string)stored["CodeVerifierCiphertext"]);
    }

    [Fact]
    public async Task Refused_code_exchange_on_reconnect_keeps_the_stored_connection_and_its_refresh_token()
    {
        await using var world = await BrokerWorld.StartAsync();
        var request = world.Request(Features.Mail);
        var (first, _) = await world.ConnectAsync(request);
        var before = (await world.Connections.GetAsync(BrokerWorld.TenantId, first.ConnectionId, CancellationToken.None))!;
        var refreshToken = await world.Connections.ReadRefreshTokenAsync(before, CancellationToken.None);
        var started = await world.StartConnectAsync(request);
        var redirect = await GoogleConsent.DecideAsync(world.Browser, started.AuthorizationUrl, "alice@example.com");
        world.Google.InjectTokenEndpointFailures(1, 400);

        var outcome = await world.ConnectFlow.CompleteAsync(BrokerWorld.CallbackOf(redirect), CancellationToken.None);

        Assert.Equal(400, outcome.Page!.StatusCode);
        var after = (await world.Connections.GetAsync(BrokerWorld.TenantId, first.ConnectionId, CancellationToken.None))!;
        Assert.Equal(before.ETag, after.ETag);
        Assert.Equal(refreshToken, await world.Connections.ReadRefreshTokenAsync(after, CancellationToken.None));
    }

    [Fact]
    public async Task Google_outage_during_the_exchange_shows_a_try_again_page_and_stores_nothing()
    {
        await using var world = await BrokerWorld.StartAsync();
        var started = await world.StartConnectAsync(world.Request(Features.Mail));
        var redirect = await GoogleConsent.DecideAsync(world.Browser, started.AuthorizationUrl, "alice@example.com");
        world.Google.InjectTokenEndpointFailures(10, 503);

        var outcome = await world.ConnectFlow.CompleteAsync(BrokerWorld.CallbackOf(redirect), CancellationToken.None);

        Assert.Equal(502, outcome.Page!.StatusCode);
        Assert.Contains("start again", outcome.Page.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Null(await world.Connections.GetAsync(BrokerWorld.TenantId, started.ConnectionId, CancellationToken.None));
    }

    [Fact]
    public async Task Pending_authorizations_are_swept_a_day_after_they_expire()
    {
        await using var world = await BrokerWorld.StartAsync();
        var old = await world.StartConnectAsync(world.Request(Features.Mail));
        var oldRedirect = await GoogleConsent.DecideAsync(world.Browser, old.AuthorizationUrl, "alice@example.com");
        world.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(11));
        await world.StartConnectAsync(world.Request(Features.Mail));
        var store = world.Services.GetRequiredService<PendingAuthorizationStore>();

        var swept = await store.SweepAsync(CancellationToken.None);

        Assert.Equal(1, swept); // the old one only; the new one is still pending
        var outcome = await world.ConnectFlow.CompleteAsync(BrokerWorld.CallbackOf(oldRedirect), CancellationToken.None);
        Assert.Equal(400, outcome.Page!.StatusCode);
    }
}
