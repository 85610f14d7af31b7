using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace CreatioGoogle.Sandbox.Creatio;

/// <summary>
/// An in-process Creatio on 127.0.0.1 for tests and offline runs: AuthService.svc forms login with the
/// .ASPXAUTH/BPMCSRF cookies and the BPMCSRF header check, an identity service with client credentials, and
/// OData 4 at <c>/0/odata</c> (Contact, ContactCommunication, SysAdminUnit, Activity, ActivityParticipant and their lookups) with
/// <c>$expand</c> and <c>$batch</c>.
/// Behaviour follows the facts file §4 (sources there); where Creatio's docs are silent the choice is noted.
/// </summary>
public sealed class SandboxCreatio : IAsyncDisposable
{
    private const string LoginPath = "/ServiceModel/AuthService.svc/Login";

    private readonly WebApplication _app;
    private readonly SandboxCreatioOptions _options;
    private readonly TimeProvider _clock;
    private readonly ODataService _data;
    private readonly Dictionary<string, SandboxCreatioUser> _users;
    private readonly Dictionary<string, Guid> _contactOfUser = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, SandboxCreatioClient> _clients;
    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AccessToken> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<CreatioRequestKind, int> _counts = new();
    private readonly Lock _faultGate = new();
    private int _faultsRemaining;
    private int _faultStatus;
    private int _total;
    private readonly SimulatedLatency _latency = new();
    private int _disposed;

    private SandboxCreatio(SandboxCreatioOptions options, WebApplication app)
    {
        _app = app;
        _options = options;
        _clock = options.Clock;
        _data = new ODataService(_clock, () => BaseUrl, options.MaxRowCount);
        _users = options.Users.ToDictionary(u => u.UserName, StringComparer.OrdinalIgnoreCase);
        _clients = options.Clients.ToDictionary(c => c.ClientId, StringComparer.Ordinal);

        foreach (var name in options.Users.Select(u => u.UserName).Concat(options.Clients.Select(c => c.UserName)).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var contactId = _users.TryGetValue(name, out var u) && u.ContactId != Guid.Empty ? u.ContactId : Guid.NewGuid();
            _contactOfUser[name] = contactId;
            _data.Seed("Contact", new JsonObject { ["Id"] = contactId.ToString(), ["Name"] = name }, contactId);
            _data.Seed("SysAdminUnit", new JsonObject
            {
                ["Name"] = name, ["ContactId"] = contactId.ToString(), ["SysAdminUnitTypeValue"] = 4, ["Active"] = true,
            }, contactId);
        }

        foreach (var (collection, row) in ActivitySchemas.Seed())
        {
            _data.Seed(collection, row, Guid.Empty);
        }

        app.MapPost(LoginPath, LoginAsync);
        app.MapPost("/connect/token", TokenAsync);
        app.MapMethods("/0/odata/{**resource}", ["GET", "POST", "PATCH", "DELETE"], ODataAsync);
    }

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The identity service (a separate site in real Creatio; here the same host): <c>{this}/connect/token</c>.</summary>
    public Uri IdentityServerUrl => BaseUrl;

    /// <summary>Real-time delay added to every request.</summary>
    public TimeSpan Latency
    {
        get => _latency.Value;
        set => _latency.Value = value;
    }

    /// <summary>Every HTTP request received, whatever its answer.</summary>
    public int RequestCount => Volatile.Read(ref _total);

    /// <summary>Forms sessions that are still alive.</summary>
    public int ActiveSessionCount => _sessions.Values.Count(s => !IsExpired(s));

    public static async Task<SandboxCreatio> StartAsync(SandboxCreatioOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Clock, nameof(options.Clock));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBatchSize, 1, nameof(options.MaxBatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxRowCount, 1, nameof(options.MaxRowCount));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.SessionTimeout, TimeSpan.Zero, nameof(options.SessionTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.AccessTokenLifetime, TimeSpan.Zero, nameof(options.AccessTokenLifetime));

