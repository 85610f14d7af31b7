using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Google;
using CreatioGoogle.Broker.Http;
using CreatioGoogle.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CreatioGoogle.Tests.Connect;

/// <summary>
/// What an API caller gets for a mistake, over real HTTP on the local host: bodies over the cap are 413, unknown
/// properties and bad values 400 naming the field, the 401 says what is wrong, and one reconnect answer everywhere.
/// </summary>
public sealed class ApiEdgeTests
{
    [Fact]
    public async Task Megabyte_body_padded_with_an_unknown_property_is_413_with_a_problem_body_whether_or_not_it_has_a_length()
    {
        await using var broker = await RunningBroker.StartAsync();
        var padded = JsonSerializer.Serialize(new
        {
            creatioUserId = Guid.NewGuid().ToString(),
            features = new[] { "mail" },
            returnUrl = BrokerWorld.ReturnUrl.ToString(),
            padding = new string('x', 1024 * 1024),
        });

        var withLength = broker.ApiRequest(HttpMethod.Post, "/api/connections");
        withLength.Content = new StringContent(padded, Encoding.UTF8, "application/json");
        var chunked = broker.ApiRequest(HttpMethod.Post, "/api/connections");
        chunked.Content = new StreamContent(new NoLengthStream(Encoding.UTF8.GetBytes(padded)));
        chunked.Content.Headers.ContentType = new("application/json");

        foreach (var request in new[] { withLength, chunked })
        {
            // As curl and other clients do for large bodies: the server can refuse before the body is sent.
            request.Headers.ExpectContinue = true;
            using var response = await broker.Browser.SendAsync(request);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(EdgeRules.MaxJsonBodyBytes, problem.GetProperty("maxBodyBytes").GetInt32());
        }

        Assert.Empty(await broker.Connections.ListAsync(BrokerWorld.TenantId, null, default));
    }

    [Fact]
    public async Task Unknown_property_is_refused_with_400_naming_the_known_ones_and_nothing_is_stored()
    {
        await using var broker = await RunningBroker.StartAsync();
        var body = new { creatioUserId = Guid.NewGuid().ToString(), features = new[] { "mail" }, returnUrl = BrokerWorld.ReturnUrl.ToString(), admin = true };

        using var response = await broker.Browser.SendAsync(broker.ApiRequest(HttpMethod.Post, "/api/connections", body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("$.admin", text, StringComparison.Ordinal);
        Assert.Contains("creatioUserId, features, returnUrl", text, StringComparison.Ordinal);
        Assert.DoesNotContain("CreatioGoogle.", text, StringComparison.Ordinal); // no .NET type names
    }

    [Theory]
    [InlineData("{\"features\":[null]}", "features")]
    [InlineData("{\"creatioUserId\":\"{410006e1-ca4e-4502-a9ec-e54d922d2c00}\",\"features\":[\"mail\"],\"returnUrl\":\"https://acme.creatio.example/\"}", "creatioUserId")]
    [InlineData("{\"features\":[\"\"]}", "features")]
    [InlineData("{\"features\":[\"mail\",\"mail\",\"mail\",\"mail\",\"mail\",\"mail\",\"mail\",\"mail\",\"mail\",\"mail\",\"mail\"]}", "features")]
    [InlineData("{\"loginHint\":\"alice@example.com\\u0000\"}", "loginHint")]
    [InlineData("{\"returnUrl\":\"https://acme.creatio.example/\\u0000\"}", "returnUrl")]
    public async Task Bad_field_values_are_400_with_the_field_named(string json, string field)
    {
        await using var broker = await RunningBroker.StartAsync();
        var request = broker.ApiRequest(HttpMethod.Post, "/api/connections");
        request.Content = new StringContent(json, Encoding.UTF8, "application/json");

        using var response = await broker.Browser.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), errors.ToString());
    }

