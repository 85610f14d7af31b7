using System.Net;
using System.Text;
using Azure.Data.Tables;
using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Tests.Infrastructure;

namespace CreatioGoogle.Tests.Connect;

/// <summary>
/// The whole browser redirect chain over real HTTP: Creatio's API call, Google's consent page, Google's redirect
/// to the broker, the broker's redirect back to Creatio; then the row as it sits in Azurite.
/// </summary>
public sealed class ConnectEndToEndTests
{
    [Theory]
    [InlineData("/0/rest/GoogleOAuthAuthenticator/ProcessAuthenticationCode")]
    [InlineData("/0/LegacySocialAccountAuthPage.aspx?Id=3b22f0ff-034a-48da-8758-a0660e5a26ff")]
    [InlineData("/0/ViewPage.aspx?Id=3b22f0ff-034a-48da-8758-a0660e5a26ff")]
    public async Task Connect_walks_from_creatio_through_google_and_back_and_stores_the_refresh_token_encrypted(string redirectPath)
    {
        await using var broker = await RunningBroker.StartAsync(s => s["Broker:RedirectPath"] = redirectPath);
        var user = Guid.NewGuid().ToString();

        var (connectionId, authorizationUrl) = await broker.CreateConnectionAsync(RunningBroker.ConnectBody(user, "mail", "calendar"));
        var googleRedirect = await GoogleConsent.DecideAsync(broker.Browser, authorizationUrl, "alice@example.com");
        Assert.Equal(new Uri(broker.BaseUrl, redirectPath).GetLeftPart(UriPartial.Path), googleRedirect.GetLeftPart(UriPartial.Path));
        using var callback = await broker.Browser.GetAsync(googleRedirect);

        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        var back = callback.Headers.Location!;
        Assert.Equal("acme.creatio.example", back.Host);
        Assert.Contains($"connectionId={connectionId}", back.Query, StringComparison.Ordinal);
        Assert.Contains("status=connected", back.Query, StringComparison.Ordinal);

        // The row as stored, read with a plain table client: no token in clear text anywhere in it.
        var table = new TableClient(broker.Settings["AzureWebJobsStorage"], broker.TablePrefix + "connections");
        var row = (await table.GetEntityAsync<TableEntity>("acme", connectionId)).Value;
        Assert.Equal("alice@example.com", row.GetString("GoogleEmail"));
        Assert.Equal(user, row.GetString("CreatioUserId"));
        Assert.Equal(ConnectionStatus.Connected, row.GetString("Status"));
        Assert.Contains("https://www.googleapis.com/auth/calendar.events", row.GetString("GrantedScopes"), StringComparison.Ordinal);
        var connection = (await broker.Connections.GetAsync("acme", connectionId, CancellationToken.None))!;
        var refreshToken = (await broker.Connections.ReadRefreshTokenAsync(connection, CancellationToken.None))!;
        var accessToken = (await broker.Connections.ReadAccessTokenAsync(connection, CancellationToken.None))!;
        Assert.StartsWith("sbx-rt-", refreshToken, StringComparison.Ordinal);
        foreach (var (column, value) in row)
        {
            var text = value?.ToString() ?? "";
            Assert.DoesNotContain(refreshToken, text, StringComparison.Ordinal);
            Assert.DoesNotContain(accessToken, text, StringComparison.Ordinal);
            if (column.EndsWith("Ciphertext", StringComparison.Ordinal))
            {
                Assert.DoesNotContain("sbx-", Encoding.UTF8.GetString(Convert.FromBase64String(text)), StringComparison.Ordinal);
            }
        }

        Assert.False(string.IsNullOrEmpty(row.GetString("RefreshTokenKeyVersion")));
    }

