using System.Globalization;
using System.Text.Json.Nodes;
using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Creatio;
using CreatioGoogle.Broker.Google;
using CreatioGoogle.Broker.Google.Calendar;
using CreatioGoogle.Broker.Sync;
using CreatioGoogle.Broker.Sync.Calendar;
using CreatioGoogle.Sandbox.Creatio;
using CreatioGoogle.Sandbox.Google.Calendar;
using CreatioGoogle.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CreatioGoogle.Tests.Sync.Calendar;

/// <summary>
/// The calendar sync with its real parts: <see cref="BrokerWorld"/> (Azurite, sandbox Google with Calendar, alice connected for
/// calendar), a sandbox Creatio over HTTP on the same fake clock, and the real <see cref="SyncRunner"/>. A <see cref="WriteFault"/>
/// sits under both HTTP clients to kill a run right after its Nth write.
/// </summary>
internal sealed class CalendarSyncWorld : ISyncWorld
{
    public const string Email = "alice@example.com";
    public const string Owner = "Alice";
    public const string Colleague = "Bob";

    private CalendarSyncWorld(BrokerWorld broker, SandboxCreatio creatio, Connection connection, WriteFault fault)
    {
        Broker = broker;
        Creatio = creatio;
        Connection = connection;
        Fault = fault;
    }

    public BrokerWorld Broker { get; }
    public SandboxCreatio Creatio { get; }
    public Connection Connection { get; }
    public WriteFault Fault { get; }
    private CannedAnswers Canned { get; init; } = new();
    public SandboxCalendar Calendar => Broker.Google.Calendar;
    public Guid OwnerContactId => Creatio.ContactIdOf(Owner);
    public Guid ColleagueContactId => Creatio.ContactIdOf(Colleague);
    public GoogleCalendarClient CalendarClient => Broker.Services.GetRequiredService<GoogleCalendarClient>();
    public LinkStore Links => Broker.Services.GetRequiredService<LinkStore>();
    public GoogleConnection GoogleConnection => new(BrokerWorld.TenantId, Connection.ConnectionId);
    public DateTimeOffset Now => Broker.Clock.GetUtcNow();

    /// <param name="scopes">Scopes the grant ends up with instead of what the connect flow asked for (a connection made under an old scope).</param>
    public static async Task<CalendarSyncWorld> StartAsync(Action<Dictionary<string, string?>>? configure = null, string[]? scopes = null,
        string timeZone = "Europe/Berlin")
    {
        var canned = new CannedAnswers();
        var (broker, creatio, connection, fault) = await SyncWorldHost.StartAsync(Features.Calendar, Email, [Owner, Colleague], configure,
            (collection, fault) => collection.AddHttpClient<GoogleCalendarClient>().AddHttpMessageHandler(() => new WriteFaultHandler(fault))
                .AddHttpMessageHandler(() => new CannedHandler(canned)),
            b => b.Google.Calendar.SetTimeZone(Email, timeZone));
        var world = new CalendarSyncWorld(broker, creatio, connection, fault) { Canned = canned };
        if (scopes is not null)
        {
            // As if connected when the feature asked for other scopes: the grant at Google and the row say so.
            var (refreshToken, accessToken) = broker.Google.IssueGrantForTesting(BrokerWorld.ClientId, Email, scopes);
            connection.GrantedScopes = string.Join(' ', scopes);
            await broker.Connections.SetTokensAsync(connection, refreshToken, accessToken, broker.Clock.GetUtcNow().AddMinutes(50), CancellationToken.None);
            await broker.Connections.SaveAsync(connection, CancellationToken.None);
        }

        return world;
    }

    /// <summary>One queued job run by the real runner (lease, cursor saved last). Failures propagate.</summary>
    public Task<SyncRunOutcome> SyncAsync() => SyncWorldHost.RunJobAsync(Broker, Connection, Features.Calendar);

    public Task<Cursor?> CursorAsync() => SyncWorldHost.CursorAsync(Broker, Connection, Features.Calendar);

    public async Task<CalendarState> StateAsync() => (await CursorAsync())?.ReadState<CalendarState>() ?? new CalendarState();

