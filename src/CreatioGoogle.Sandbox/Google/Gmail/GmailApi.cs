using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CreatioGoogle.Sandbox.Google.PubSub;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace CreatioGoogle.Sandbox.Google.Gmail;

/// <summary>A Gmail call as the pipeline sees it, whether it came as its own HTTP request or as a part of a batch.</summary>
internal sealed record GmailRequest(string HttpMethod, string Path, Dictionary<string, StringValues> Query, string? Authorization, string? ContentType, byte[] Body);

/// <summary>The answer: a status and a JSON body (none for 204).</summary>
internal sealed record GmailResponse(int Status, JsonNode? Body, TimeSpan? RetryAfter = null)
{
    public static GmailResponse Ok(JsonNode body) => new(200, body);

    public static readonly GmailResponse NoContent = new(204, null);

    public static GmailResponse From(GmailApiError error) => new(error.Code, error.ToJson(), error.RetryAfter);
}

/// <summary>
/// gmail.googleapis.com on the <see cref="SandboxGoogle"/> host, under Google's paths. Every call goes through one
/// pipeline: route → count → bearer token → API enabled → userId → scopes → injected fault → quota → handler, so a
/// batch part is charged and refused exactly like the call it carries.
/// </summary>
internal sealed partial class GmailApi(
    Func<string, (SandboxAccount Account, IReadOnlyCollection<string> Scopes)?> findToken,
    GmailStore store,
    GmailQuota quota,
    SandboxPubSub pubSub)
{
    /// <summary>messages.insert/import accept up to 50 MB (mediaUpload.maxSize); a request body may be a little larger.</summary>
    public const int MaxMessageBytes = 52_428_800;
    public const int MaxRequestBytes = (MaxMessageBytes / 3 * 4) + (1 << 20);

    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 500;

    private static readonly string[] Formats = ["minimal", "full", "raw", "metadata"];
    private static readonly string[] HistoryTypes = ["messageAdded", "messageDeleted", "labelAdded", "labelRemoved"];

    private readonly SimulatedLatency _latency = new();

    public ApiCallLedger Ledger { get; } = new();

    public TimeSpan Latency
    {
        get => _latency.Value;
        set => _latency.Value = value;
    }

    public bool ApiEnabled { get; set; } = true;

    public string ProjectNumber { get; set; } = "100000000001";

    /// <summary>429 (rateLimitExceeded, the usual answer today) or 403 (userRateLimitExceeded).</summary>
    public int QuotaExceededStatusCode { get; set; } = 429;

    public TimeSpan WatchLifetime { get; set; } = TimeSpan.FromDays(7);

    public void Map(WebApplication app)
    {
        app.Map("/gmail/v1/users/{userId}/{**rest}", HandleHttpAsync);
        app.Map("/upload/gmail/v1/users/{userId}/{**rest}", HandleHttpAsync);
        app.MapPost("/batch/gmail/v1", ctx => GmailBatch.HandleAsync(ctx, this));
        app.MapPost("/batch", ctx => GmailBatch.HandleAsync(ctx, this));
    }

    public Task WaitLatencyAsync(CancellationToken cancellationToken) => _latency.WaitAsync(cancellationToken);

    /// <summary>One HTTP request: read (size-capped), simulate latency, run the pipeline, write the answer.</summary>
    private async Task HandleHttpAsync(HttpContext ctx)
    {
        var body = await ReadBodyAsync(ctx.Request, MaxRequestBytes, ctx.RequestAborted);
        if (body is null)
        {
            await WriteAsync(ctx.Response, new GmailResponse(413, new GmailApiError(413, "OUT_OF_RANGE", "uploadTooLarge", "Request entity too large.").ToJson()), ctx.RequestAborted);
            return;
        }

        var request = new GmailRequest(ctx.Request.Method, ctx.Request.Path.Value ?? "/", QueryHelpers.ParseQuery(ctx.Request.QueryString.Value),
            ctx.Request.Headers.Authorization, ctx.Request.ContentType, body);
        await _latency.WaitAsync(ctx.RequestAborted);
        var response = await HandleAsync(request, ctx.RequestAborted);
        await WriteAsync(ctx.Response, response, ctx.RequestAborted);
    }

    public static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    public static Task WriteAsync(HttpResponse response, GmailResponse answer, CancellationToken cancellationToken)
    {
        response.StatusCode = answer.Status;
        if (answer.RetryAfter is { } after)
        {
            response.Headers.RetryAfter = ((int)Math.Ceiling(after.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        if (answer.Status == 401)
        {
            response.Headers.WWWAuthenticate = "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"";
        }

        if (answer.Body is null)
        {
            return Task.CompletedTask;
        }

        response.ContentType = "application/json; charset=UTF-8";
        return response.WriteAsync(answer.Body.ToJsonString(), cancellationToken);
    }

    /// <summary>The pipeline, shared by plain requests and batch parts.</summary>
    public async Task<GmailResponse> HandleAsync(GmailRequest request, CancellationToken cancellationToken)
    {
        if (Route(request) is not { } route)
        {
            return new GmailResponse(404, new GmailApiError(404, "NOT_FOUND", "notFound", $"Method not found: {request.HttpMethod} {request.Path}").ToJson());
        }

        Ledger.Count(route.Method.Id);
        try
        {
            var call = Authorize(request, route);
            if (Ledger.TakeFailure(route.Method.Id) is { } failure)
            {
                throw GmailApiError.ForInjected(failure.StatusCode, ProjectNumber, failure.RetryAfter);
            }

            if (!quota.TryCharge(call.Mailbox.Account.Sub, route.Method.Units, out var retryAfter))
            {
                throw GmailApiError.UserRateLimit(QuotaExceededStatusCode, ProjectNumber, quota.LimitPerUserPerMinute, retryAfter);
            }

            return await route.Handler(call, cancellationToken);
        }
        catch (GmailApiError error)
        {
            return GmailResponse.From(error);
        }
        catch (JsonException)
        {
            return GmailResponse.From(GmailApiError.BadRequest("Invalid JSON payload received."));
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            // A multipart upload whose framing is broken.
            return GmailResponse.From(GmailApiError.BadRequest("Failed to parse the multipart upload."));
        }
    }

    private Call Authorize(GmailRequest request, GmailRoute route)
    {
        var header = request.Authorization;
        var token = header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        if (string.IsNullOrEmpty(token))
        {
            throw GmailApiError.Unauthenticated(missing: true);
        }

        if (findToken(token) is not { } found)
        {
            throw GmailApiError.Unauthenticated(missing: false);
        }

        if (!ApiEnabled)
        {
            throw GmailApiError.ServiceDisabled(ProjectNumber);
        }

        if (route.UserId != "me" && !string.Equals(route.UserId, found.Account.Email, StringComparison.OrdinalIgnoreCase))
        {
            throw GmailApiError.Forbidden($"Delegation denied for {found.Account.Email}");
        }

        if (!route.Method.AllowedFor(found.Scopes))
        {
            throw GmailApiError.InsufficientScopes(route.Method.InternalName);
        }

        return new Call(request, store.For(found.Account), found.Scopes);
    }

    // ---- routing ---------------------------------------------------------------------------------------

    private GmailRoute? Route(GmailRequest request)
    {
        var upload = request.Path.StartsWith("/upload/", StringComparison.Ordinal);
        var prefix = upload ? "/upload/gmail/v1/users/" : "/gmail/v1/users/";
        if (!request.Path.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var segments = request.Path[prefix.Length..].Split('/').Select(Uri.UnescapeDataString).ToArray();
        if (segments.Length < 2 || segments[0].Length == 0)
        {
            return null;
        }

        var user = segments[0];
        var rest = segments[1..];
        GmailRoute R(GmailMethod method, Func<Call, CancellationToken, Task<GmailResponse>> handler) => new(method, user, handler);
        return (request.HttpMethod, rest) switch
        {
            ("POST", ["messages"]) when upload => R(GmailMethod.Insert, (c, _) => InsertAsync(c, importing: false, upload: true)),
            ("POST", ["messages", "import"]) when upload => R(GmailMethod.Import, (c, _) => InsertAsync(c, importing: true, upload: true)),
            _ when upload => null,
            ("GET", ["profile"]) => R(GmailMethod.GetProfile, (c, _) => Task.FromResult(GetProfile(c))),
            ("POST", ["watch"]) => R(GmailMethod.Watch, (c, _) => Task.FromResult(Watch(c))),
            ("POST", ["stop"]) => R(GmailMethod.Stop, (c, _) => Task.FromResult(Stop(c))),
            ("GET", ["history"]) => R(GmailMethod.HistoryList, (c, _) => Task.FromResult(ListHistory(c))),
            ("GET", ["labels"]) => R(GmailMethod.LabelsList, (c, _) => Task.FromResult(ListLabels(c))),
            ("GET", ["labels", var id]) => R(GmailMethod.LabelsGet, (c, _) => Task.FromResult(GetLabel(c, id))),
            ("GET", ["messages"]) => R(GmailMethod.MessagesList, (c, _) => Task.FromResult(ListMessages(c))),
            ("POST", ["messages"]) => R(GmailMethod.Insert, (c, _) => InsertAsync(c, importing: false, upload: false)),
            ("POST", ["messages", "import"]) => R(GmailMethod.Import, (c, _) => InsertAsync(c, importing: true, upload: false)),
            ("POST", ["messages", "batchModify"]) => R(GmailMethod.BatchModify, (c, _) => Task.FromResult(BatchModify(c))),
            ("GET", ["messages", var id]) => R(GmailMethod.MessagesGet, (c, _) => Task.FromResult(GetMessage(c, id))),
            ("DELETE", ["messages", var id]) => R(GmailMethod.Delete, (c, _) => Task.FromResult(DeleteMessage(c, id))),
            ("POST", ["messages", var id, "modify"]) => R(GmailMethod.Modify, (c, _) => Task.FromResult(ModifyMessage(c, id))),
            ("POST", ["messages", var id, "trash"]) => R(GmailMethod.Trash, (c, _) => Task.FromResult(MoveToTrash(c, id, trash: true))),
            ("POST", ["messages", var id, "untrash"]) => R(GmailMethod.Untrash, (c, _) => Task.FromResult(MoveToTrash(c, id, trash: false))),
            ("GET", ["messages", var messageId, "attachments", var id]) => R(GmailMethod.AttachmentsGet, (c, _) => Task.FromResult(GetAttachment(c, messageId, id))),
            _ => null,
        };
    }

    // ---- users -----------------------------------------------------------------------------------------

    private GmailResponse GetProfile(Call call) => GmailResponse.Ok(store.Read(call.Mailbox, box => new JsonObject
    {
        ["emailAddress"] = box.Account.Email,
        ["messagesTotal"] = box.Messages.Count(),
        ["threadsTotal"] = box.ThreadCount,
        ["historyId"] = GmailJson.Id(box.HistoryId),
    }));

    private GmailResponse Watch(Call call)
    {
        var body = JsonBody(call.Request) ?? throw GmailApiError.BadRequest("Invalid topicName does not match projects/" + pubSub.ProjectId + "/topics/*");
        var topicName = Text(body["topicName"], "topic_name");
        if (string.IsNullOrEmpty(topicName) || !TopicPattern().IsMatch(topicName))
        {
            throw GmailApiError.BadRequest($"Invalid topicName does not match projects/{pubSub.ProjectId}/topics/*");
        }

        // "the project identifier portion must exactly match your Google developer project id (the one executing this watch request)".
        if (!topicName.StartsWith($"projects/{pubSub.ProjectId}/topics/", StringComparison.Ordinal))
        {
            throw GmailApiError.BadRequest($"Invalid topicName does not match projects/{pubSub.ProjectId}/topics/*");
        }

        var (exists, canPublish) = pubSub.CheckTopic(topicName);
        if (!exists)
        {
            // watch publishes a test message first, so Pub/Sub's own NOT_FOUND comes back in the same words as the
            // permission failure below (the exact text is inferred from that one; the status is Pub/Sub's).
            throw new GmailApiError(404, "NOT_FOUND", "notFound",
                $"Error sending test message to Cloud PubSub {topicName} : Resource not found (resource={topicName[(topicName.LastIndexOf('/') + 1)..]}).");
        }

        if (!canPublish)
        {
            throw GmailApiError.Forbidden($"Error sending test message to Cloud PubSub {topicName} : User not authorized to perform this action.");
        }

        var labelIds = Strings(body["labelIds"]);
        var behavior = Text(body["labelFilterBehavior"] ?? body["labelFilterAction"], "label_filter_behavior")?.ToLowerInvariant() ?? "include";
        if (behavior is not ("include" or "exclude"))
        {
            throw GmailApiError.InvalidArgument($"Invalid value for labelFilterBehavior: {behavior}");
        }

        return store.Write(call.Mailbox, (box, _) =>
        {
            if (labelIds.FirstOrDefault(l => !box.LabelExists(l)) is { } unknown)
            {
                throw GmailApiError.BadRequest($"Invalid label: {unknown}");
            }

            var now = store.Clock.GetUtcNow();
            if (box.Watch is { } current && current.Expiration > now && current.TopicName != topicName)
            {
                throw GmailApiError.BadRequest("Only one user push notification client allowed per developer (call /stop then try again)");
            }

            box.Watch = new GmailWatch(topicName, labelIds.ToHashSet(StringComparer.Ordinal), behavior == "exclude", now + WatchLifetime);
            return GmailResponse.Ok(new JsonObject
            {
                ["historyId"] = GmailJson.Id(box.HistoryId),
                ["expiration"] = box.Watch.Expiration.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            });
        });
    }

    private GmailResponse Stop(Call call) => store.Write(call.Mailbox, (box, _) =>
    {
        box.Watch = null;
        return GmailResponse.NoContent;
    });

    // ---- history ---------------------------------------------------------------------------------------

    private GmailResponse ListHistory(Call call)
    {
        var q = call.Request.Query;
        var start = ParseStartHistoryId(Single(q, "startHistoryId"));
        var max = PageSize(q);
        var labelId = Single(q, "labelId");
        IReadOnlySet<string>? types = null;
        if (q.TryGetValue("historyTypes", out var typeValues) && typeValues.Count > 0)
        {
            types = typeValues.Select(t => HistoryTypes.FirstOrDefault(h => string.Equals(h, t?.Replace("_", string.Empty, StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase))
                ?? throw GmailApiError.InvalidArgument($"Invalid value at 'history_types' (type.googleapis.com/caribou.api.proto.HistoryType), \"{t}\""))
                .ToHashSet(StringComparer.Ordinal);
        }

        var fingerprint = Fingerprint("h", start.ToString(CultureInfo.InvariantCulture), labelId, types is null ? null : string.Join(',', types.Order(StringComparer.Ordinal)));
        var after = start;
        if (PageTokenPosition(Single(q, "pageToken"), fingerprint) is { } position
            && !ulong.TryParse(position, NumberStyles.None, CultureInfo.InvariantCulture, out after))
        {
            throw GmailApiError.BadRequest("Invalid pageToken");
        }

        return store.Read(call.Mailbox, box =>
        {
            // "Supplying an invalid or out of date startHistoryId typically returns an HTTP 404" (facts §0 trap 3).
            var records = box.HistoryAfter(start) ?? throw GmailApiError.NotFound();
            var matching = records
                .Where(r => r.Id > after && GmailJson.HasType(r, types) && (labelId is null || r.TouchedLabels.Contains(labelId)))
                .Take(max + 1)
                .ToList();
            var json = new JsonObject();
            if (matching.Count > 0)
            {
                json["history"] = new JsonArray([.. matching.Take(max).Select(r => (JsonNode)GmailJson.History(r, types))]);
            }

            if (matching.Count > max)
            {
                json["nextPageToken"] = PageToken(fingerprint, GmailJson.Id(matching[max - 1].Id));
            }

            json["historyId"] = GmailJson.Id(box.HistoryId);
            return GmailResponse.Ok(json);
        });
    }

    private static ulong ParseStartHistoryId(string? value)
    {
        if (string.IsNullOrEmpty(value) || !ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            throw GmailApiError.InvalidArgument("Missing/invalid parameter: startHistoryId");
        }

        // History id 0 is never valid (facts §3.1): 404 like an expired one.
        return start == 0 ? throw GmailApiError.NotFound() : start;
    }

    // ---- labels ----------------------------------------------------------------------------------------

    private GmailResponse ListLabels(Call call) => GmailResponse.Ok(store.Read(call.Mailbox, box =>
    {
        var labels = GmailLabels.System.Select(id => (JsonNode)GmailJson.Label(id, id, system: true, countOver: null))
            .Concat(box.UserLabels.Select(l => (JsonNode)GmailJson.Label(l.Id, l.Name, system: false, countOver: null)));
        return new JsonObject { ["labels"] = new JsonArray([.. labels]) };
    }));

    private GmailResponse GetLabel(Call call, string id) => GmailResponse.Ok(store.Read(call.Mailbox, box =>
    {
        if (GmailLabels.SystemSet.Contains(id))
        {
            return GmailJson.Label(id, id, system: true, box.Messages);
        }

        var label = box.FindUserLabel(id) ?? throw GmailApiError.NotFound();
        return GmailJson.Label(label.Id, label.Name, system: false, box.Messages);
    }));

    // ---- messages --------------------------------------------------------------------------------------

    private GmailResponse ListMessages(Call call)
    {
        var q = call.Request.Query;
        var max = PageSize(q);
        var labelIds = q.TryGetValue("labelIds", out var values) ? values.Where(v => !string.IsNullOrEmpty(v)).Select(v => v!).ToList() : [];
        var includeSpamTrash = ParseBool(Single(q, "includeSpamTrash"), "includeSpamTrash");
        var search = Single(q, "q");
        if (!string.IsNullOrWhiteSpace(search) && call.Scopes.Contains(GmailMethod.MetadataScope))
        {
            throw GmailApiError.Forbidden("Metadata scope does not support 'q' parameter");
        }

        var fingerprint = Fingerprint("m", string.Join(',', labelIds), includeSpamTrash.ToString(), search);
        var position = PageTokenPosition(Single(q, "pageToken"), fingerprint);
        return store.Read(call.Mailbox, box =>
        {
            var query = string.IsNullOrWhiteSpace(search) ? null : GmailQuery.Parse(search, store.Clock.GetUtcNow(), name => box.UserLabels.FirstOrDefault(l => string.Equals(l.Name, name, StringComparison.OrdinalIgnoreCase))?.Id);

            // SPAM and TRASH stay out unless asked for: by includeSpamTrash, by labelIds, or by the query.
            var spamTrashAllowed = includeSpamTrash || labelIds.Contains(GmailLabels.Spam) || labelIds.Contains(GmailLabels.Trash) || query?.MentionsSpamOrTrash == true;
            var matches = box.Messages
                .Where(m => labelIds.All(m.Labels.Contains))
                .Where(m => spamTrashAllowed || !(m.Labels.Contains(GmailLabels.Spam) || m.Labels.Contains(GmailLabels.Trash)))
                .Where(m => query is null || query.Matches(m))
                .OrderByDescending(m => m.InternalDateMs).ThenByDescending(m => m.Id, StringComparer.Ordinal)
                .ToList();
            var from = 0;
            if (position is not null)
            {
                var index = matches.FindIndex(m => SortKey(m) == position);
                from = index < 0 ? matches.FindIndex(m => string.CompareOrdinal(SortKey(m), position) < 0) : index + 1;
                from = from < 0 ? matches.Count : from;
            }

            var page = matches.Skip(from).Take(max).ToList();
            var json = new JsonObject();
            if (page.Count > 0)
            {
                json["messages"] = new JsonArray([.. page.Select(m => (JsonNode)GmailJson.Reference(m, withLabels: false))]);
            }

            if (from + page.Count < matches.Count)
            {
                json["nextPageToken"] = PageToken(fingerprint, SortKey(page[^1]));
            }

            json["resultSizeEstimate"] = matches.Count;
            return GmailResponse.Ok(json);
        });
    }

    private GmailResponse GetMessage(Call call, string id)
    {
        var q = call.Request.Query;
        var format = (Single(q, "format") ?? "full").ToLowerInvariant();
        if (!Formats.Contains(format))
        {
            throw GmailApiError.InvalidArgument($"Invalid value at 'format' (type.googleapis.com/caribou.api.proto.MessageFormat), \"{Single(q, "format")}\"");
        }

        if (format is "full" or "raw" && call.Scopes.Contains(GmailMethod.MetadataScope))
        {
            // A grant that includes gmail.metadata is held to it, even beside broader scopes.
            throw GmailApiError.Forbidden($"Metadata scope doesn't allow format {format.ToUpperInvariant()}");
        }

        var headers = format == "metadata" && q.TryGetValue("metadataHeaders", out var names) ? names.Where(n => n is not null).Select(n => n!).ToList() : [];
        return GmailResponse.Ok(store.Read(call.Mailbox, box => GmailJson.Message(Existing(box, id), format, headers)));
    }

    private GmailResponse GetAttachment(Call call, string messageId, string attachmentId) => GmailResponse.Ok(store.Read(call.Mailbox, box =>
    {
        var message = Existing(box, messageId);
        if (GmailJson.ParseAttachmentId(attachmentId) is not { } reference || reference.MessageId != message.Id
            || message.Parsed.Payload.Find(reference.PartId) is not { IsAttachment: true } part)
        {
            throw GmailApiError.BadRequest("Invalid attachment token");
        }

        return GmailJson.Body(part.Body ?? []);
    }));

    private async Task<GmailResponse> InsertAsync(Call call, bool importing, bool upload)
    {
        var q = call.Request.Query;
        var dateSource = Single(q, "internalDateSource") ?? (importing ? "dateHeader" : "receivedTime");
        if (dateSource is not ("dateHeader" or "receivedTime"))
        {
            throw GmailApiError.InvalidArgument($"Invalid value at 'internal_date_source', \"{dateSource}\"");
        }

        var (raw, metadata) = upload ? await ReadUploadAsync(call.Request) : (null, JsonBody(call.Request));
        if (raw is null && Text(metadata?["raw"], "message.raw") is { } rawText)
        {
            raw = GmailJson.FromBase64(rawText) ?? throw GmailApiError.BadRequest("Invalid value at 'message.raw' (TYPE_BYTES), Base64 decoding failed");
        }

        if (raw is null || raw.Length == 0)
        {
            throw GmailApiError.BadRequest("'raw' RFC822 payload message string or uploading message via /upload/* URL required");
        }

        if (raw.Length > MaxMessageBytes)
        {
            throw new GmailApiError(413, "OUT_OF_RANGE", "uploadTooLarge", "Message too large.");
        }

        var labels = Strings(metadata?["labelIds"]);
        var threadId = Text(metadata?["threadId"], "message.thread_id");
        if (labels.Contains(GmailLabels.Draft))
        {
            throw GmailApiError.BadRequest("Invalid label: DRAFT");
        }

        return store.Write(call.Mailbox, (box, records) =>
        {
            var (message, record) = box.Add(raw, labels, internalDateMs: null, threadId, dateFromHeader: dateSource == "dateHeader");
            records.Add(record);
            return GmailResponse.Ok(GmailJson.Reference(message, withLabels: true));
        });
    }

    private GmailResponse ModifyMessage(Call call, string id)
    {
        var body = JsonBody(call.Request) ?? new JsonObject();
        var add = Strings(body["addLabelIds"]);
        var remove = Strings(body["removeLabelIds"]);
        if (add.Count > 100 || remove.Count > 100)
        {
            throw GmailApiError.InvalidArgument("You can add or remove up to 100 labels with each update.");
        }

        return store.Write(call.Mailbox, (box, records) =>
        {
            var message = Existing(box, id);
            if (box.ChangeLabels(message, add, remove) is { } record)
            {
                records.Add(record);
            }

            return GmailResponse.Ok(GmailJson.Reference(message, withLabels: true));
        });
    }

    private GmailResponse BatchModify(Call call)
    {
        var body = JsonBody(call.Request) ?? new JsonObject();
        var ids = Strings(body["ids"]);
        if (ids.Count == 0)
        {
            throw GmailApiError.InvalidArgument("ids must be specified");
        }

        if (ids.Count > 1000)
        {
            throw GmailApiError.InvalidArgument("Number of ids cannot exceed 1000");
        }

        var add = Strings(body["addLabelIds"]);
        var remove = Strings(body["removeLabelIds"]);
        return store.Write(call.Mailbox, (box, records) =>
        {
            foreach (var message in ids.Select(box.Find).OfType<StoredMessage>())
            {
                if (box.ChangeLabels(message, add, remove) is { } record)
                {
                    records.Add(record);
                }
            }

            return GmailResponse.NoContent;
        });
    }

    private GmailResponse MoveToTrash(Call call, string id, bool trash) => store.Write(call.Mailbox, (box, records) =>
    {
        var message = Existing(box, id);
        var record = trash ? box.ChangeLabels(message, [GmailLabels.Trash], []) : box.ChangeLabels(message, [], [GmailLabels.Trash]);
        if (record is not null)
        {
            records.Add(record);
        }

        return GmailResponse.Ok(GmailJson.Reference(message, withLabels: true));
    });

    private GmailResponse DeleteMessage(Call call, string id) => store.Write(call.Mailbox, (box, records) =>
    {
        records.Add(box.Remove(Existing(box, id)));
        return GmailResponse.NoContent;
    });

    // ---- helpers ---------------------------------------------------------------------------------------

    private static StoredMessage Existing(Mailbox box, string id)
    {
        if (!MessageIdPattern().IsMatch(id))
        {
            throw GmailApiError.BadRequest("Invalid id value");
        }

        return box.Find(id) ?? throw GmailApiError.NotFound();
    }

    /// <summary>uploadType=media (the message itself) or multipart (JSON metadata, then the message).</summary>
    private static async Task<(byte[]? Raw, JsonObject? Metadata)> ReadUploadAsync(GmailRequest request)
    {
        var uploadType = Single(request.Query, "uploadType");
        if (uploadType == "media")
        {
            return (request.Body, null);
        }

        if (uploadType != "multipart")
        {
            throw GmailApiError.BadRequest("Upload requests must include an uploadType URL parameter of media or multipart.");
        }

        var boundary = request.ContentType is { } contentType && Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media)
            ? Microsoft.Net.Http.Headers.HeaderUtilities.RemoveQuotes(media.Boundary).Value
            : null;
        if (string.IsNullOrEmpty(boundary))
        {
            throw GmailApiError.BadRequest("A multipart upload needs a multipart/related body with a boundary.");
        }

        var reader = new MultipartReader(boundary, new MemoryStream(request.Body));
        var metadataSection = await reader.ReadNextSectionAsync() ?? throw GmailApiError.BadRequest("The multipart upload has no metadata part.");
        var metadata = JsonNode.Parse(await new StreamReader(metadataSection.Body, Encoding.UTF8).ReadToEndAsync()) as JsonObject;
        var media2 = await reader.ReadNextSectionAsync() ?? throw GmailApiError.BadRequest("The multipart upload has no media part.");
        using var buffer = new MemoryStream();
        await media2.Body.CopyToAsync(buffer);
        return (buffer.ToArray(), metadata);
    }

    private static JsonObject? JsonBody(GmailRequest request) =>
        request.Body.Length == 0 ? null : JsonNode.Parse(request.Body) as JsonObject ?? throw GmailApiError.BadRequest("Invalid JSON payload received.");

    private static List<string> Strings(JsonNode? node) => node switch
    {
        null => [],
        JsonArray array => [.. array.Select(v => Text(v, "list item") ?? string.Empty).Where(v => v.Length > 0)],
        _ => throw GmailApiError.BadRequest("Invalid JSON payload received: expected a list of strings."),
    };

    /// <summary>A JSON string field, or null when absent; another JSON type is Google's 400, never a crash.</summary>
    private static string? Text(JsonNode? node, string field) => node switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        _ => throw GmailApiError.BadRequest($"Invalid value at '{field}' (TYPE_STRING), {node.ToJsonString()}"),
    };

    private static string? Single(Dictionary<string, StringValues> query, string name) =>
        query.TryGetValue(name, out var values) && values.Count > 0 && !string.IsNullOrEmpty(values[^1]) ? values[^1] : null;

    private static int PageSize(Dictionary<string, StringValues> query)
    {
        var value = Single(query, "maxResults");
        if (value is null)
        {
            return DefaultPageSize;
        }

        if (!uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            throw GmailApiError.InvalidArgument($"Invalid value at 'max_results' (TYPE_UINT32), \"{value}\"");
        }

        // 0 means "not set"; above the maximum Gmail serves the maximum.
        return size == 0 ? DefaultPageSize : (int)Math.Min(size, MaxPageSize);
    }

    private static bool ParseBool(string? value, string name) => value?.ToLowerInvariant() switch
    {
        null => false,
        "true" => true,
        "false" => false,
        _ => throw GmailApiError.InvalidArgument($"Invalid value at '{name}' (TYPE_BOOL), \"{value}\""),
    };

    private static string SortKey(StoredMessage m) => m.InternalDateMs.ToString("D19", CultureInfo.InvariantCulture) + ":" + m.Id;

    private static string Fingerprint(params string?[] parts) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u001f', parts))))[..16];

    private static string PageToken(string fingerprint, string position) => GmailJson.Base64Url(Encoding.UTF8.GetBytes(fingerprint + "|" + position)).TrimEnd('=');

    /// <summary>Where the previous page ended, or null for the first page; a token from another query is a 400.</summary>
    private static string? PageTokenPosition(string? token, string fingerprint)
    {
        if (token is null)
        {
            return null;
        }

        var decoded = GmailJson.FromBase64(token) is { } bytes ? Encoding.UTF8.GetString(bytes).Split('|', 2) : [];
        if (decoded.Length != 2 || decoded[0] != fingerprint)
        {
            throw GmailApiError.BadRequest("Invalid pageToken");
        }

        return decoded[1];
    }

    [System.Text.RegularExpressions.GeneratedRegex("^projects/[^/]+/topics/[^/]+$")]
    private static partial System.Text.RegularExpressions.Regex TopicPattern();

    [System.Text.RegularExpressions.GeneratedRegex("^[0-9a-fA-F]{1,32}$")]
    private static partial System.Text.RegularExpressions.Regex MessageIdPattern();

    private sealed record GmailRoute(GmailMethod Method, string UserId, Func<Call, CancellationToken, Task<GmailResponse>> Handler);

    private sealed record Call(GmailRequest Request, Mailbox Mailbox, IReadOnlyCollection<string> Scopes);
}
