using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CreatioGoogle.Sandbox.Creatio;

namespace CreatioGoogle.Tests.Creatio;

/// <summary>The sandbox's own Creatio behaviours, over raw HTTP, where the client would hide them.</summary>
public sealed class SandboxCreatioTests
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false });

    [Fact]
    public async Task Login_SetsCookies_AndDataCallsNeedTheCsrfHeader()
    {
        await using var world = await CreatioWorld.StartAsync();
        var (cookie, csrf) = await LoginAsync(world.Sandbox);

        using var withoutCsrf = await SendAsync(world.Sandbox, HttpMethod.Get, "0/odata/Contact", cookie, null);
        using var wrongCsrf = await SendAsync(world.Sandbox, HttpMethod.Get, "0/odata/Contact", cookie, "nope");
        using var ok = await SendAsync(world.Sandbox, HttpMethod.Get, "0/odata/Contact?$count=true&$top=1", cookie, csrf);

        Assert.Equal(HttpStatusCode.Unauthorized, withoutCsrf.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongCsrf.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var body = JsonNode.Parse(await ok.Content.ReadAsStringAsync())!;
        Assert.EndsWith("/0/odata/$metadata#Contact", body["@odata.context"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(2, body["@odata.count"]!.GetValue<int>()); // the user's and the app's technical user's contacts
        Assert.Single(body["value"]!.AsArray());
    }

    [Fact]
    public async Task FailedLogin_IsHttp200WithCode1()
    {
        await using var world = await CreatioWorld.StartAsync();
        using var response = await Http.PostAsync(new Uri(world.Sandbox.BaseUrl, "ServiceModel/AuthService.svc/Login"),
            new StringContent("""{"UserName":"Integration","UserPassword":"wrong"}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(1, body["Code"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(body["Message"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Batch_Over100_IsRefused_AndWithoutContinueOnError_StopsAtTheFirstFailure()
    {
        await using var world = await CreatioWorld.StartAsync();
        var (cookie, csrf) = await LoginAsync(world.Sandbox);

        var tooMany = new JsonObject { ["requests"] = new JsonArray([.. Enumerable.Range(1, 101).Select(i => Create(i, $"X{i}"))]) };
        using var refused = await SendAsync(world.Sandbox, HttpMethod.Post, "0/odata/$batch", cookie, csrf, tooMany);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("100", JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);

        var stopping = new JsonObject
        {
            ["requests"] = new JsonArray(
                Create(1, "First"),
                new JsonObject { ["id"] = "2", ["method"] = "DELETE", ["url"] = $"Contact({Guid.NewGuid()})" },
                Create(3, "Never")),
        };
        using var stopped = await SendAsync(world.Sandbox, HttpMethod.Post, "0/odata/$batch", cookie, csrf, stopping);
        var responses = JsonNode.Parse(await stopped.Content.ReadAsStringAsync())!["responses"]!.AsArray();
        Assert.Equal([201, 404], responses.Select(r => r!["status"]!.GetValue<int>()));
        Assert.Contains(world.Sandbox.Contacts(), c => c["Name"]!.GetValue<string>() == "First");
        Assert.DoesNotContain(world.Sandbox.Contacts(), c => c["Name"]!.GetValue<string>() == "Never");
    }

    [Fact]
    public async Task Filter_SupportsComparisonsAndLogic_AndRejectsTypeMismatches()
    {
        await using var world = await CreatioWorld.StartAsync();
        var owner = Guid.NewGuid();
        foreach (var (name, job) in new[] { ("Ann", "CEO"), ("Bob", "CTO"), ("Cid", "O'Neil & Co") })
        {
            world.Sandbox.SeedContact(new JsonObject { ["Name"] = name, ["JobTitle"] = job, ["OwnerId"] = owner.ToString() });
        }

        var (cookie, csrf) = await LoginAsync(world.Sandbox);
        async Task<string[]> NamesAsync(string filter)
        {
            using var r = await SendAsync(world.Sandbox, HttpMethod.Get,
                $"0/odata/Contact?$select=Name&$orderby=Name desc&$filter={Uri.EscapeDataString($"OwnerId eq {owner} and ({filter})")}", cookie, csrf);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            return [.. JsonNode.Parse(await r.Content.ReadAsStringAsync())!["value"]!.AsArray().Select(v => v!["Name"]!.GetValue<string>())];
        }

        Assert.Equal(["Bob", "Ann"], await NamesAsync("Name lt 'Cid'"));
        Assert.Equal(["Cid", "Ann"], await NamesAsync("JobTitle eq 'ceo' or JobTitle eq 'O''Neil & Co'"));
        Assert.Equal(["Cid"], await NamesAsync("not (Name le 'Bob') and ModifiedOn ge 2025-03-01T08:00:00.000Z"));
        Assert.Empty(await NamesAsync("ModifiedOn gt 2025-03-01T08:00:00Z"));

        using var mismatch = await SendAsync(world.Sandbox, HttpMethod.Get,
            $"0/odata/Contact?$filter={Uri.EscapeDataString("OwnerId eq 'not-a-guid'")}", cookie, csrf);
        Assert.Equal(HttpStatusCode.BadRequest, mismatch.StatusCode);
    }

    private static JsonObject Create(int id, string name) =>
        new() { ["id"] = id.ToString(), ["method"] = "POST", ["url"] = "Contact", ["body"] = new JsonObject { ["Name"] = name } };

    private static async Task<(string Cookie, string Csrf)> LoginAsync(SandboxCreatio sandbox)
    {
        using var response = await Http.PostAsync(new Uri(sandbox.BaseUrl, "ServiceModel/AuthService.svc/Login"),
            new StringContent($$"""{"UserName":"{{CreatioWorld.UserName}}","UserPassword":"{{CreatioWorld.Password}}"}""", Encoding.UTF8, "application/json"));
        var cookies = response.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).ToList();
        Assert.Equal([".ASPXAUTH", "BPMCSRF", "BPMLOADER", "UserName"], cookies.Select(c => c.Split('=')[0]));
        Assert.Equal(0, JsonNode.Parse(await response.Content.ReadAsStringAsync())!["Code"]!.GetValue<int>());
        return (string.Join("; ", cookies), cookies.Single(c => c.StartsWith("BPMCSRF=", StringComparison.Ordinal))["BPMCSRF=".Length..]);
    }

    private static Task<HttpResponseMessage> SendAsync(SandboxCreatio sandbox, HttpMethod method, string path, string cookie, string? csrf, JsonObject? body = null)
    {
        var request = new HttpRequestMessage(method, new Uri(sandbox.BaseUrl, path));
        request.Headers.Add("Cookie", cookie);
        if (csrf is not null)
        {
            request.Headers.Add("BPMCSRF", csrf);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        return Http.SendAsync(request);
    }
}