    public async Task<List<Link>> LinksAsync() => await Links.ListAsync(Connection.ConnectionId, Features.Calendar, CancellationToken.None);

    /// <summary>Changes the stored feature state as a damaged row or a lost table would leave it (no lease is taken).</summary>
    public async Task EditStateAsync(Action<CalendarState> edit)
    {
        var cursor = (await CursorAsync())!;
        var state = cursor.ReadState<CalendarState>();
        edit(state);
        cursor.WriteState(state);
        var table = await Broker.Tables.GetAsync(CreatioGoogle.Broker.Storage.BrokerTables.Cursors, CancellationToken.None);
        await table.UpdateEntityAsync(cursor, Azure.ETag.All, Azure.Data.Tables.TableUpdateMode.Replace);
    }

    /// <summary>Answers the next Google call whose path and query contain <paramref name="match"/> with <paramref name="answer"/> instead of Google.</summary>
    public void AnswerNext(string match, Func<HttpResponseMessage> answer) => Canned.Add(match, answer);

    // ---- Google ---------------------------------------------------------------------------------------------

    /// <summary>An event the user made in Google's UI (new etag, push notifications).</summary>
    public JsonObject UserCreate(JsonObject ev) => Calendar.UserCreate(Email, ev);

    public static JsonObject Timed(string summary, DateTimeOffset start, TimeSpan length, string? timeZone = null)
    {
        var ev = new JsonObject
        {
            ["summary"] = summary,
            ["start"] = new JsonObject { ["dateTime"] = Rfc3339(start) },
            ["end"] = new JsonObject { ["dateTime"] = Rfc3339(start + length) },
        };
        if (timeZone is not null)
        {
            ev["start"]!["timeZone"] = timeZone;
            ev["end"]!["timeZone"] = timeZone;
        }

        return ev;
    }

