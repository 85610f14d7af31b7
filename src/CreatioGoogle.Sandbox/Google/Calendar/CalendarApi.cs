using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using NodaTime;

namespace CreatioGoogle.Sandbox.Google.Calendar;

/// <summary>
/// The Calendar API routes (www.googleapis.com/calendar/v3/...) served by the <see cref="SandboxGoogle"/> app, for the
/// user's primary calendar ("primary" or the user's e-mail). Every call: count → bearer check → "API disabled" →
/// scope check (per method, from calendar.v3.json) → injected fault → latency → handler. Method names are Google's
/// discovery ids ("calendar.events.list", ...).
/// </summary>
internal sealed class CalendarApi(
    Func<string, (SandboxAccount Account, IReadOnlyCollection<string> Scopes)?> findToken, CalendarStore store, PushChannels push, Func<Uri> baseUrl)
{
    private const int DefaultMaxResults = 250;
    private const int MaxMaxResults = 2500;

    private static readonly string[] ForbiddenWithSyncToken = ["iCalUID", "orderBy", "privateExtendedProperty", "q", "sharedExtendedProperty", "timeMin", "timeMax", "updatedMin"];

    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
    private readonly List<Injection> _injections = [];
    private readonly Lock _faultGate = new();

    public SimulatedLatency Latency { get; } = new();

    /// <summary>When true every call answers 403 accessNotConfigured / SERVICE_DISABLED, as for a project without the Calendar API enabled.</summary>
    public bool ApiDisabled { get; set; }

    public string ProjectNumber { get; set; } = "123456789012";

    public IReadOnlyDictionary<string, int> Calls => new Dictionary<string, int>(_calls, StringComparer.Ordinal);

    public int CallCount(string method) => _calls.GetValueOrDefault(method);

    public void ResetCounters() => _calls.Clear();

    public void Inject(int count, CalendarFault fault, string? method, TimeSpan? retryAfter)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_faultGate)
        {
            _injections.RemoveAll(i => i.Method == method);
            if (count > 0)
            {
                _injections.Add(new Injection(method, fault, retryAfter) { Remaining = count });
            }
        }
    }

    public void Map(IEndpointRouteBuilder app)
    {
        const string root = "/calendar/v3";
        app.MapGet(root + "/users/me/calendarList", ctx => RunAsync(ctx, "calendar.calendarList.list", CalendarListAsync));
        app.MapGet(root + "/users/me/calendarList/{calendarId}", ctx => RunAsync(ctx, "calendar.calendarList.get", CalendarListEntryAsync));
        app.MapGet(root + "/calendars/{calendarId}", ctx => RunAsync(ctx, "calendar.calendars.get", CalendarGetAsync));
        app.MapGet(root + "/calendars/{calendarId}/events", ctx => RunAsync(ctx, "calendar.events.list", ListAsync));
        app.MapPost(root + "/calendars/{calendarId}/events", ctx => RunAsync(ctx, "calendar.events.insert", InsertAsync));
        app.MapPost(root + "/calendars/{calendarId}/events/import", ctx => RunAsync(ctx, "calendar.events.import", ImportAsync));
        app.MapPost(root + "/calendars/{calendarId}/events/watch", ctx => RunAsync(ctx, "calendar.events.watch", WatchAsync));
        app.MapGet(root + "/calendars/{calendarId}/events/{eventId}", ctx => RunAsync(ctx, "calendar.events.get", GetAsync));
        app.MapPut(root + "/calendars/{calendarId}/events/{eventId}", ctx => RunAsync(ctx, "calendar.events.update", UpdateAsync));
        app.MapPatch(root + "/calendars/{calendarId}/events/{eventId}", ctx => RunAsync(ctx, "calendar.events.patch", PatchAsync));
        app.MapDelete(root + "/calendars/{calendarId}/events/{eventId}", ctx => RunAsync(ctx, "calendar.events.delete", DeleteAsync));
        app.MapGet(root + "/calendars/{calendarId}/events/{eventId}/instances", ctx => RunAsync(ctx, "calendar.events.instances", InstancesAsync));
        app.MapPost(root + "/channels/stop", ctx => RunAsync(ctx, "calendar.channels.stop", StopAsync));
    }

    private async Task RunAsync(HttpContext ctx, string method, Func<SandboxAccount, HttpContext, Task<JsonNode?>> handler)
    {
        _calls.AddOrUpdate(method, 1, (_, n) => n + 1);
        try
        {
            var account = Authorize(ctx, method);
            if (TakeFault(method) is { } fault)
            {
                throw fault;
            }

            await Latency.WaitAsync(ctx.RequestAborted);
            var body = await handler(account, ctx);
            if (body is null)
            {
                ctx.Response.StatusCode = ctx.Response.StatusCode == 304 ? 304 : 204;
                return;
            }

            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "application/json; charset=UTF-8";
            if (body["etag"]?.GetValue<string>() is { } etag)
            {
                ctx.Response.Headers.ETag = etag;
            }

            await ctx.Response.WriteAsync(body.ToJsonString(), ctx.RequestAborted);
        }
        catch (CalendarApiError error)
        {
            await error.WriteAsync(ctx);
        }
        catch (JsonException)
        {
            await CalendarApiError.BadRequest("Parse Error", reason: "parseError").WriteAsync(ctx);
        }
    }

    private SandboxAccount Authorize(HttpContext ctx, string method)
    {
        string? header = ctx.Request.Headers.Authorization;
        var token = header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        if (string.IsNullOrEmpty(token) || findToken(token) is not { } found)
        {
            throw CalendarApiError.Unauthenticated();
        }

        if (ApiDisabled)
        {
            throw CalendarApiError.ServiceDisabled(ProjectNumber);
        }

        return CalendarScopes.Allows(method, found.Scopes) ? found.Account : throw CalendarApiError.InsufficientScope(method);
    }

    private CalendarApiError? TakeFault(string method)
    {
        lock (_faultGate)
        {
            var injection = _injections.FirstOrDefault(i => i.Method == method) ?? _injections.FirstOrDefault(i => i.Method is null);
            if (injection is null)
            {
                return null;
            }

            if (--injection.Remaining <= 0)
            {
                _injections.Remove(injection);
            }

            return CalendarApiError.ForFault(injection.Fault, injection.RetryAfter);
        }
    }

    // ---- calendars ------------------------------------------------------------------------------------

    private Task<JsonNode?> CalendarListAsync(SandboxAccount account, HttpContext ctx)
    {
        var entry = CalendarResource(account, null, entry: true);
        return Task.FromResult<JsonNode?>(new JsonObject
        {
            ["kind"] = "calendar#calendarList",
            ["etag"] = "\"p" + account.Sub + "\"",
            ["nextSyncToken"] = "sbx-cl-" + account.Sub,
            ["items"] = new JsonArray(entry),
        });
    }

    private Task<JsonNode?> CalendarListEntryAsync(SandboxAccount account, HttpContext ctx) =>
        Task.FromResult<JsonNode?>(CalendarResource(account, ctx, entry: true));

    private Task<JsonNode?> CalendarGetAsync(SandboxAccount account, HttpContext ctx) =>
        Task.FromResult<JsonNode?>(CalendarResource(account, ctx, entry: false));

    private JsonObject CalendarResource(SandboxAccount account, HttpContext? ctx, bool entry)
    {
        if (ctx is not null)
        {
            CalendarOf(account, ctx);
        }

        var cal = store.Calendar(account);
        var json = new JsonObject
        {
            ["kind"] = entry ? "calendar#calendarListEntry" : "calendar#calendar",
            ["etag"] = "\"c" + account.Sub + "\"",
            ["id"] = account.Email,
            ["summary"] = account.Email,
            ["timeZone"] = cal.TimeZone,
            ["conferenceProperties"] = new JsonObject { ["allowedConferenceSolutionTypes"] = new JsonArray("hangoutsMeet") },
        };
        if (entry)
        {
            json["colorId"] = "14";
            json["backgroundColor"] = "#9fe1e7";
            json["foregroundColor"] = "#000000";
            json["selected"] = true;
            json["accessRole"] = "owner";
            json["defaultReminders"] = new JsonArray(new JsonObject { ["method"] = "popup", ["minutes"] = 10 });
            json["primary"] = true;
        }

        return json;
    }

    // ---- events ---------------------------------------------------------------------------------------

    private Task<JsonNode?> ListAsync(SandboxAccount account, HttpContext ctx)
    {
        CalendarOf(account, ctx);
        var q = ctx.Request.Query;
        var syncToken = NullIfEmpty(q["syncToken"]);
        if (syncToken is not null)
        {
            // "There are several query parameters that cannot be specified together with nextSyncToken".
            if (ForbiddenWithSyncToken.FirstOrDefault(p => !string.IsNullOrEmpty(q[p])) is { } forbidden)
            {
                throw CalendarApiError.BadRequest($"The parameter {forbidden} cannot be used together with syncToken.", forbidden);
            }

            if (q["showDeleted"] == "false")
            {
                throw CalendarApiError.BadRequest("showDeleted=false is not allowed together with syncToken: deleted events are always returned.", "showDeleted");
            }
        }

        var singleEvents = Bool(q["singleEvents"], "singleEvents");
        var orderBy = NullIfEmpty(q["orderBy"]);
        if (orderBy is not (null or "startTime" or "updated"))
        {
            throw CalendarApiError.BadRequest($"Invalid value for orderBy: {orderBy}", "orderBy");
        }

        if (orderBy == "startTime" && !singleEvents)
        {
            throw CalendarApiError.BadRequest("The requested ordering is not available for the particular query.", "orderBy");
        }

        var (timeMin, timeMax) = TimeRange(q);
        var eventTypes = q["eventTypes"].Where(t => !string.IsNullOrEmpty(t)).Select(t => t!).Order(StringComparer.Ordinal).ToList();
        var query = new ListQuery(
            singleEvents,
            Bool(q["showDeleted"], "showDeleted"),
            !string.IsNullOrEmpty(q["showDeleted"]),
            timeMin,
            timeMax,
            EventTime.ParseQueryTime(q["updatedMin"], "updatedMin"),
            orderBy,
            NullIfEmpty(q["q"]),
            NullIfEmpty(q["iCalUID"]),
            Properties(q["privateExtendedProperty"], "privateExtendedProperty"),
            Properties(q["sharedExtendedProperty"], "sharedExtendedProperty"),
            eventTypes,
            MaxResults(q["maxResults"]),
            PositiveInt(q["maxAttendees"], "maxAttendees"),
            ResponseZone(q["timeZone"]),
            NullIfEmpty(q["pageToken"]),
            syncToken,
            PageKey(q));
        return Task.FromResult<JsonNode?>(store.List(account, query));
    }

    private Task<JsonNode?> InstancesAsync(SandboxAccount account, HttpContext ctx)
    {
        CalendarOf(account, ctx);
        var q = ctx.Request.Query;
        var (timeMin, timeMax) = TimeRange(q);
        var query = new InstancesQuery(
            Bool(q["showDeleted"], "showDeleted"), timeMin, timeMax, NullIfEmpty(q["originalStart"]), MaxResults(q["maxResults"]),
            PositiveInt(q["maxAttendees"], "maxAttendees"), ResponseZone(q["timeZone"]), NullIfEmpty(q["pageToken"]), PageKey(q));
        return Task.FromResult<JsonNode?>(store.Instances(account, EventId(ctx), query));
    }

    private Task<JsonNode?> GetAsync(SandboxAccount account, HttpContext ctx)
    {
        CalendarOf(account, ctx);
        var q = ctx.Request.Query;
        var result = store.Get(account, EventId(ctx), ResponseZone(q["timeZone"]), PositiveInt(q["maxAttendees"], "maxAttendees"));
        if (ctx.Request.Headers.IfNoneMatch.ToString() is { Length: > 0 } ifNoneMatch && ifNoneMatch == result["etag"]?.GetValue<string>())
        {
            ctx.Response.StatusCode = 304;
            return Task.FromResult<JsonNode?>(null);
        }

        return Task.FromResult<JsonNode?>(result);
    }

    private async Task<JsonNode?> InsertAsync(SandboxAccount account, HttpContext ctx)
    {
        CalendarOf(account, ctx);
        var body = await BodyAsync(ctx);
        return store.Insert(account, body, Options(ctx, "calendar.events.insert"));
    }

    private async Task<JsonNode?> ImportAsync(SandboxAccount account, HttpContext ctx)
    {
        CalendarOf(account, ctx);
        var body = await BodyAsync(ctx);
        return store.Import(account, body, Options(ctx, "calendar.events.import"));
    }

    private async Task<JsonNode?> UpdateAsync(SandboxAccount account, HttpContext ctx)
    {
        CalendarOf(account, ctx);
        var body = await BodyAsync(ctx);
        return store.Update(account, EventId(ctx), body, Options(ctx, "calendar.events.update"));
    }

    private async Task<JsonNode?> PatchAsync(SandboxAccount account, HttpContext ctx)
    {
        CalendarOf(account, ctx);
        var body = await BodyAsync(ctx);
        return store.Patch(account, EventId(ctx), body, Options(ctx, "calendar.events.patch"));
    }

    private Task<JsonNode?> DeleteAsync(SandboxAccount account, HttpContext ctx)
    {
        CalendarOf(account, ctx);
        store.Delete(account, EventId(ctx), Options(ctx, "calendar.events.delete"));
        return Task.FromResult<JsonNode?>(null);
    }

    private async Task<JsonNode?> WatchAsync(SandboxAccount account, HttpContext ctx)
    {
        var calendarId = CalendarOf(account, ctx);
        var body = await BodyAsync(ctx);
        var resourceUri = new Uri(baseUrl(), $"calendar/v3/calendars/{Uri.EscapeDataString(calendarId)}/events?alt=json");
        return push.Watch(account, resourceUri, body);
    }

    private async Task<JsonNode?> StopAsync(SandboxAccount account, HttpContext ctx)
    {
        push.Stop(account, await BodyAsync(ctx));
        return null;
    }

    // ---- parameters -----------------------------------------------------------------------------------

    /// <summary>Only the user's primary calendar exists here: "primary" or the user's address; anything else is 404.</summary>
    private static string CalendarOf(SandboxAccount account, HttpContext ctx)
    {
        var id = Uri.UnescapeDataString((string)ctx.GetRouteValue("calendarId")!);
        return id == "primary" || string.Equals(id, account.Email, StringComparison.OrdinalIgnoreCase) ? id : throw CalendarApiError.NotFound();
    }

    private static string EventId(HttpContext ctx) => Uri.UnescapeDataString((string)ctx.GetRouteValue("eventId")!);

    private static WriteOptions Options(HttpContext ctx, string method)
    {
        var q = ctx.Request.Query;
        var sendUpdates = NullIfEmpty(q["sendUpdates"]);
        if (sendUpdates is not (null or "all" or "externalOnly" or "none"))
        {
            throw CalendarApiError.BadRequest($"Invalid value for sendUpdates: {sendUpdates}", "sendUpdates");
        }

        // sendNotifications is deprecated; true meant "all".
        sendUpdates ??= Bool(q["sendNotifications"], "sendNotifications") ? "all" : null;
        var version = PositiveInt(q["conferenceDataVersion"], "conferenceDataVersion", minimum: 0) ?? 0;
        if (version > 1)
        {
            throw CalendarApiError.BadRequest("conferenceDataVersion must be 0 or 1.", "conferenceDataVersion");
        }

        var ifMatch = ctx.Request.Headers.IfMatch.ToString();
        return new WriteOptions(method, sendUpdates, version, string.IsNullOrEmpty(ifMatch) ? null : ifMatch);
    }

    private static (Instant? Min, Instant? Max) TimeRange(IQueryCollection q)
    {
        var min = EventTime.ParseQueryTime(q["timeMin"], "timeMin");
        var max = EventTime.ParseQueryTime(q["timeMax"], "timeMax");
        if (min is { } a && max is { } b && a >= b)
        {
            throw CalendarApiError.TimeRangeEmpty("timeMax");
        }

        return (min, max);
    }

    private static int MaxResults(string? value) =>
        Math.Min(PositiveInt(value, "maxResults") ?? DefaultMaxResults, MaxMaxResults);

    private static int? PositiveInt(string? value, string name, int minimum = 1)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        return int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= minimum
            ? n
            : throw CalendarApiError.BadRequest($"Invalid value '{value}'. Values must be at least {minimum}.", name);
    }

    private static bool Bool(string? value, string name) => value switch
    {
        null or "" or "false" => false,
        "true" => true,
        _ => throw CalendarApiError.BadRequest($"Invalid boolean value: '{value}'.", name),
    };

    private static DateTimeZone? ResponseZone(string? value) =>
        string.IsNullOrEmpty(value) ? null : EventTime.Zone(value) ?? throw CalendarApiError.BadRequest($"Invalid time zone: {value}", "timeZone");

    private static List<KeyValuePair<string, string>> Properties(IEnumerable<string?> values, string name)
    {
        var result = new List<KeyValuePair<string, string>>();
        foreach (var value in values.Where(v => !string.IsNullOrEmpty(v)))
        {
            var eq = value!.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw CalendarApiError.BadRequest($"{name} must be propertyName=value.", name);
            }

            result.Add(new(value[..eq], value[(eq + 1)..]));
        }

        return result;
    }

    /// <summary>All parameters but pageToken, canonical: pages of one listing must be requested with the same query.</summary>
    private static string PageKey(IQueryCollection q) =>
        string.Join('&', q.Where(p => p.Key != "pageToken").OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => p.Key + "=" + string.Join(',', p.Value.Order(StringComparer.Ordinal))));

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static async Task<JsonObject> BodyAsync(HttpContext ctx)
    {
        var node = await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted);
        return node as JsonObject ?? throw CalendarApiError.BadRequest("Parse Error", reason: "parseError");
    }

    private sealed class Injection(string? method, CalendarFault fault, TimeSpan? retryAfter)
    {
        public string? Method { get; } = method;

        public CalendarFault Fault { get; } = fault;

        public TimeSpan? RetryAfter { get; } = retryAfter;

        public int Remaining { get; set; }
    }
}
