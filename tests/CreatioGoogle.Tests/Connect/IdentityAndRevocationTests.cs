using System.Net;
using System.Text;
using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Google;
using CreatioGoogle.Broker.Http;
using CreatioGoogle.Sandbox.Google;
using CreatioGoogle.Tests.Infrastructure;

namespace CreatioGoogle.Tests.Connect;

/// <summary>
/// Who signed in (ID token, userinfo) and giving grants back: a sign-in that does not verify is refused with nothing
/// stored and its grant revoked; a revocation Google does not confirm is retried and shown, never dropped silently.
/// </summary>
public sealed class IdentityAndRevocationTests
{
    [Fact]
    public async Task Email_missing_from_the_id_token_is_taken_from_userinfo()
    {
        await using var world = await BrokerWorld.StartAsync(google: o => o.OmitEmailFromIdTokens = true);

        var connection = await world.ConnectedAsync("alice@example.com");

        Assert.Equal("alice@example.com", connection.GoogleEmail);
        Assert.Equal("110000000000000000001", connection.GoogleSubject);
    }

    public static TheoryData<string, Func<string, string>> BrokenIdTokens => new()
    {
        { "not a JWT", _ => "not-a-jwt" },
        { "empty", _ => "" },
        { "header not base64", t => "%%%." + t.Split('.')[1] + "." + t.Split('.')[2] },
        { "header not JSON", t => Base64Url("this is not json") + "." + t.Split('.')[1] + "." + t.Split('.')[2] },
        { "payload not JSON", t => t.Split('.')[0] + "." + Base64Url("{\"sub\":") + "." + t.Split('.')[2] },
        { "signature cut", t => t[..^10] },
        { "alg none", t => Base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + t.Split('.')[1] + "." },
        { "four parts", t => t + ".extra" },
    };

    [Theory]
    [MemberData(nameof(BrokenIdTokens))]
    public async Task Id_token_that_does_not_verify_is_refused_with_a_400_page_stores_nothing_and_revokes_the_grant(
        string why, Func<string, string> tamper)
    {
        await using var world = await BrokerWorld.StartAsync();
        world.Google.IdTokenTampering = tamper;
        var started = await world.StartConnectAsync(world.Request(Features.Mail));
        var redirect = await GoogleConsent.DecideAsync(world.Browser, started.AuthorizationUrl, "alice@example.com");
        Assert.True(world.Google.HasLiveGrant("alice@example.com"), "consent gave a grant");

        var outcome = await world.ConnectFlow.CompleteAsync(BrokerWorld.CallbackOf(redirect), CancellationToken.None);

        Assert.True(outcome.Page is { StatusCode: 400 }, $"{why}: {outcome.Page?.StatusCode} {outcome.Page?.Title}");
        Assert.Contains("could not be verified", outcome.Page!.Title, StringComparison.Ordinal);
        Assert.Null(await world.Connections.GetAsync(BrokerWorld.TenantId, started.ConnectionId, CancellationToken.None));
        Assert.False(world.Google.HasLiveGrant("alice@example.com"), $"{why}: the grant is still live at Google");
        Assert.Empty(await world.Revocations.ListAsync(BrokerWorld.TenantId, null, CancellationToken.None));
    }

