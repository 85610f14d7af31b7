using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Web;
using CreatioGoogle.Broker.Http;
using CreatioGoogle.LocalHost.Local;
using CreatioGoogle.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace CreatioGoogle.Tests.LocalRun;

/// <summary>The local run as a person uses it: its logs, a restart, a busy port, and the pages they see.</summary>
public sealed partial class LocalRunTests
{
    [Fact]
    public async Task A_full_connect_logs_no_authorization_code_and_no_state_at_any_level()
    {
        var log = new CapturingLog();
        await using var broker = await RunningBroker.StartAsync(s => s["Logging:LogLevel:Default"] = "Trace",
            builder: b => b.Logging.AddProvider(log), demo: true);
        var body = new
        {
            creatioUserId = broker.Environment.DemoCreatioUserId.ToString(),
            features = new[] { "mail", "contacts" },
            returnUrl = new Uri(broker.BaseUrl, TryPage.ReturnPath).ToString(),
        };

        var (connectionId, authorizationUrl) = await broker.CreateConnectionAsync(body);
        var redirect = await GoogleConsent.DecideAsync(broker.Browser, authorizationUrl, "alice@example.com");
        using (var callback = await broker.Browser.GetAsync(redirect))
        {
            Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        }

        using (var replay = await broker.Browser.GetAsync(redirect))
        {
            Assert.Equal(HttpStatusCode.Conflict, replay.StatusCode);
        }

        // The try page's start redirects the browser to Google with a state in the URL, too.
        using var tryStart = await broker.Browser.PostAsync(new Uri(broker.BaseUrl, "/local/connect"),
            new FormUrlEncodedContent([new("feature", "mail"), new("hint", "alice@example.com")]));
        Assert.Equal(HttpStatusCode.Redirect, tryStart.StatusCode);
        using (await broker.Browser.SendAsync(broker.ApiRequest(HttpMethod.Post, $"/api/connections/{connectionId}/token")))
        {
        }

        var secrets = new[]
        {
            HttpUtility.ParseQueryString(redirect.Query)["code"]!,
            HttpUtility.ParseQueryString(redirect.Query)["state"]!,
            HttpUtility.ParseQueryString(tryStart.Headers.Location!.Query)["state"]!,
        };
        var lines = log.Lines.ToList();
        Assert.True(lines.Count > 20, $"too little was logged to prove anything: {lines.Count} lines");
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(lines, l => l.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(lines, l => l.Contains(Uri.EscapeDataString(secret), StringComparison.Ordinal));
        }

        // The request lines are there, with the secrets masked.
        Assert.Contains(lines, l => l.Contains("/0/rest/GoogleOAuthAuthenticator/ProcessAuthenticationCode?", StringComparison.Ordinal)
                                    && l.Contains("code=***", StringComparison.Ordinal) && l.Contains("state=***", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_restart_starts_clean_and_leaves_a_working_demo()
    {
        Dictionary<string, string?> kept;
        string oldConnection;
        await using (var first = await RunningBroker.StartAsync())
        {
            kept = new Dictionary<string, string?>(first.Settings);
            (oldConnection, _) = await ConnectAsync(first);
            Assert.Equal(0, first.Environment.ForgottenConnections);
        }

        // Same storage, secrets and tenant; the sandboxes are new (new grants, new port).
        await using var second = await RestartAsync(kept);

        Assert.Equal(1, second.Environment.ForgottenConnections);
        using (var old = await second.Browser.SendAsync(second.ApiRequest(HttpMethod.Get, $"/api/connections/{oldConnection}")))
        {
            Assert.Equal(HttpStatusCode.NotFound, old.StatusCode);
        }

        var (connectionId, _) = await ConnectAsync(second);
        using var token = await second.Browser.SendAsync(second.ApiRequest(HttpMethod.Post, $"/api/connections/{connectionId}/token"));
        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        Assert.True(second.Google.IsAccessTokenValid((await token.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!));
    }

    [Fact]
    public async Task A_restart_runs_no_sync_job_the_last_run_left_in_the_queue()
    {
        Dictionary<string, string?> kept;
        string oldConnection;
        await using (var first = await RunningBroker.StartAsync())
        {
            kept = new Dictionary<string, string?>(first.Settings);
            (oldConnection, _) = await ConnectAsync(first);
        }

        // What a run stopped mid-way leaves behind: a job for a connection whose grant the new sandbox never issued.
        var queue = new Azure.Storage.Queues.QueueClient(kept["AzureWebJobsStorage"], kept["SyncQueueName"],
            new Azure.Storage.Queues.QueueClientOptions { MessageEncoding = Azure.Storage.Queues.QueueMessageEncoding.Base64 });
        await queue.CreateIfNotExistsAsync();
        await queue.SendMessageAsync(JsonSerializer.Serialize(
            new CreatioGoogle.Broker.Sync.SyncJob(BrokerWorld.TenantId, oldConnection, "contacts", DateTimeOffset.UtcNow, "left over"),
            new JsonSerializerOptions(JsonSerializerDefaults.Web)));

        var log = new CapturingLog();
        await using var second = await RestartAsync(kept, s => s["Logging:LogLevel:Default"] = "Information", b => b.Logging.AddProvider(log));
        await Task.Delay(TimeSpan.FromSeconds(2)); // the queue listener polls at once; give it time to find anything

        Assert.DoesNotContain(log.Lines, l => l.Contains("Executing 'Functions.RunSync'", StringComparison.Ordinal));
        Assert.Equal(0, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    [Fact]
    public async Task A_busy_port_is_refused_naming_the_port_and_broker_url_before_anything_is_touched()
    {
        await using var running = await RunningBroker.StartAsync();
        var (connectionId, _) = await ConnectAsync(running);
        var data = Directory.CreateTempSubdirectory("busy-port-").FullName;
        try
        {
            var error = await Assert.ThrowsAsync<LocalRunException>(() => LocalBrokerApp.CreateAsync(
                [], running.BaseUrl, new Dictionary<string, string?>(running.Settings), data, CancellationToken.None));

            Assert.Contains($"Port {running.BaseUrl.Port} is already in use", error.Message, StringComparison.Ordinal);
            Assert.Contains("BROKER_URL=http://localhost:", error.Message, StringComparison.Ordinal);
            Assert.NotNull(await running.Connections.GetAsync("acme", connectionId, default)); // the running one's data is untouched
            Assert.Empty(Directory.EnumerateFileSystemEntries(data));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Try_page_result_is_titled_by_the_connection_status_and_the_missing_scope_page_says_tick_every_box()
    {
        await using var broker = await RunningBroker.StartAsync(demo: true);
        using var start = await broker.Browser.PostAsync(new Uri(broker.BaseUrl, "/local/connect"),
            new FormUrlEncodedContent([new("feature", "mail"), new("feature", "calendar"), new("hint", "alice@example.com")]));
        var redirect = await GoogleConsent.DecideAsync(broker.Browser, start.Headers.Location!, "alice@example.com",
            untick: [CreatioGoogle.Broker.Google.Features.Scope(CreatioGoogle.Broker.Google.Features.Calendar)]);

        using var missing = await broker.Browser.GetAsync(redirect);
        var page = await missing.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, missing.StatusCode);
        Assert.Contains("tick every box", page, StringComparison.Ordinal);
        Assert.DoesNotContain("leave every box ticked", page, StringComparison.Ordinal);
        var continueUrl = WebUtility.HtmlDecode(ContinueLink().Match(page).Groups[1].Value);

        using var result = await broker.Browser.GetAsync(continueUrl);
        var html = await result.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        Assert.Contains("<title>Connected, but some access is missing</title>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Back_to_creatio_on_an_error_page_lands_on_a_page_that_exists_locally()
    {
        await using var broker = await RunningBroker.StartAsync(demo: true);
        using var start = await broker.Browser.PostAsync(new Uri(broker.BaseUrl, "/local/connect"),
            new FormUrlEncodedContent([new("feature", "mail"), new("hint", "alice@example.com")]));
        var denied = await GoogleConsent.DecideAsync(broker.Browser, start.Headers.Location!, "alice@example.com", allow: false);

        using var errorPage = await broker.Browser.GetAsync(denied);
        var html = await errorPage.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Forbidden, errorPage.StatusCode);
        var back = WebUtility.HtmlDecode(BackLink().Match(html).Groups[1].Value);
        Assert.StartsWith(broker.BaseUrl.GetLeftPart(UriPartial.Authority), back, StringComparison.Ordinal);

        using var landing = await broker.Browser.GetAsync(back);
        Assert.Equal(HttpStatusCode.OK, landing.StatusCode);
        Assert.Contains("nothing was connected", await landing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/local/sync?connectionId=%00%2F", "POST", HttpStatusCode.BadRequest)]
    [InlineData("/local/sync?connectionId=0123456789abcdef0123456789abcdef", "POST", HttpStatusCode.NotFound)]
    [InlineData("/local/connected?connectionId=a%2Fb", "GET", HttpStatusCode.BadRequest)]
    [InlineData("/local/connect", "POST", HttpStatusCode.BadRequest)]
    public async Task Try_page_refuses_bad_input_with_a_page_not_a_500(string path, string method, HttpStatusCode expected)
    {
        await using var broker = await RunningBroker.StartAsync(demo: true);

        using var response = await broker.Browser.SendAsync(new HttpRequestMessage(new HttpMethod(method), new Uri(broker.BaseUrl, path)));

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Demo_user_id_is_served_for_the_readme_walkthrough()
    {
        await using var broker = await RunningBroker.StartAsync(demo: true);

        var id = await broker.Browser.GetStringAsync(new Uri(broker.BaseUrl, TryPage.DemoUserPath));

        Assert.Equal(broker.Environment.DemoCreatioUserId.ToString(), id);
    }

    /// <summary>A second run over the settings (storage, secrets, queues, tenant) of a first one, with new sandboxes.</summary>
    private static Task<RunningBroker> RestartAsync(Dictionary<string, string?> kept,
        Action<Dictionary<string, string?>>? configure = null, Action<WebApplicationBuilder>? builder = null) =>
        RunningBroker.StartAsync(s =>
        {
            foreach (var (key, value) in kept)
            {
                s[key] = value;
            }

            configure?.Invoke(s);
        }, builder);

    private static async Task<(string ConnectionId, Uri Back)> ConnectAsync(RunningBroker broker)
    {
        var (connectionId, authorizationUrl) = await broker.CreateConnectionAsync(RunningBroker.ConnectBody(Guid.NewGuid().ToString(), "mail"));
        var redirect = await GoogleConsent.DecideAsync(broker.Browser, authorizationUrl, "alice@example.com");
        using var callback = await broker.Browser.GetAsync(redirect);
        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        return (connectionId, callback.Headers.Location!);
    }

    [GeneratedRegex("<a href=\"([^\"]*)\">Continue to Creatio</a>")]
    private static partial Regex ContinueLink();

    [GeneratedRegex("<a href=\"([^\"]*)\">Back to Creatio</a>")]
    private static partial Regex BackLink();

    /// <summary>Every log line at every level, with the values of its structured state, as a telemetry exporter would see them.</summary>
    private sealed class CapturingLog : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingLog sink, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull
            {
                sink.Lines.Enqueue($"scope {category}: {state}");
                return null;
            }

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
                sink.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} | {values} {exception}");
            }
        }
    }
}