    [Fact]
    public async Task Failures_a_person_can_cause_end_on_plain_pages_with_their_status()
    {
        await using var broker = await RunningBroker.StartAsync();
        const string callbackPath = "/0/rest/GoogleOAuthAuthenticator/ProcessAuthenticationCode";

        // Consent denied.
        var (_, denyUrl) = await broker.CreateConnectionAsync(RunningBroker.ConnectBody(Guid.NewGuid().ToString(), "mail"));
        var denied = await GoogleConsent.DecideAsync(broker.Browser, denyUrl, "alice@example.com", allow: false);
        await AssertPageAsync(broker, denied, HttpStatusCode.Forbidden, "not granted");

        // Replayed: the first use connects, the second is refused.
        var (_, okUrl) = await broker.CreateConnectionAsync(RunningBroker.ConnectBody(Guid.NewGuid().ToString(), "mail"));
        var allowed = await GoogleConsent.DecideAsync(broker.Browser, okUrl, "alice@example.com");
        using (var first = await broker.Browser.GetAsync(allowed))
        {
            Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        }

        await AssertPageAsync(broker, allowed, HttpStatusCode.Conflict, "already used");

        // Forged state, missing state, missing code.
        await AssertPageAsync(broker, new Uri(broker.BaseUrl, $"{callbackPath}?code=abc&state={BrokerWorld.RandomText()}"), HttpStatusCode.BadRequest, "not valid");
        await AssertPageAsync(broker, new Uri(broker.BaseUrl, $"{callbackPath}?code=abc"), HttpStatusCode.BadRequest, "not valid");
        var (_, noCodeUrl) = await broker.CreateConnectionAsync(RunningBroker.ConnectBody(Guid.NewGuid().ToString(), "mail"));
        var withCode = await GoogleConsent.DecideAsync(broker.Browser, noCodeUrl, "alice@example.com");
        var state = System.Web.HttpUtility.ParseQueryString(withCode.Query)["state"];
        await AssertPageAsync(broker, new Uri(broker.BaseUrl, $"{callbackPath}?state={Uri.EscapeDataString(state!)}"), HttpStatusCode.BadRequest, "incomplete");

        // The .aspx aliases answer only for Creatio's page id.
        await AssertPageAsync(broker, new Uri(broker.BaseUrl, "/0/ViewPage.aspx?Id=00000000-0000-0000-0000-000000000000&code=a&state=b"), HttpStatusCode.NotFound, "not found");
    }

    [Fact]
    public async Task Api_callers_get_problem_bodies_for_their_mistakes()
    {
        await using var broker = await RunningBroker.StartAsync();
        var body = RunningBroker.ConnectBody(Guid.NewGuid().ToString(), "mail");

        using var wrongKey = await broker.Browser.SendAsync(broker.ApiRequest(HttpMethod.Post, "/api/connections", body, apiKey: "wrong"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);
        Assert.Equal("application/problem+json", wrongKey.Content.Headers.ContentType!.MediaType);

        var notJson = broker.ApiRequest(HttpMethod.Post, "/api/connections");
        notJson.Content = new StringContent("{ not json", Encoding.UTF8, "application/json");
        using var badJson = await broker.Browser.SendAsync(notJson);
        Assert.Equal(HttpStatusCode.BadRequest, badJson.StatusCode);
        Assert.Equal("application/problem+json", badJson.Content.Headers.ContentType!.MediaType);
        Assert.DoesNotContain("   at ", await badJson.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var outsider = new { creatioUserId = Guid.NewGuid().ToString(), features = new[] { "mail" }, returnUrl = "https://evil.example/" };
        using var notAllowed = await broker.Browser.SendAsync(broker.ApiRequest(HttpMethod.Post, "/api/connections", outsider));
        Assert.Equal(HttpStatusCode.BadRequest, notAllowed.StatusCode);
        Assert.Contains("returnUrl", await notAllowed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static async Task AssertPageAsync(RunningBroker broker, Uri url, HttpStatusCode status, string phrase)
    {
        using var response = await broker.Browser.GetAsync(url);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{url.PathAndQuery}: expected {(int)status}, got {(int)response.StatusCode}: {html}");
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains(phrase, html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Exception", html, StringComparison.Ordinal);
    }
}
