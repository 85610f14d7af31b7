using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CreatioGoogle.Sandbox.Google.People;

/// <summary>
/// The People API routes (people.googleapis.com/v1/...) served by the <see cref="SandboxGoogle"/> app.
/// Every call: count → bearer check → injected fault → (mutations: per-user concurrency check) → latency → handler.
/// </summary>
internal sealed class PeopleApi(Func<string, (SandboxAccount Account, IReadOnlyCollection<string> Scopes)?> findToken, PeopleStore store)
{
    public const string ContactsScope = "https://www.googleapis.com/auth/contacts";
    public const string ContactsReadonlyScope = "https://www.googleapis.com/auth/contacts.readonly";

    private const int MaxBatchCreate = 200;
    private const int MaxBatchUpdate = 200;
    private const int MaxBatchDelete = 500;
    private const int MaxBatchGet = 200;
    private const int MaxGroupPageSize = 1000;
    private const int MaxModifyMembers = 1000;

    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _mutationsInFlight = new(StringComparer.Ordinal);
    private readonly List<Injection> _injections = [];
    private readonly Lock _faultGate = new();
    private readonly SimulatedLatency _latency = new();

    public TimeSpan Latency
    {
        get => _latency.Value;
        set => _latency.Value = value;
    }

    public bool RejectConcurrentMutations { get; set; } = true;

    /// <summary>
    /// batchCreateContacts' answer order is not documented (facts §9): by default it is shuffled, so a client that matches
    /// results to requests by position fails here as it could at Google.
    /// </summary>
    public bool ShuffleBatchCreateResults { get; set; } = true;

    public IReadOnlyDictionary<string, int> Calls => new Dictionary<string, int>(_calls, StringComparer.Ordinal);

    public int CallCount(string method) => _calls.GetValueOrDefault(method);

    public void ResetCounters() => _calls.Clear();