        var app = LoopbackHost.CreateBuilder(options.Port).Build();
        var sandbox = new SandboxCreatio(options, app);
        return await LoopbackHost.StartAsync(app, sandbox, url => sandbox.BaseUrl = url, ct);
    }

    /// <summary>Requests of one kind received (including rejected and fault-injected ones).</summary>
    public int CountOf(CreatioRequestKind kind) => _counts.GetValueOrDefault(kind);

    public void ResetCounters()
    {
        _counts.Clear();
        Volatile.Write(ref _total, 0);
    }

    /// <summary>The next <paramref name="count"/> OData requests (not logins or token calls) fail with this status. Replaces any earlier injection.</summary>
    public void InjectFailures(int count, int statusCode)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_faultGate)
        {
            _faultsRemaining = count;
            _faultStatus = statusCode;
        }
    }

    /// <summary>Ends every forms session, as a session timeout or an IIS recycle does: the next data call gets 401.</summary>
    public void ExpireSessions() => _sessions.Clear();

    /// <summary>Invalidates every identity-service access token.</summary>
    public void RevokeTokens() => _tokens.Clear();

    /// <summary>The contact of a user (what SysAdminUnit.ContactId holds).</summary>
    public Guid ContactIdOf(string userName) => _contactOfUser[userName];

    /// <summary>Inserts a row directly. Missing columns get Creatio's empty values; given CreatedOn/ModifiedOn are kept.</summary>
    public JsonObject Seed(string collection, JsonObject row) => _data.Seed(collection, row, FirstActor());

    public JsonObject SeedContact(JsonObject row) => Seed("Contact", row);

    /// <summary>A copy of the stored row, or null.</summary>
    public JsonObject? Get(string collection, Guid id) => _data.Find(collection, id);

    public JsonObject? GetContact(Guid id) => Get("Contact", id);

    public IReadOnlyList<JsonObject> Rows(string collection) => _data.All(collection);

    public IReadOnlyList<JsonObject> Contacts() => Rows("Contact");

    /// <summary>A change a Creatio user makes in the UI: applies <paramref name="changes"/> and moves ModifiedOn to now.</summary>
    public JsonObject SimulateUserEdit(Guid contactId, JsonObject? changes = null, string? userName = null) =>
        _data.Touch("Contact", contactId, changes, userName is null ? FirstActor() : ContactIdOf(userName));

    /// <summary>A change a Creatio user makes to any row in the UI (an activity, a participant's response...): ModifiedOn moves to now.</summary>
    public JsonObject SimulateUserEdit(string collection, Guid id, JsonObject? changes = null, string? userName = null) =>
        _data.Touch(collection, id, changes, userName is null ? FirstActor() : ContactIdOf(userName));

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await _app.StopAsync(CancellationToken.None);
        }
        finally
        {
            await _app.DisposeAsync();
        }
    }

    private Guid FirstActor() => _contactOfUser.Count > 0 ? _contactOfUser.Values.First() : Guid.Empty;

    private async Task BeginAsync(HttpContext ctx, CreatioRequestKind kind)
    {
        Interlocked.Increment(ref _total);
        Count(kind);
        await _latency.WaitAsync(ctx.RequestAborted);
    }

    private void Count(CreatioRequestKind kind) => _counts.AddOrUpdate(kind, 1, (_, n) => n + 1);

    private async Task LoginAsync(HttpContext ctx)
    {
        await BeginAsync(ctx, CreatioRequestKind.Login);
        JsonObject? body;
        try
        {
            body = await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted) as JsonObject;
        }
        catch (JsonException)
        {
            body = null;
        }

        var userName = body?["UserName"]?.GetValue<string>();
        var password = body?["UserPassword"]?.GetValue<string>();
        if (userName is null || password is null)
        {
            ctx.Response.StatusCode = 400;
            return;
        }

        // A failed login is HTTP 200 with Code 1 and a message (facts §4.1).
        if (!_users.TryGetValue(userName, out var user)
            || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(user.Password), Encoding.UTF8.GetBytes(password)))
        {
            await WriteJsonAsync(ctx, 200, LoginResult(1, "Invalid username or password specified."));
            return;
        }

        var session = new Session(user.UserName, _contactOfUser[user.UserName], RandomToken(16), _clock.GetUtcNow());
        var auth = RandomToken(48);
        _sessions[auth] = session;
        var cookies = ctx.Response.Headers;
        cookies.Append("Set-Cookie", $".ASPXAUTH={auth}; path=/; HttpOnly");
        cookies.Append("Set-Cookie", $"BPMCSRF={session.Csrf}; path=/");
        cookies.Append("Set-Cookie", $"BPMLOADER={RandomToken(12)}; path=/; HttpOnly");
        cookies.Append("Set-Cookie", $"UserName={Uri.EscapeDataString(user.UserName)}; path=/");
        await WriteJsonAsync(ctx, 200, LoginResult(0, ""));
    }

    private static JsonObject LoginResult(int code, string message) => new()
    {
        ["Code"] = code, ["Message"] = message, ["Exception"] = null, ["PasswordChangeUrl"] = null, ["RedirectUrl"] = null,
    };

    private async Task TokenAsync(HttpContext ctx)
    {
        await BeginAsync(ctx, CreatioRequestKind.Token);
        var form = ctx.Request.HasFormContentType ? await ctx.Request.ReadFormAsync(ctx.RequestAborted) : null;
        if (form is null)
        {
            await WriteJsonAsync(ctx, 400, new JsonObject { ["error"] = "invalid_request" });
            return;
        }

        string? clientId = form["client_id"], secret = form["client_secret"];
        if (form["grant_type"] != "client_credentials")
        {
            await WriteJsonAsync(ctx, 400, new JsonObject { ["error"] = "unsupported_grant_type" });
            return;
        }

        // IdentityServer answers an unknown client or a wrong secret with 400 invalid_client.
        if (clientId is null || secret is null || !_clients.TryGetValue(clientId, out var client)
            || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(client.ClientSecret), Encoding.UTF8.GetBytes(secret)))
        {
            await WriteJsonAsync(ctx, 400, new JsonObject { ["error"] = "invalid_client" });
            return;
        }

        var token = RandomToken(48);
        _tokens[token] = new AccessToken(_contactOfUser[client.UserName], _clock.GetUtcNow() + _options.AccessTokenLifetime);
        await WriteJsonAsync(ctx, 200, new JsonObject
        {
            ["access_token"] = token,
            ["expires_in"] = (int)_options.AccessTokenLifetime.TotalSeconds,
            ["token_type"] = "Bearer",
            ["scope"] = "ApplicationAccess_" + client.ClientId,
        });
    }

    private async Task ODataAsync(HttpContext ctx)
    {
        var resource = ctx.Request.RouteValues["resource"] as string ?? "";
        var method = ctx.Request.Method;
        var isBatch = resource == "$batch";
        var kind = (isBatch, method, resource.Contains('(') || resource.Contains('/')) switch
        {
            (true, _, _) => CreatioRequestKind.Batch,
            (_, "GET", false) => CreatioRequestKind.Query,
            (_, "GET", true) => CreatioRequestKind.GetById,
            (_, "POST", _) => CreatioRequestKind.Create,
            (_, "PATCH", _) => CreatioRequestKind.Update,
            (_, "DELETE", _) => CreatioRequestKind.Delete,
            _ => CreatioRequestKind.Other,
        };
        await BeginAsync(ctx, kind);

        if (TakeFault() is { } faultStatus)
        {
            await WriteJsonAsync(ctx, faultStatus, faultStatus == 401 ? null : ODataException.ErrorBody("Injected failure."));
            return;
        }

        if (Authenticate(ctx) is not { } actor)
        {
            Count(CreatioRequestKind.Rejected);
            ctx.Response.StatusCode = 401;
            return;
        }

        if (isBatch)
        {
            await BatchAsync(ctx, actor);
            return;
        }

        JsonNode? body = null;
        if (method is "POST" or "PATCH")
        {
            try
            {
                body = await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted);
            }
            catch (JsonException e)
            {
                await WriteJsonAsync(ctx, 400, ODataException.ErrorBody("The request body is not valid JSON: " + e.Message));
                return;
            }
        }

        var query = ctx.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        var result = _data.Execute(method, resource, query, body, actor);
        await WriteJsonAsync(ctx, result.Status, result.Body);
    }

    /// <summary>
    /// The JSON <c>$batch</c> format (facts §4.2): <c>{"requests":[{id,method,url,headers,body}]}</c> answered with
    /// the OData JSON batch response <c>{"responses":[{id,status,headers,body}]}</c>. Without
    /// <c>Prefer: continue-on-error</c> the first 4xx/5xx stops the rest, as Creatio documents.
    /// </summary>
    private async Task BatchAsync(HttpContext ctx, Guid actor)
    {
        if (ctx.Request.Method != "POST")
        {
            await WriteJsonAsync(ctx, 405, ODataException.ErrorBody("$batch accepts POST only."));
            return;
        }

        if (ctx.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
        {
            // Creatio also takes multipart/mixed; the sandbox only speaks the JSON format the broker uses.
            await WriteJsonAsync(ctx, 415, ODataException.ErrorBody("The sandbox supports only Content-Type: application/json batches."));
            return;
        }

        JsonArray? requests;
        try
        {
            requests = (await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted))?["requests"] as JsonArray;
        }
        catch (JsonException)
        {
            requests = null;
        }

        if (requests is null)
        {
            await WriteJsonAsync(ctx, 400, ODataException.ErrorBody("The batch body must be {\"requests\":[...]}."));
            return;
        }

        if (requests.Count > _options.MaxBatchSize)
        {
            await WriteJsonAsync(ctx, 400, ODataException.ErrorBody(
                $"The number of requests in the batch ({requests.Count}) exceeds the maximum of {_options.MaxBatchSize}."));
            return;
        }

        var ids = requests.Select(r => r?["id"]?.ToString()).ToList();
        if (ids.Any(id => string.IsNullOrEmpty(id)) || ids.Distinct(StringComparer.Ordinal).Count() != ids.Count)
        {
            await WriteJsonAsync(ctx, 400, ODataException.ErrorBody("Every request in a batch needs a unique id."));
            return;
        }

        var continueOnError = ctx.Request.Headers["Prefer"].Any(p => p?.Contains("continue-on-error", StringComparison.OrdinalIgnoreCase) == true);
        var responses = new JsonArray();
        foreach (var request in requests.OfType<JsonObject>())
        {
            Count(CreatioRequestKind.BatchOperation);
            var method = request["method"]?.GetValue<string>().ToUpperInvariant() ?? "GET";
            var url = request["url"]?.GetValue<string>() ?? "";
            var (resource, query) = SplitUrl(url);
            var result = _data.Execute(method, resource, query, request["body"]?.DeepClone(), actor);
            var item = new JsonObject { ["id"] = request["id"]!.ToString(), ["status"] = result.Status };
            if (result.Body is not null)
            {
                item["headers"] = new JsonObject { ["content-type"] = "application/json; odata.metadata=minimal; odata.streaming=true" };
                item["body"] = result.Body;
            }

            responses.Add(item);
            if (result.Status >= 400 && !continueOnError)
            {
                break;
            }
        }

        await WriteJsonAsync(ctx, 200, new JsonObject { ["responses"] = responses });
    }

    private (string Resource, IReadOnlyDictionary<string, string> Query) SplitUrl(string url)
    {
        var odataRoot = new Uri(BaseUrl, "0/odata/").ToString();
        if (url.StartsWith(odataRoot, StringComparison.OrdinalIgnoreCase))
        {
            url = url[odataRoot.Length..];
        }
        else if (url.StartsWith("/0/odata/", StringComparison.OrdinalIgnoreCase))
        {
            url = url["/0/odata/".Length..];
        }

        var q = url.IndexOf('?', StringComparison.Ordinal);
        if (q < 0)
        {
            return (url, new Dictionary<string, string>());
        }

        var query = QueryHelpers.ParseQuery(url[q..]).ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);
        return (url[..q], query);
    }

    /// <summary>
    /// Bearer token from the identity service, or the forms cookie plus a matching <c>BPMCSRF</c> header.
    /// A missing or wrong CSRF header is answered 401 (facts §7: 401/403, exact code unverified).
    /// </summary>
    private Guid? Authenticate(HttpContext ctx)
    {
        var authorization = ctx.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return _tokens.TryGetValue(authorization[7..].Trim(), out var token) && token.ExpiresAt > _clock.GetUtcNow()
                ? token.ContactId
                : null;
        }

        if (!ctx.Request.Cookies.TryGetValue(".ASPXAUTH", out var auth) || !_sessions.TryGetValue(auth, out var session))
        {
            return null;
        }

        if (IsExpired(session))
        {
            _sessions.TryRemove(auth, out _);
            return null;
        }

        if (ctx.Request.Headers["BPMCSRF"].ToString() != session.Csrf)
        {
            return null;
        }

        session.LastSeen = _clock.GetUtcNow();
        return session.ContactId;
    }

    private bool IsExpired(Session session) => _clock.GetUtcNow() - session.LastSeen > _options.SessionTimeout;

    private int? TakeFault()
    {
        lock (_faultGate)
        {
            if (_faultsRemaining <= 0)
            {
                return null;
            }

            _faultsRemaining--;
            return _faultStatus;
        }
    }

    private static string RandomToken(int bytes) => WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(bytes));

    private static async Task WriteJsonAsync(HttpContext ctx, int status, JsonObject? body)
    {
        ctx.Response.StatusCode = status;
        if (body is null)
        {
            return;
        }

        ctx.Response.ContentType = "application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8";
        ctx.Response.Headers["OData-Version"] = "4.0";
        await ctx.Response.WriteAsync(body.ToJsonString(), ctx.RequestAborted);
    }

    private sealed class Session(string userName, Guid contactId, string csrf, DateTimeOffset lastSeen)
    {
        public string UserName { get; } = userName;

        public Guid ContactId { get; } = contactId;

        public string Csrf { get; } = csrf;

        public DateTimeOffset LastSeen { get; set; } = lastSeen;
    }

    private sealed record AccessToken(Guid ContactId, DateTimeOffset ExpiresAt);
}
