using System.Diagnostics;
using System.Net;
using CreatioGoogle.Broker.Google;
using CreatioGoogle.Broker.Google.People;
using CreatioGoogle.Sandbox;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CreatioGoogle.Tests.People;

/// <summary>
/// The one Google API pipeline, over real HTTP: against the sandbox People (google.rpc errors), and against a stand-in
/// serving Calendar/Gmail's legacy error bodies as Google's errors guide documents them.
/// </summary>
public sealed class GoogleApiPipelineTests
{
    private const string T = PeopleWorld.Tenant;
    private const string C = PeopleWorld.Connection;

    [Fact]
    public async Task A_token_Google_refuses_is_refreshed_once_and_the_request_sent_once_more()
    {
        await using var world = await PeopleWorld.StartAsync();
        world.People.SeedContacts(PeopleWorld.Alice, PeopleWorld.NewContacts(3));
        world.TokenOverride = "sbx-at-revoked-meanwhile";
        world.RefreshReplacesOverride = true;

        var (_, people, _) = await world.SyncAsync();

        Assert.Equal(3, people.Count);
        Assert.Equal(1, world.ForcedRefreshes);
        Assert.Equal(2, world.People.CallCount("people.connections.list"));
    }

    [Fact]
    public async Task A_write_refused_with_401_is_sent_once_more_with_a_fresh_token_and_made_once()
    {
        await using var world = await PeopleWorld.StartAsync();
        world.TokenOverride = "sbx-at-revoked-meanwhile";
        world.RefreshReplacesOverride = true;

        await world.Client.CreateContactAsync(T, C, PeopleWorld.NewPerson("Ida"));

        Assert.Equal(2, world.People.CallCount("people.createContact"));
        Assert.Equal(1, world.People.ContactCount(PeopleWorld.Alice));
    }