    public void Inject(int count, int statusCode, TimeSpan? retryAfter, string? method)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 400);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 599);
        lock (_faultGate)
        {
            _injections.RemoveAll(i => i.Method == method);
            if (count > 0)
            {
                _injections.Add(new Injection(method, statusCode, retryAfter) { Remaining = count });
            }
        }
    }

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/people/me/connections", ctx => RunAsync(ctx, "people.connections.list", write: false, ListConnectionsAsync));
        app.MapPost("/v1/people:createContact", ctx => RunAsync(ctx, "people.createContact", write: true, CreateAsync));
        app.MapPost("/v1/people:batchCreateContacts", ctx => RunAsync(ctx, "people.batchCreateContacts", write: true, BatchCreateAsync));
        app.MapPost("/v1/people:batchUpdateContacts", ctx => RunAsync(ctx, "people.batchUpdateContacts", write: true, BatchUpdateAsync));
        app.MapPost("/v1/people:batchDeleteContacts", ctx => RunAsync(ctx, "people.batchDeleteContacts", write: true, BatchDeleteAsync));
        app.MapGet("/v1/people:batchGet", ctx => RunAsync(ctx, "people.getBatchGet", write: false, BatchGetAsync));

        // "people/{id}:updateContact" is one path segment: the verb after the colon picks the method.
        app.MapMethods("/v1/people/{segment}", ["GET", "PATCH", "DELETE"], DispatchPersonAsync);

        app.MapGet("/v1/contactGroups", ctx => RunAsync(ctx, "contactGroups.list", write: false, ListGroupsAsync));
        app.MapPost("/v1/contactGroups", ctx => RunAsync(ctx, "contactGroups.create", write: true, CreateGroupAsync));
        app.MapGet("/v1/contactGroups/{id}", ctx => RunAsync(ctx, "contactGroups.get", write: false, GetGroupAsync));
        app.MapPost("/v1/contactGroups/{id}/members:modify", ModifyMembersRouteAsync);
    }

    /// <summary>"people/{id}:updateContact" is one path segment: the verb after the colon picks the method.</summary>
    private Task DispatchPersonAsync(HttpContext ctx)
    {
        var segment = (string)ctx.GetRouteValue("segment")!;
        var colon = segment.IndexOf(':', StringComparison.Ordinal);
        var (id, verb) = colon < 0 ? (segment, string.Empty) : (segment[..colon], segment[(colon + 1)..]);
        var resourceName = "people/" + id;
        return (ctx.Request.Method, verb) switch
        {
            ("GET", "") => RunAsync(ctx, "people.get", write: false, (sub, c) => GetAsync(sub, c, resourceName)),
            ("PATCH", "updateContact") => RunAsync(ctx, "people.updateContact", write: true, (sub, c) => UpdateAsync(sub, c, resourceName)),
            ("DELETE", "deleteContact") => RunAsync(ctx, "people.deleteContact", write: true, (sub, c) => DeleteAsync(sub, c, resourceName)),
            _ => GoogleApiError.NotFound("Method not found.").WriteAsync(ctx),
        };
    }

    private Task ModifyMembersRouteAsync(HttpContext ctx)
    {
        var groupId = (string)ctx.GetRouteValue("id")!;
        return RunAsync(ctx, "contactGroups.members.modify", write: true, (sub, c) => ModifyMembersAsync(sub, c, groupId));
    }

    private async Task RunAsync(HttpContext ctx, string method, bool write, Func<string, HttpContext, Task<JsonNode>> handler)
    {
        _calls.AddOrUpdate(method, 1, (_, n) => n + 1);
        var enteredMutation = false;
        string? sub = null;
        try
        {
            sub = Authorize(ctx, method, write);
            if (TakeFault(method) is { } fault)
            {
                throw fault;
            }

            if (write)
            {
                enteredMutation = true;
                if (_mutationsInFlight.AddOrUpdate(sub, 1, (_, n) => n + 1) > 1 && RejectConcurrentMutations)
                {
                    // "Mutate requests for the same user should be sent sequentially to avoid increased latency and failures."
                    throw new GoogleApiError(409, "ABORTED", "The operation was aborted: another mutation for this user is in progress. Send mutate requests for the same user sequentially.");
                }
            }

            await _latency.WaitAsync(ctx.RequestAborted);

            var body = await handler(sub, ctx);
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "application/json; charset=UTF-8";
            await ctx.Response.WriteAsync(body.ToJsonString(), ctx.RequestAborted);
        }
        catch (GoogleApiError error)
        {
            await error.WriteAsync(ctx);
        }
        catch (JsonException)
        {
            await GoogleApiError.InvalidArgument("Invalid JSON payload received.").WriteAsync(ctx);
        }
        finally
        {
            if (enteredMutation && sub is not null)
            {
                _mutationsInFlight.AddOrUpdate(sub, 0, (_, n) => n - 1);
            }
        }
    }

    private string Authorize(HttpContext ctx, string method, bool write)
    {
        string? header = ctx.Request.Headers.Authorization;
        var token = header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        if (string.IsNullOrEmpty(token))
        {
            throw GoogleApiError.Unauthenticated(missing: true);
        }

        if (findToken(token) is not { } found)
        {
            throw GoogleApiError.Unauthenticated(missing: false);
        }

        var ok = found.Scopes.Contains(ContactsScope) || (!write && found.Scopes.Contains(ContactsReadonlyScope));
        if (!ok)
        {
            throw GoogleApiError.ScopeInsufficient(method);
        }

        return found.Account.Sub;
    }

    private GoogleApiError? TakeFault(string method)
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

            return GoogleApiError.ForInjected(injection.StatusCode, injection.RetryAfter);
        }
    }

    // ---- handlers --------------------------------------------------------------------------------------

    private Task<JsonNode> ListConnectionsAsync(string sub, HttpContext ctx)
    {
        var q = ctx.Request.Query;

        // personFields is required (facts §1.1).
        var fields = PersonFields.ParseMask(q["personFields"], "personFields", PersonFields.Readable);
        var pageSize = ParseInt(q["pageSize"], "page_size");
        if (pageSize is < 0 or > PeopleStore.MaxPageSize)
        {
            // "Valid values are between 1 and 1000, inclusive. Defaults to 100 if not set or set to 0."
            throw GoogleApiError.InvalidArgument("Page size must be between 1 and 1000, inclusive.");
        }

        pageSize = pageSize == 0 ? PeopleStore.DefaultPageSize : pageSize;
        var requestSyncToken = ParseBool(q["requestSyncToken"], "request_sync_token");
        var sortOrder = NullIfEmpty(q["sortOrder"]) ?? "LAST_MODIFIED_ASCENDING";
        if (sortOrder is not ("LAST_MODIFIED_ASCENDING" or "LAST_MODIFIED_DESCENDING" or "FIRST_NAME_ASCENDING" or "LAST_NAME_ASCENDING"))
        {
            throw GoogleApiError.InvalidArgument($"Invalid value at 'sort_order', \"{sortOrder}\"");
        }

        var syncToken = NullIfEmpty(q["syncToken"]);
        var pageToken = NullIfEmpty(q["pageToken"]);
        var sources = string.Join(',', q["sources"].Order(StringComparer.Ordinal));

        // "When the pageToken or syncToken is specified, all other request parameters must match the first call."
        // sortOrder is ignored while syncing, so it is not part of the sync-token key.
        var syncKey = string.Join('|', string.Join(',', fields.Order(StringComparer.Ordinal)), requestSyncToken, sources);
        var pageKey = string.Join('|', syncKey, sortOrder, pageSize, syncToken);
        var request = new ListRequest(fields, pageSize, pageToken, syncToken, requestSyncToken, sortOrder, syncKey, pageKey);
        return Task.FromResult<JsonNode>(store.ListConnections(sub, request));
    }

    private Task<JsonNode> GetAsync(string sub, HttpContext ctx, string resourceName)
    {
        var fields = PersonFields.ParseMask(ctx.Request.Query["personFields"], "personFields", PersonFields.Readable);
        return Task.FromResult<JsonNode>(store.Get(sub, resourceName, fields));
    }

    private Task<JsonNode> BatchGetAsync(string sub, HttpContext ctx)
    {
        var fields = PersonFields.ParseMask(ctx.Request.Query["personFields"], "personFields", PersonFields.Readable);
        var names = ctx.Request.Query["resourceNames"].Where(n => !string.IsNullOrEmpty(n)).Select(n => n!).ToList();
        if (names.Count is 0 or > MaxBatchGet)
        {
            throw GoogleApiError.InvalidArgument($"resourceNames must contain between 1 and {MaxBatchGet} resource names.");
        }

        var responses = new JsonArray();
        foreach (var name in names)
        {
            var person = store.TryGet(sub, name, fields);
            var response = new JsonObject { ["requestedResourceName"] = name, ["httpStatusCode"] = person is null ? 404 : 200 };
            if (person is null)
            {
                response["status"] = new JsonObject { ["code"] = 5, ["message"] = "Requested entity was not found." };
            }
            else
            {
                response["person"] = person;
                response["status"] = new JsonObject();
            }

            responses.Add(response);
        }

        return Task.FromResult<JsonNode>(new JsonObject { ["responses"] = responses });
    }

    private async Task<JsonNode> CreateAsync(string sub, HttpContext ctx)
    {
        var fields = ReturnMask(ctx.Request.Query["personFields"]);
        var person = await ReadBodyAsync(ctx);
        return store.Create(sub, person, fields);
    }

    private async Task<JsonNode> UpdateAsync(string sub, HttpContext ctx, string resourceName)
    {
        // updatePersonFields is required; the mask's fields are replaced, not merged (facts §1.2).
        var updateFields = PersonFields.ParseMask(ctx.Request.Query["updatePersonFields"], "updatePersonFields", PersonFields.Updatable);
        var fields = ReturnMask(ctx.Request.Query["personFields"]);
        var person = await ReadBodyAsync(ctx);
        if (person["resourceName"]?.GetValue<string>() is { } bodyName && bodyName != resourceName)
        {
            throw GoogleApiError.InvalidArgument("person.resourceName does not match the resource name in the URL.");
        }

        return store.Update(sub, resourceName, person, updateFields, fields);
    }

    private Task<JsonNode> DeleteAsync(string sub, HttpContext ctx, string resourceName)
    {
        store.Delete(sub, [resourceName]);
        return Task.FromResult<JsonNode>(new JsonObject());
    }

    private async Task<JsonNode> BatchCreateAsync(string sub, HttpContext ctx)
    {
        var body = await ReadBodyAsync(ctx);
        var contacts = body["contacts"] as JsonArray ?? [];
        if (contacts.Count == 0)
        {
            throw GoogleApiError.InvalidArgument("contacts must not be empty.");
        }

        if (contacts.Count > MaxBatchCreate)
        {
            throw GoogleApiError.InvalidArgument($"Too many contacts in the request. The maximum is {MaxBatchCreate}.");
        }

        var people = contacts.Select(c => c?["contactPerson"] as JsonObject
            ?? throw GoogleApiError.InvalidArgument("Each contact needs a contactPerson.")).ToList();

        // "If read mask is left empty, the post-mutate-get is skipped and no data will be returned in the response."
        var readMask = PersonFields.ParseMask(body["readMask"]?.GetValue<string>(), "readMask", PersonFields.Readable, required: false);
        var created = store.CreateMany(sub, people, readMask.Count == 0 ? PersonFields.Readable : readMask);
        if (readMask.Count == 0)
        {
            return new JsonObject();
        }

        if (ShuffleBatchCreateResults)
        {
            created = [.. created.OrderBy(_ => Random.Shared.Next())];
        }

        return new JsonObject
        {
            ["createdPeople"] = new JsonArray([.. created.Select(p => (JsonNode)new JsonObject
            {
                ["requestedResourceName"] = p["resourceName"]!.GetValue<string>(),
                ["httpStatusCode"] = 200,
                ["person"] = p,
                ["status"] = new JsonObject(),
            })]),
        };
    }

    private async Task<JsonNode> BatchUpdateAsync(string sub, HttpContext ctx)
    {
        var body = await ReadBodyAsync(ctx);
        var contacts = body["contacts"] as JsonObject ?? [];
        if (contacts.Count == 0)
        {
            throw GoogleApiError.InvalidArgument("contacts must not be empty.");
        }

        if (contacts.Count > MaxBatchUpdate)
        {
            throw GoogleApiError.InvalidArgument($"Too many contacts in the request. The maximum is {MaxBatchUpdate}.");
        }

        var updateFields = PersonFields.ParseMask(body["updateMask"]?.GetValue<string>(), "updateMask", PersonFields.Updatable);
        var readMask = PersonFields.ParseMask(body["readMask"]?.GetValue<string>(), "readMask", PersonFields.Readable, required: false);
        var updates = contacts.Select(kv => (kv.Key, kv.Value as JsonObject ?? throw GoogleApiError.InvalidArgument($"contacts[{kv.Key}] must be a person."))).ToList();
        var updated = store.UpdateMany(sub, updates, updateFields, readMask.Count == 0 ? PersonFields.Readable : readMask);
        if (readMask.Count == 0)
        {
            return new JsonObject();
        }

        var result = new JsonObject();
        for (var i = 0; i < updates.Count; i++)
        {
            result[updates[i].Key] = new JsonObject
            {
                ["requestedResourceName"] = updates[i].Key,
                ["httpStatusCode"] = 200,
                ["person"] = updated[i],
                ["status"] = new JsonObject(),
            };
        }

        return new JsonObject { ["updateResult"] = result };
    }

    private async Task<JsonNode> BatchDeleteAsync(string sub, HttpContext ctx)
    {
        var body = await ReadBodyAsync(ctx);
        var names = (body["resourceNames"] as JsonArray ?? []).Select(n => n?.GetValue<string>() ?? string.Empty).ToList();
        if (names.Count == 0)
        {
            throw GoogleApiError.InvalidArgument("resourceNames must not be empty.");
        }

        if (names.Count > MaxBatchDelete)
        {
            throw GoogleApiError.InvalidArgument($"Too many resource names in the request. The maximum is {MaxBatchDelete}.");
        }

        store.Delete(sub, names);
        return new JsonObject();
    }

    private Task<JsonNode> ListGroupsAsync(string sub, HttpContext ctx)
    {
        var q = ctx.Request.Query;
        var pageSize = ParseInt(q["pageSize"], "page_size");
        if (pageSize is < 0 or > MaxGroupPageSize)
        {
            throw GoogleApiError.InvalidArgument("Page size must be between 1 and 1000, inclusive.");
        }

        pageSize = pageSize == 0 ? 30 : pageSize;

        // Offset page tokens are enough here: group lists are tiny and tests do not mutate them mid-listing.
        var offset = 0;
        if (NullIfEmpty(q["pageToken"]) is { } token && (!token.StartsWith("sbx-gp-", StringComparison.Ordinal) || !int.TryParse(token[7..], out offset)))
        {
            throw GoogleApiError.InvalidArgument("Request contains an invalid argument.");
        }

        var groups = store.ListGroups(sub);
        var response = new JsonObject
        {
            ["contactGroups"] = new JsonArray([.. groups.Skip(offset).Take(pageSize)]),
            ["totalItems"] = groups.Count,
        };
        if (offset + pageSize < groups.Count)
        {
            response["nextPageToken"] = "sbx-gp-" + (offset + pageSize);
        }

        return Task.FromResult<JsonNode>(response);
    }

    private async Task<JsonNode> CreateGroupAsync(string sub, HttpContext ctx)
    {
        var body = await ReadBodyAsync(ctx);
        var name = body["contactGroup"]?["name"]?.GetValue<string>();
        if (string.IsNullOrWhiteSpace(name))
        {
            throw GoogleApiError.InvalidArgument("contactGroup.name is required.");
        }

        return store.CreateGroup(sub, name.Trim());
    }

    private Task<JsonNode> GetGroupAsync(string sub, HttpContext ctx)
    {
        var id = (string)ctx.GetRouteValue("id")!;
        var maxMembers = ParseInt(ctx.Request.Query["maxMembers"], "max_members");
        if (maxMembers < 0)
        {
            throw GoogleApiError.InvalidArgument("max_members must not be negative.");
        }

        // "Defaults to 0 if not set, which will return zero members."
        return Task.FromResult<JsonNode>(store.GetGroup(sub, id, maxMembers));
    }

    private async Task<JsonNode> ModifyMembersAsync(string sub, HttpContext ctx, string groupId)
    {
        var body = await ReadBodyAsync(ctx);
        var add = (body["resourceNamesToAdd"] as JsonArray ?? []).Select(n => n?.GetValue<string>() ?? string.Empty).ToList();
        var remove = (body["resourceNamesToRemove"] as JsonArray ?? []).Select(n => n?.GetValue<string>() ?? string.Empty).ToList();
        if (add.Count + remove.Count > MaxModifyMembers)
        {
            throw GoogleApiError.InvalidArgument($"The total number of resource names to add and remove must be at most {MaxModifyMembers}.");
        }

        return store.ModifyMembers(sub, groupId, add, remove);
    }

    private static int ParseInt(string? value, string name) =>
        string.IsNullOrEmpty(value) ? 0
        : int.TryParse(value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n
        : throw GoogleApiError.InvalidArgument($"Invalid value at '{name}' (TYPE_INT32), \"{value}\"");

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static bool ParseBool(string? value, string name) => value switch
    {
        null or "" or "false" => false,
        "true" => true,
        _ => throw GoogleApiError.InvalidArgument($"Invalid value at '{name}' (TYPE_BOOL), \"{value}\""),
    };

    /// <summary>Return masks on writes default to every field (updateContact reference: "Defaults to all fields if not set").</summary>
    private static IReadOnlySet<string> ReturnMask(string? mask) =>
        string.IsNullOrWhiteSpace(mask) ? PersonFields.Readable : PersonFields.ParseMask(mask, "personFields", PersonFields.Readable);

    private static async Task<JsonObject> ReadBodyAsync(HttpContext ctx)
    {
        var node = await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted);
        return node as JsonObject ?? throw GoogleApiError.InvalidArgument("Invalid JSON payload received. Expected an object.");
    }

    private sealed class Injection(string? method, int statusCode, TimeSpan? retryAfter)
    {
        public string? Method { get; } = method;

        public int StatusCode { get; } = statusCode;

        public TimeSpan? RetryAfter { get; } = retryAfter;

        public int Remaining { get; set; }
    }
}