    [Fact]
    public async Task Sandbox_revoke_answers_invalid_token_for_a_token_it_does_not_know_as_google_does()
    {
        var options = new SandboxGoogleOptions();
        await using var google = await SandboxGoogle.StartAsync(options);
        using var http = new HttpClient();

        using var unknown = await http.PostAsync(google.RevokeEndpoint, new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = "sbx-rt-nope" }));
        using var none = await http.PostAsync(google.RevokeEndpoint, new FormUrlEncodedContent(new Dictionary<string, string>()));

        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("\"invalid_token\"", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, none.StatusCode);
        Assert.Contains("\"invalid_request\"", await none.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(400)] // invalid_request: not Google's "no such token"
    [InlineData(401)] // invalid_client
    public async Task Disconnect_that_google_refuses_to_revoke_is_202_listed_and_retried_until_google_revokes(int status)
    {
        await using var world = await BrokerWorld.StartAsync();
        var connection = await world.ConnectedAsync("alice@example.com");
        world.Google.InjectRevokeFailures(1, status);

        var disconnect = await world.CallAsync((api, r) => api.DeleteConnectionAsync(r, connection.ConnectionId, default), "DELETE");

        Assert.Equal(202, disconnect.Status);
        Assert.Equal("disconnected", disconnect.Json.GetProperty("status").GetString());
        Assert.Null(await world.Connections.GetAsync(BrokerWorld.TenantId, connection.ConnectionId, default));
        Assert.True(world.Google.HasLiveGrant("alice@example.com"), "Google refused: the grant is still live");
        var listed = await world.CallAsync((api, r) => api.ListPendingRevocationsAsync(r, default));
        var pending = Assert.Single(listed.Json.GetProperty("revocations").EnumerateArray());
        Assert.Equal(connection.ConnectionId, pending.GetProperty("connectionId").GetString());
        Assert.Equal(RevocationReasons.Disconnected, pending.GetProperty("reason").GetString());
        Assert.StartsWith(status.ToString(System.Globalization.CultureInfo.InvariantCulture), pending.GetProperty("lastError").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("sbx-", listed.Body, StringComparison.Ordinal); // never the token

        // Not due yet: nothing is tried. Once due, the renewal timer's pass revokes it and the record goes.
        Assert.Equal(0, await world.Revocations.RetryDueAsync(default));
        world.Clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(1, await world.Revocations.RetryDueAsync(default));

        Assert.False(world.Google.HasLiveGrant("alice@example.com"));
        Assert.Empty(await world.Revocations.ListAsync(BrokerWorld.TenantId, null, default));
    }

    [Fact]
    public async Task Revocation_failing_again_backs_off_and_keeps_its_last_error()
    {
        await using var world = await BrokerWorld.StartAsync();
        var connection = await world.ConnectedAsync("alice@example.com");
        world.Google.InjectRevokeFailures(2, 400);
        await world.CallAsync((api, r) => api.DeleteConnectionAsync(r, connection.ConnectionId, default), "DELETE");

        world.Clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(0, await world.Revocations.RetryDueAsync(default));
        var afterSecond = Assert.Single(await world.Revocations.ListAsync(BrokerWorld.TenantId, null, default));

        Assert.Equal(2, afterSecond.Attempts);
        Assert.Equal(world.Clock.GetUtcNow() + TimeSpan.FromMinutes(15), afterSecond.NextAttemptAt);
        Assert.Equal("400 invalid_request", afterSecond.LastError);
        world.Clock.Advance(TimeSpan.FromMinutes(16));
        Assert.Equal(1, await world.Revocations.RetryDueAsync(default));
        Assert.False(world.Google.HasLiveGrant("alice@example.com"));
    }

    [Fact]
    public async Task Refused_account_switch_whose_revocation_fails_is_shown_on_the_connection_and_retried()
    {
        await using var world = await BrokerWorld.StartAsync();
        var request = world.Request(Features.Mail);
        await world.ConnectAsync(request, "alice@example.com");
        world.Google.InjectRevokeFailures(1, 503);

        var (started, outcome) = await world.ConnectAsync(request, "bob@example.com");

        Assert.Equal(409, outcome.Page!.StatusCode);
        Assert.True(world.Google.HasLiveGrant("bob@example.com"));
        var status = await world.CallAsync((api, r) => api.GetConnectionAsync(r, started.ConnectionId, default));
        var pending = Assert.Single(status.Json.GetProperty("pendingRevocations").EnumerateArray());
        Assert.Equal("bob@example.com", pending.GetProperty("googleEmail").GetString());
        Assert.Equal(RevocationReasons.AccountSwitchRefused, pending.GetProperty("reason").GetString());
        Assert.Equal("alice@example.com", status.Json.GetProperty("googleAccount").GetProperty("email").GetString());

        world.Clock.Advance(TimeSpan.FromMinutes(6));
        await world.Revocations.RetryDueAsync(default);
        Assert.False(world.Google.HasLiveGrant("bob@example.com"));
        Assert.True(world.Google.HasLiveGrant("alice@example.com"));
    }

    [Theory]
    [InlineData(null, 202)]                 // Google's way: no client credentials; an RFC 7009 server refuses (invalid_client)
    [InlineData("ClientSecretBasic", 204)]
    [InlineData("ClientSecretPost", 204)]
    public async Task Revocation_sends_client_credentials_when_set_for_an_rfc_7009_server(string? authentication, int expected)
    {
        await using var world = await BrokerWorld.StartAsync(
            s => s["Google:RevocationClientAuthentication"] = authentication,
            o => o.RevokeRequiresClientAuthentication = true);
        var connection = await world.ConnectedAsync("alice@example.com");

        var disconnect = await world.CallAsync((api, r) => api.DeleteConnectionAsync(r, connection.ConnectionId, default), "DELETE");

        Assert.Equal(expected, disconnect.Status);
        Assert.Equal(expected == 202, world.Google.HasLiveGrant("alice@example.com"));
    }

    [Fact]
    public async Task Disconnecting_one_of_two_connections_of_a_google_account_leaves_the_other_working()
    {
        await using var world = await BrokerWorld.StartAsync();
        var first = await world.ConnectedAsync("alice@example.com");
        var second = await world.ConnectedAsync("alice@example.com");

        var disconnect = await world.CallAsync((api, r) => api.DeleteConnectionAsync(r, first.ConnectionId, default), "DELETE");
        world.Clock.Advance(TimeSpan.FromHours(2)); // the second's access token has expired: a refresh must work
        var token = await world.CallAsync((api, r) => api.GetTokenAsync(r, second.ConnectionId, default), "POST");
        var last = await world.CallAsync((api, r) => api.DeleteConnectionAsync(r, second.ConnectionId, default), "DELETE");

        Assert.Equal(204, disconnect.Status);
        Assert.Equal(200, token.Status);
        Assert.Equal(204, last.Status);
        Assert.False(world.Google.HasLiveGrant("alice@example.com")); // the last one gives the grant back
    }

    private static string Base64Url(string text) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