    [Fact]
    public async Task A_token_refused_again_after_the_refresh_is_an_error_not_a_loop()
    {
        await using var world = await PeopleWorld.StartAsync();
        world.TokenOverride = "sbx-at-never-valid";

        var ex = await Assert.ThrowsAsync<GoogleApiException>(() => world.SyncAsync());

        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        Assert.Equal(1, world.ForcedRefreshes);
        Assert.Equal(2, world.People.CallCount("people.connections.list"));
        Assert.DoesNotContain("sbx-at-", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rate_limited_read_is_retried_after_Retry_After_a_rate_limited_write_is_not()
    {
        await using var google = await LegacyGoogle.StartAsync();
        google.Answer("GET", 403, LegacyGoogle.RateLimited, retryAfter: 1);
        var watch = Stopwatch.StartNew();

        Assert.Equal("ok", await google.Client.SendAsync(HttpMethod.Get, "calendars/primary/events"));
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(0.9), $"retried after {watch.Elapsed}, before Retry-After");
        Assert.Equal(2, google.Calls("GET"));

        google.Answer("POST", 403, LegacyGoogle.RateLimited, retryAfter: 7);
        var ex = await Assert.ThrowsAsync<GoogleApiException>(() => google.Client.SendAsync(HttpMethod.Post, "calendars/primary/events"));
        Assert.Equal(1, google.Calls("POST"));
        Assert.True(ex.IsRateLimited);
        Assert.Equal(TimeSpan.FromSeconds(7), ex.RetryAfter);
        Assert.Equal(["rateLimitExceeded"], ex.Reasons);
    }

    [Fact]
    public async Task A_429_on_a_read_with_a_long_Retry_After_goes_to_the_caller_with_it_instead_of_holding_the_call()
    {
        await using var google = await LegacyGoogle.StartAsync();
        google.Answer("GET", 429, LegacyGoogle.RateLimited, retryAfter: 120);

        var ex = await Assert.ThrowsAsync<GoogleApiException>(() => google.Client.SendAsync(HttpMethod.Get, "users/me/history"));

        Assert.Equal(1, google.Calls("GET"));
        Assert.Equal(TimeSpan.FromSeconds(120), ex.RetryAfter);
    }

    [Theory]
    [InlineData(410, LegacyGoogle.FullSyncRequired, "fullSyncRequired", null)]
    [InlineData(410, LegacyGoogle.Deleted, "deleted", null)]
    [InlineData(412, LegacyGoogle.ConditionNotMet, "conditionNotMet", null)]
    [InlineData(409, LegacyGoogle.Duplicate, "duplicate", null)]
    [InlineData(403, LegacyGoogle.QuotaExceeded, "quotaExceeded", null)]
    [InlineData(400, LegacyGoogle.ExpiredSyncToken, "EXPIRED_SYNC_TOKEN", "FAILED_PRECONDITION")]
    [InlineData(403, LegacyGoogle.ServiceDisabled, "SERVICE_DISABLED", "PERMISSION_DENIED")]
    public async Task Google_error_bodies_of_both_shapes_become_one_exception_with_every_reason(int status, string body, string reason, string? rpcStatus)
    {
        await using var google = await LegacyGoogle.StartAsync();
        google.Answer("GET", status, body);

        var ex = await Assert.ThrowsAsync<GoogleApiException>(() => google.Client.SendAsync(HttpMethod.Get, "calendars/primary/events?syncToken=SECRET-TOKEN"));

        Assert.Equal((HttpStatusCode)status, ex.StatusCode);
        Assert.Equal(reason, ex.Reason);
        Assert.Equal(rpcStatus, ex.Status);
        Assert.Equal(1, google.Calls("GET")); // none of these is worth retrying
        Assert.Equal("test.get", ex.Operation);
        Assert.DoesNotContain("SECRET-TOKEN", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_error_that_is_not_Googles_JSON_keeps_its_status_and_no_reasons()
    {
        await using var google = await LegacyGoogle.StartAsync();
        google.Answer("POST", 502, "<html><body>Bad gateway</body></html>");

        var ex = await Assert.ThrowsAsync<GoogleApiException>(() => google.Client.SendAsync(HttpMethod.Post, "calendars/primary/events"));

        Assert.Equal(HttpStatusCode.BadGateway, ex.StatusCode);
        Assert.Empty(ex.Reasons);
        Assert.Equal(1, google.Calls("POST"));
    }

    [Fact]
    public async Task A_dead_grant_is_reported_without_calling_Google()
    {
        await using var google = await LegacyGoogle.StartAsync(new GoogleAccessToken.ReconnectNeeded("revoked"));

        var ex = await Assert.ThrowsAsync<GoogleReconnectNeededException>(() => google.Client.SendAsync(HttpMethod.Get, "calendars/primary/events"));

        Assert.False(ex.ConnectionGone);
        Assert.Equal("revoked", ex.GrantReason);
        Assert.Equal(0, google.Calls("GET"));
    }

    /// <summary>
    /// A stand-in Google API on the loopback answering each method with scripted errors (then 200 "ok"), the bodies copied
    /// in shape from Google's Calendar errors guide and the People API's ErrorInfo, and a typed client on the pipeline.
    /// </summary>
    private sealed class LegacyGoogle : IAsyncDisposable
    {
        public const string RateLimited = """{"error":{"errors":[{"domain":"usageLimits","reason":"rateLimitExceeded","message":"Rate Limit Exceeded"}],"code":403,"message":"Rate Limit Exceeded"}}""";
        public const string QuotaExceeded = """{"error":{"errors":[{"domain":"usageLimits","reason":"quotaExceeded","message":"Calendar usage limits exceeded."}],"code":403,"message":"Calendar usage limits exceeded."}}""";
        public const string FullSyncRequired = """{"error":{"errors":[{"domain":"calendar","reason":"fullSyncRequired","message":"Sync token is no longer valid, a full sync is required.","locationType":"parameter","location":"syncToken"}],"code":410,"message":"Sync token is no longer valid, a full sync is required."}}""";
        public const string Deleted = """{"error":{"errors":[{"domain":"global","reason":"deleted","message":"Resource has been deleted"}],"code":410,"message":"Resource has been deleted"}}""";
        public const string ConditionNotMet = """{"error":{"errors":[{"domain":"global","reason":"conditionNotMet","message":"Precondition Failed","locationType":"header","location":"If-Match"}],"code":412,"message":"Precondition Failed"}}""";
        public const string Duplicate = """{"error":{"errors":[{"domain":"global","reason":"duplicate","message":"The requested identifier already exists."}],"code":409,"message":"The requested identifier already exists."}}""";
        public const string ExpiredSyncToken = """{"error":{"code":400,"message":"Sync token is expired. Clear local cache and retry call without the sync token.","status":"FAILED_PRECONDITION","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"EXPIRED_SYNC_TOKEN","domain":"people.googleapis.com"}]}}""";
        public const string ServiceDisabled = """{"error":{"code":403,"message":"Gmail API has not been used in project 1 before or it is disabled.","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"SERVICE_DISABLED","domain":"googleapis.com"},{"@type":"type.googleapis.com/google.rpc.Help","links":[]}]}}""";

        private readonly WebApplication _app;
        private readonly ServiceProvider _services;
        private readonly Dictionary<string, Queue<(int Status, string Body, int? RetryAfter)>> _script = [];
        private readonly Dictionary<string, int> _calls = [];

        private LegacyGoogle(WebApplication app, ServiceProvider services)
        {
            _app = app;
            _services = services;
        }

        public StubClient Client => _services.GetRequiredService<StubClient>();

        public static async Task<LegacyGoogle> StartAsync(GoogleAccessToken? token = null)
        {
            var app = LoopbackHost.CreateBuilder(0).Build();
            LegacyGoogle? self = null;
            app.Run(ctx => self!.AnswerAsync(ctx));
            await app.StartAsync();
            var baseUrl = LoopbackHost.BaseUrlOf(app);
            var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Stub:BaseUrl"] = baseUrl.ToString() }).Build();
            var services = new ServiceCollection();
            services.AddSingleton<IGoogleAccessTokenSource>(new FixedToken(token ?? new GoogleAccessToken.Issued("stub-token")));
            services.AddGoogleApiClient<StubClient>(config.GetSection("Stub"), new Uri("https://www.googleapis.com/calendar/v3/"));
            self = new LegacyGoogle(app, services.BuildServiceProvider());
            return self;
        }

        public void Answer(string method, int status, string body, int? retryAfter = null)
        {
            lock (_script)
            {
                if (!_script.TryGetValue(method, out var queue))
                {
                    _script[method] = queue = new();
                }

                queue.Enqueue((status, body, retryAfter));
            }
        }

        public int Calls(string method)
        {
            lock (_script)
            {
                return _calls.GetValueOrDefault(method);
            }
        }

        private async Task AnswerAsync(HttpContext ctx)
        {
            (int Status, string Body, int? RetryAfter) answer;
            lock (_script)
            {
                _calls[ctx.Request.Method] = _calls.GetValueOrDefault(ctx.Request.Method) + 1;
                answer = _script.TryGetValue(ctx.Request.Method, out var queue) && queue.Count > 0 ? queue.Dequeue() : (200, "ok", null);
            }

            ctx.Response.StatusCode = answer.Status;
            if (answer.RetryAfter is { } seconds)
            {
                ctx.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            ctx.Response.ContentType = answer.Body.StartsWith('{') ? "application/json; charset=UTF-8" : "text/html";
            await ctx.Response.WriteAsync(answer.Body);
        }

        public async ValueTask DisposeAsync()
        {
            await _services.DisposeAsync();
            await _app.DisposeAsync();
        }
    }

    /// <summary>The smallest typed client a Google API needs on the pipeline.</summary>
    private sealed class StubClient(HttpClient http)
    {
        public async Task<string> SendAsync(HttpMethod method, string path)
        {
            using var request = GoogleApiRequest.Create(method, path, new GoogleConnection(T, C), "test." + method.Method.ToLowerInvariant());
            if (method != HttpMethod.Get)
            {
                request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
            }

            using var response = await http.SendAsync(request);
            return await response.Content.ReadAsStringAsync();
        }
    }

    private sealed class FixedToken(GoogleAccessToken token) : IGoogleAccessTokenSource
    {
        public Task<GoogleAccessToken> GetAccessTokenAsync(GoogleConnection connection, bool forceRefresh, CancellationToken cancellationToken) =>
            Task.FromResult(token);
    }
}