    public static JsonObject AllDay(string summary, DateOnly first, DateOnly endExclusive) => new()
    {
        ["summary"] = summary,
        ["start"] = new JsonObject { ["date"] = first.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) },
        ["end"] = new JsonObject { ["date"] = endExclusive.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) },
    };

    public static JsonArray Attendees(params (string Email, string Response)[] attendees) =>
        [.. attendees.Select(a => (JsonNode)new JsonObject { ["email"] = a.Email, ["responseStatus"] = a.Response })];

    /// <summary>The live events (instances expanded) as the API lists them, through the broker's client; counters reset afterwards.</summary>
    public async Task<List<CalendarEvent>> GoogleEventsAsync()
    {
        var all = new List<CalendarEvent>();
        await foreach (var page in CalendarClient.ListEventsAsync(GoogleConnection, null, Now.AddYears(-50), Now.AddYears(3)))
        {
            all.AddRange(page.Items);
        }

        Calendar.ResetCounters();
        return all;
    }

    public async Task<CalendarEvent?> GoogleEventAsync(string id)
    {
        var ev = await CalendarClient.GetEventAsync(GoogleConnection, id);
        Calendar.ResetCounters();
        return ev;
    }

    // ---- Creatio --------------------------------------------------------------------------------------------

    /// <summary>A meeting as Creatio's "new meeting" makes it, owned by alice unless told otherwise.</summary>
    public Guid SeedMeeting(string title, DateTimeOffset start, DateTimeOffset due, Guid? owner = null, string? location = null, string? notes = null,
        string? recipients = null)
    {
        var row = Creatio.Seed("Activity", new JsonObject
        {
            ["Title"] = title,
            ["StartDate"] = CreatioFilter.Literal(start),
            ["DueDate"] = CreatioFilter.Literal(due),
            ["TypeId"] = ActivityLookups.TypeTask.ToString(),
            ["ActivityCategoryId"] = ActivityLookups.CategoryMeeting.ToString(),
            ["ShowInScheduler"] = true,
            ["OwnerId"] = (owner ?? OwnerContactId).ToString(),
            ["StatusId"] = ActivityLookups.StatusNotStarted.ToString(),
            ["Location"] = location ?? "",
            ["Notes"] = notes ?? "",
            ["Recepient"] = recipients ?? "",
            ["ModifiedOn"] = CreatioFilter.Literal(Now),
        });
        return Guid.Parse(row["Id"]!.GetValue<string>());
    }

    public Guid AddParticipant(Guid meeting, Guid contact, Guid? response = null)
    {
        var row = Creatio.Seed("ActivityParticipant", new JsonObject
        {
            ["ActivityId"] = meeting.ToString(),
            ["ParticipantId"] = contact.ToString(),
            ["InviteResponseId"] = (response ?? Guid.Empty).ToString(),
            ["ModifiedOn"] = CreatioFilter.Literal(Now),
        });
        return Guid.Parse(row["Id"]!.GetValue<string>());
    }

    public Guid SeedContact(string name, string? email = null, params string[] otherEmails)
    {
        var id = Guid.Parse(Creatio.SeedContact(new JsonObject { ["Name"] = name, ["Email"] = email ?? "" })["Id"]!.GetValue<string>());
        foreach (var other in otherEmails)
        {
            Creatio.Seed("ContactCommunication", new JsonObject { ["ContactId"] = id.ToString(), ["Number"] = other });
        }

        return id;
    }

    /// <summary>Every meeting in Creatio (Task + Meeting + shown in the calendar), whoever owns it.</summary>
    public List<JsonObject> Meetings() =>
        [.. Creatio.Rows("Activity").Where(r => r["ActivityCategoryId"]?.GetValue<string>() == ActivityLookups.CategoryMeeting.ToString())];

    public JsonObject Meeting(string title) => Meetings().Single(m => m["Title"]!.GetValue<string>() == title);

    public List<JsonObject> ParticipantsOf(JsonObject meeting) =>
        [.. Creatio.Rows("ActivityParticipant").Where(p => p["ActivityId"]!.GetValue<string>() == meeting["Id"]!.GetValue<string>())];

    public static DateTimeOffset When(JsonObject row, string column) =>
        DateTimeOffset.Parse(row[column]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    // ---- counters -------------------------------------------------------------------------------------------

    public void ResetCounters()
    {
        Calendar.ResetCounters();
        Creatio.ResetCounters();
    }

    public int GoogleWrites() => Calendar.Calls.Where(kv => kv.Key is "calendar.events.insert" or "calendar.events.patch" or "calendar.events.update"
        or "calendar.events.delete" or "calendar.events.import").Sum(kv => kv.Value);

    public int CreatioWrites() => SyncWorldHost.CreatioWrites(Creatio);

    /// <summary>One more run writes nothing on either side (and everything live is linked).</summary>
    public async Task AssertQuietAsync(string why)
    {
        ResetCounters();
        Assert.Equal(SyncRunOutcome.Completed, await SyncAsync());
        Assert.True(GoogleWrites() + CreatioWrites() == 0,
            $"{why}: a further run wrote {GoogleWrites()} to Google, {CreatioWrites()} to Creatio ({(await CursorAsync())?.LastRunSummary})");
    }

    public async ValueTask DisposeAsync()
    {
        await Broker.DisposeAsync();
        await Creatio.DisposeAsync();
    }

    public static string Rfc3339(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private sealed class CannedAnswers
    {
        private readonly List<(string Match, Func<HttpResponseMessage> Answer)> _next = [];

        public void Add(string match, Func<HttpResponseMessage> answer)
        {
            lock (_next)
            {
                _next.Add((match, answer));
            }
        }

        public HttpResponseMessage? Take(HttpRequestMessage request)
        {
            var url = request.RequestUri?.PathAndQuery ?? "";
            lock (_next)
            {
                var index = _next.FindIndex(n => url.Contains(n.Match, StringComparison.Ordinal));
                if (index < 0)
                {
                    return null;
                }

                var answer = _next[index].Answer();
                _next.RemoveAt(index);
                answer.RequestMessage = request;
                return answer;
            }
        }
    }

    /// <summary>Google as the test wants it to answer once (an error Google sends but the sandbox has no switch for).</summary>
    private sealed class CannedHandler(CannedAnswers canned) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            canned.Take(request) is { } answer ? Task.FromResult(answer) : base.SendAsync(request, cancellationToken);
    }
}
