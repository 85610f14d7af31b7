using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CreatioGoogle.Sandbox;
using CreatioGoogle.Sandbox.Google;
using CreatioGoogle.Sandbox.Google.Calendar;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace CreatioGoogle.Tests.Sandbox;

/// <summary>A sandbox Google with a Calendar token for alice, driven over raw HTTP, on a fake clock.</summary>
internal sealed class CalendarWorld : IAsyncDisposable
{
    public const string Alice = "alice@example.com";
    public const string CalendarScope = "https://www.googleapis.com/auth/calendar";
    public const string EventsScope = "https://www.googleapis.com/auth/calendar.events";
    private const string ClientId = "cal-test.apps.googleusercontent.com";

    private static readonly HttpClient Http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });

    private CalendarWorld(SandboxGoogle google, FakeTimeProvider clock)
    {
        Google = google;
        Clock = clock;
    }

    public SandboxGoogle Google { get; }

    public SandboxCalendar Calendar => Google.Calendar;

    public FakeTimeProvider Clock { get; }

    public string Token { get; private set; } = "";

    public static async Task<CalendarWorld> StartAsync(params string[] scopes)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 3, 1, 8, 0, 0, TimeSpan.Zero));
        var options = new SandboxGoogleOptions { Clock = clock };
        options.Clients.Add(new SandboxClient(ClientId, "secret", "http://broker.test/cb"));
        var google = await SandboxGoogle.StartAsync(options);
        var world = new CalendarWorld(google, clock);
        world.SignIn(scopes.Length > 0 ? scopes : [CalendarScope]);
        return world;
    }

    /// <summary>A fresh access token (after the fake clock moved past the old one's hour, or for other scopes).</summary>
    public void SignIn(params string[] scopes) => Token = Google.IssueGrantForTesting(ClientId, Alice, scopes).AccessToken;

    public Task<Answer> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    public async Task<Answer> SendAsync(HttpMethod method, string path, JsonNode? body = null, string? ifMatch = null, string? token = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(Google.CalendarBaseUrl, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? Token);
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new Answer(response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), response.Headers.RetryAfter?.Delta);
    }

    public async Task<JsonObject> InsertAsync(JsonObject evt, string query = "")
    {
        var answer = await SendAsync(HttpMethod.Post, "calendars/primary/events" + query, evt);
        Assert.True(answer.Status == HttpStatusCode.OK, answer.ToString());
        return (JsonObject)answer.Body!;
    }

    /// <summary>Every page of a listing, following nextPageToken with the same query; returns the items and the final page.</summary>
    public async Task<(List<JsonObject> Items, JsonObject LastPage, int Pages)> ListAllAsync(string query)
    {
        var items = new List<JsonObject>();
        string? pageToken = null;
        var pages = 0;
        while (true)
        {
            var answer = await GetAsync("calendars/primary/events?" + query + (pageToken is null ? "" : (query.Length > 0 ? "&" : "") + "pageToken=" + Uri.EscapeDataString(pageToken)));
            Assert.True(answer.Status == HttpStatusCode.OK, answer.ToString());
            pages++;
            var page = (JsonObject)answer.Body!;
            items.AddRange(page["items"]!.AsArray().Select(i => (JsonObject)i!));
            pageToken = page["nextPageToken"]?.GetValue<string>();
            if (pageToken is null)
            {
                return (items, page, pages);
            }

            Assert.Null(page["nextSyncToken"]);
        }
    }

    public static JsonObject Timed(string summary, string start, string end, string? timeZone = null)
    {
        var s = new JsonObject { ["dateTime"] = start };
        var e = new JsonObject { ["dateTime"] = end };
        if (timeZone is not null)
        {
            s["timeZone"] = timeZone;
            e["timeZone"] = timeZone;
        }

        return new JsonObject { ["summary"] = summary, ["start"] = s, ["end"] = e };
    }

    public static JsonObject AllDay(string summary, string start, string end) =>
        new() { ["summary"] = summary, ["start"] = new JsonObject { ["date"] = start }, ["end"] = new JsonObject { ["date"] = end } };

    public ValueTask DisposeAsync() => Google.DisposeAsync();

    public sealed record Answer(HttpStatusCode Status, JsonNode? Body, TimeSpan? RetryAfter)
    {
        public string? Reason => Body?["error"]?["errors"]?[0]?["reason"]?.GetValue<string>();

        public override string ToString() => $"{(int)Status} {Body?.ToJsonString()}";
    }
}

/// <summary>A loopback web-hook that records Google's push notifications.</summary>
internal sealed class NotificationReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private NotificationReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<(IReadOnlyDictionary<string, string> Headers, long BodyLength)> Received { get; } = new();

    public Uri Address { get; private set; } = null!;

    public static async Task<NotificationReceiver> StartAsync()
    {
        var app = LoopbackHost.CreateBuilder(0).Build();
        var receiver = new NotificationReceiver(app);
        app.MapPost("/hook", async (HttpContext ctx) =>
        {
            using var buffer = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(buffer);
            receiver.Received.Enqueue((ctx.Request.Headers.Where(h => h.Key.StartsWith("X-Goog-", StringComparison.OrdinalIgnoreCase))
                .ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), buffer.Length));
            return Results.Ok();
        });
        await app.StartAsync();
        receiver.Address = new Uri(LoopbackHost.BaseUrlOf(app), "hook");
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
