using System.Net;
using CreatioGoogle.Sandbox.Google;

namespace CreatioGoogle.Tests.Sandbox;

/// <summary>The sandbox's levers for a person trying the local run from outside the process.</summary>
public sealed class SandboxControlTests
{
    [Fact]
    public async Task Outage_and_revoke_levers_act_on_the_token_endpoint()
    {
        var options = new SandboxGoogleOptions();
        options.Clients.Add(new SandboxClient("c.apps.googleusercontent.com", "secret", "http://broker.test/cb"));
        await using var google = await SandboxGoogle.StartAsync(options);
        var (refreshToken, _) = google.IssueGrantForTesting("c.apps.googleusercontent.com", "alice@example.com", ["https://mail.google.com/"]);
        using var http = new HttpClient();
        Task<HttpResponseMessage> RefreshAsync() => http.PostAsync(google.TokenEndpoint, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken, ["client_id"] = "c.apps.googleusercontent.com", ["client_secret"] = "secret",
        }));

        using var outage = await http.PostAsync(new Uri(google.BaseUrl, "_sandbox/outage?count=1&status=503&retryAfter=7"), null);
        using var duringOutage = await RefreshAsync();
        using var afterOutage = await RefreshAsync();
        using var revoke = await http.PostAsync(new Uri(google.BaseUrl, "_sandbox/revoke?email=alice@example.com"), null);
        using var afterRevoke = await RefreshAsync();

        Assert.Equal(HttpStatusCode.OK, outage.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, duringOutage.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), duringOutage.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.OK, afterOutage.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, afterRevoke.StatusCode);
        Assert.Contains("invalid_grant", await afterRevoke.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