    [Fact]
    public async Task Return_url_longer_than_the_limit_under_an_allowed_prefix_is_400()
    {
        await using var broker = await RunningBroker.StartAsync();
        var body = new
        {
            creatioUserId = Guid.NewGuid().ToString(),
            features = new[] { "mail" },
            returnUrl = BrokerWorld.CreatioSite + "0/Shell/?x=" + new string('a', EdgeRules.MaxUrlLength),
        };

        using var response = await broker.Browser.SendAsync(broker.ApiRequest(HttpMethod.Post, "/api/connections", body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("returnUrl", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a%2Fb")]
    [InlineData("x%3Fy")]
    [InlineData("a%5Cb")]
    [InlineData("12345678901234567890123456789012345678901234567890123456789012345")]
    public async Task Connection_id_that_cannot_be_one_is_400_on_every_connection_route(string id)
    {
        await using var broker = await RunningBroker.StartAsync();

        foreach (var (method, path) in new[]
                 {
                     (HttpMethod.Get, $"/api/connections/{id}"), (HttpMethod.Delete, $"/api/connections/{id}"),
                     (HttpMethod.Post, $"/api/connections/{id}/token"), (HttpMethod.Post, $"/api/connections/{id}/sync"),
                 })
        {
            using var response = await broker.Browser.SendAsync(broker.ApiRequest(method, path));
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{method} {path}: {(int)response.StatusCode}");
            Assert.Contains("connectionId", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Unauthorized_answer_says_which_header_is_missing_or_that_the_pair_is_wrong_without_telling_if_the_tenant_exists()
    {
        await using var broker = await RunningBroker.StartAsync();
        async Task<JsonElement> CallAsync(string? tenant, string? key)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, new Uri(broker.BaseUrl, "/api/connections"));
            if (tenant is not null)
            {
                request.Headers.Add("X-Creatio-Tenant", tenant);
            }

            if (key is not null)
            {
                request.Headers.Add("X-Api-Key", key);
            }

            using var response = await broker.Browser.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            return await response.Content.ReadFromJsonAsync<JsonElement>();
        }

        var none = await CallAsync(null, null);
        var noKey = await CallAsync("acme", null);
        var wrongKey = await CallAsync("acme", "wrong");
        var unknownTenant = await CallAsync("nosuchtenant", "wrong");

        Assert.Equal(["X-Creatio-Tenant", "X-Api-Key"], none.GetProperty("missingHeaders").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["X-Api-Key"], noKey.GetProperty("missingHeaders").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("do not match", wrongKey.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(wrongKey.ToString(), unknownTenant.ToString());
    }

    [Fact]
    public async Task Sync_without_a_feature_queues_what_can_sync_and_lists_the_rest_with_the_reason()
    {
        await using var world = await BrokerWorld.StartAsync();
        var connection = await world.ConnectedAsync("alice@example.com", Features.Mail, Features.Contacts);
        var sync = world.Services.GetRequiredService<SyncApi>();

        var all = await world.CallAsync(r => sync.SyncNowAsync(r, connection.ConnectionId, default), "POST");
        var mailOnly = await world.CallAsync(r => sync.SyncNowAsync(r, connection.ConnectionId, default), "POST", "?feature=mail");
        var unknown = await world.CallAsync(r => sync.SyncNowAsync(r, connection.ConnectionId, default), "POST", "?feature=drive");

        Assert.Equal(202, all.Status);
        Assert.Equal(["contacts"], all.Json.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("feature").GetString()));
        var skipped = Assert.Single(all.Json.GetProperty("skipped").EnumerateArray());
        Assert.Equal("mail", skipped.GetProperty("feature").GetString());
        Assert.Contains("no sync", skipped.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(400, mailOnly.Status);
        Assert.Equal("mail", mailOnly.Json.GetProperty("feature").GetString());
        Assert.Equal(400, unknown.Status);
    }

    [Fact]
    public async Task Sync_of_a_connection_that_needs_reconnecting_gets_the_same_409_as_the_token_api()
    {
        await using var world = await BrokerWorld.StartAsync(google: g => g.AccessTokenLifetime = TimeSpan.FromMinutes(4));
        var connection = await world.ConnectedAsync("alice@example.com", Features.Contacts);
        world.Google.RevokeAllFor("alice@example.com");
        var token = await world.CallAsync((api, r) => api.GetTokenAsync(r, connection.ConnectionId, default), "POST");
        var sync = world.Services.GetRequiredService<SyncApi>();

        var answer = await world.CallAsync(r => sync.SyncNowAsync(r, connection.ConnectionId, default), "POST");

        Assert.Equal(409, token.Status);
        Assert.Equal(409, answer.Status);
        Assert.Equal(ConnectionStatus.ReconnectNeeded, answer.Json.GetProperty("connectionStatus").GetString());
        Assert.Equal(world.Google.AuthorizationEndpoint.AbsolutePath, new Uri(answer.Json.GetProperty("connectUrl").GetString()!).AbsolutePath);
        Assert.Equal(
            token.Json.EnumerateObject().Select(p => p.Name).Order(),
            answer.Json.EnumerateObject().Select(p => p.Name).Order());
    }

    /// <summary>A body HttpClient cannot measure, so it goes out chunked.</summary>
    private sealed class NoLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
