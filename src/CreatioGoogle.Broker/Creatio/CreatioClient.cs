using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace CreatioGoogle.Broker.Creatio;

/// <summary>Creatio's OData 4 data for one tenant: paged reads, reads by id, and batched writes.</summary>
public interface ICreatioClient
{
    string TenantId { get; }

    /// <summary>The collection page by page (<c>$top</c>/<c>$skip</c> over a total order), until a short page.</summary>
    IAsyncEnumerable<CreatioPage> QueryPagesAsync(CreatioQuery query, CancellationToken cancellationToken);

    /// <summary>One row, or null when Creatio answers 404.</summary>
    Task<JsonObject?> GetByIdAsync(string collection, Guid id, IReadOnlyList<string>? select, CancellationToken cancellationToken);

    /// <summary>
    /// The operations in <c>$batch</c> requests of at most <see cref="CreatioOptions.BatchSize"/>, each with
    /// <c>Prefer: continue-on-error</c>, so one bad item does not stop the others. Results are in input order.
    /// </summary>
    Task<IReadOnlyList<CreatioBatchResult>> ExecuteBatchAsync(IReadOnlyList<CreatioBatchOperation> operations, CancellationToken cancellationToken);
}

/// <summary>Clients per tenant; sessions and tokens are shared by all clients of one tenant.</summary>
public interface ICreatioClientFactory
{
    /// <summary>Throws <see cref="InvalidOperationException"/> when the tenant has no <c>CreatioUrl</c>.</summary>
    ICreatioClient ForTenant(string tenantId);
}

internal sealed class CreatioClient(
    string tenantId, Uri site, CreatioOptions options, Func<HttpClient> http, CreatioAuthenticator authenticator, ILogger logger)
    : ICreatioClient
{
    // As Creatio's OData 4 reference shows them (facts §4.2).
    private const string JsonContentType = "application/json; charset=utf-8; IEEE754Compatible=true";

    // As Creatio's batch examples send them (academy.creatio.com ... /batch_request_examples).
    private const string BatchContentType = "application/json; odata=verbose; IEEE754Compatible=true";
    private const string ContinueOnError = "continue-on-error";

    private readonly Uri _odataRoot = new(site, options.ODataPath.Trim('/') + "/");

    public string TenantId { get; } = tenantId;

    public async IAsyncEnumerable<CreatioPage> QueryPagesAsync(CreatioQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var pageSize = query.PageSize ?? options.PageSize;
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1, nameof(query.PageSize));

        var parameters = new List<string>();
        if (!string.IsNullOrWhiteSpace(query.Filter))
        {
            parameters.Add("$filter=" + Uri.EscapeDataString(query.Filter));
        }

        if (query.Select is { Count: > 0 } select)
        {
            // Paging needs Id in the rows' identity anyway; asking for it costs nothing.
            parameters.Add("$select=" + Uri.EscapeDataString(string.Join(',', select.Contains("Id") ? select : ["Id", .. select])));
        }

        if (!string.IsNullOrWhiteSpace(query.Expand))
        {
            parameters.Add("$expand=" + Uri.EscapeDataString(query.Expand));
        }

        parameters.Add("$orderby=" + Uri.EscapeDataString(TotalOrder(query.OrderBy)));
        var prefix = Uri.EscapeDataString(query.Collection) + "?" + string.Join('&', parameters);

        for (var number = 0; ; number++)
        {
            var skip = checked(number * pageSize);
            var url = string.Create(CultureInfo.InvariantCulture, $"{prefix}&$top={pageSize}&$skip={skip}");
            using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, new Uri(_odataRoot, url)), cancellationToken);
            var body = await ReadSuccessAsync(response, "query " + query.Collection, cancellationToken);
            var rows = (body?["value"] as JsonArray ?? throw new CreatioRequestException((int)response.StatusCode,
                    $"Creatio's answer to a query of {query.Collection} has no 'value' array."))
                .OfType<JsonObject>().Select(r => (JsonObject)r.DeepClone()).ToList();
            yield return new CreatioPage(number, skip, rows);
            if (rows.Count < pageSize)
            {
                yield break;
            }
        }
    }

    public async Task<JsonObject?> GetByIdAsync(string collection, Guid id, IReadOnlyList<string>? select, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(collection);
        var url = $"{Uri.EscapeDataString(collection)}({id:D})";
        if (select is { Count: > 0 })
        {
            url += "?$select=" + Uri.EscapeDataString(string.Join(',', select));
        }

        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, new Uri(_odataRoot, url)), cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var body = await ReadSuccessAsync(response, $"read {collection}({id})", cancellationToken);
        body?.Remove("@odata.context");
        return body;
    }

    public async Task<IReadOnlyList<CreatioBatchResult>> ExecuteBatchAsync(
        IReadOnlyList<CreatioBatchOperation> operations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var results = new List<CreatioBatchResult>(operations.Count);
        foreach (var chunk in operations.Chunk(options.BatchSize))
        {
            results.AddRange(await ExecuteChunkAsync(chunk, cancellationToken));
        }

        return results;
    }

    private async Task<IReadOnlyList<CreatioBatchResult>> ExecuteChunkAsync(CreatioBatchOperation[] chunk, CancellationToken ct)
    {
        // JSON batch format (Creatio 7.16.1+): {"requests":[{id,method,url,headers,body}]}. Item urls are relative to
        // the OData root; Creatio's examples address a row as Collection/{id}.
        var requests = new JsonArray();
        for (var i = 0; i < chunk.Length; i++)
        {
            var op = chunk[i];
            var item = new JsonObject
            {
                ["id"] = (i + 1).ToString(CultureInfo.InvariantCulture),
                ["method"] = op.Method switch
                {
                    CreatioBatchMethod.Create => "POST",
                    CreatioBatchMethod.Update => "PATCH",
                    _ => "DELETE",
                },
                ["url"] = op.Method == CreatioBatchMethod.Create ? op.Collection : $"{op.Collection}/{op.Id:D}",
                ["headers"] = new JsonObject
                {
                    ["Content-Type"] = "application/json;odata=verbose",
                    ["Accept"] = "application/json;odata=verbose",
                    ["Prefer"] = ContinueOnError,
                },
            };
            if (op.Body is not null)
            {
                item["body"] = op.Body.DeepClone();
            }

            requests.Add(item);
        }

        var payload = new JsonObject { ["requests"] = requests }.ToJsonString();

        // A batch is a POST: the resilience pipeline does not retry it. Re-sending after a 401 is safe because
        // Creatio ran nothing; otherwise the caller decides (creates carry their Ids, so a re-run cannot duplicate).
        using var response = await SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_odataRoot, "$batch"))
            {
                Content = new StringContent(payload, Encoding.UTF8),
            };
            request.Content.Headers.Remove("Content-Type");
            request.Content.Headers.TryAddWithoutValidation("Content-Type", BatchContentType);
            request.Headers.TryAddWithoutValidation("Prefer", ContinueOnError);
            return request;
        }, ct);

        var body = await ReadSuccessAsync(response, "$batch", ct);
        var answers = (body?["responses"] as JsonArray)?.OfType<JsonObject>()
            .Where(r => r["id"] is not null)
            .GroupBy(r => r["id"]!.ToString(), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal) ?? [];

        var results = new CreatioBatchResult[chunk.Length];
        for (var i = 0; i < chunk.Length; i++)
        {
            var op = chunk[i];
            if (!answers.TryGetValue((i + 1).ToString(CultureInfo.InvariantCulture), out var answer))
            {
                results[i] = new(op, 0, op.Id, null, "Creatio did not run this operation (an earlier one in the batch failed).");
                continue;
            }

            var status = answer["status"] is JsonValue s && s.TryGetValue<int>(out var n) ? n : 0;
            var entity = answer["body"] as JsonObject;
            var ok = status is >= 200 and < 300;
            var entityId = ok && entity?.GetGuid("Id") is { } id && id != Guid.Empty ? id : op.Id;
            results[i] = new(op, status, entityId, ok ? entity : null, ok ? null : ErrorText(answer["body"]) ?? $"HTTP {status}");
        }

        var failed = results.Count(r => !r.Succeeded);
        if (failed > 0)
        {
            logger.LogWarning("Creatio $batch for tenant {TenantId}: {Failed} of {Count} operations failed", TenantId, failed, chunk.Length);
        }

        return results;
    }

    /// <summary>Sends with credentials; on 401 (session expired, token revoked) signs in again once and resends.</summary>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> build, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var request = build();
            request.Headers.Accept.ParseAdd("application/json");
            if (request.Content is not null && request.Content.Headers.ContentType is null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", JsonContentType);
            }

            var credential = await authenticator.ApplyAsync(request, ct);
            var response = await http().SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if (!IsSignedOut(response))
            {
                return response;
            }

            response.Dispose();
            authenticator.Invalidate(credential);
            if (attempt == 2)
            {
                throw new CreatioAuthenticationException(
                    $"Creatio for tenant '{TenantId}' answered 401 even right after signing in again: the integration user or " +
                    "application may be disabled, or the site expects another authentication mode (Creatio__AuthMode).");
            }

            logger.LogInformation("Creatio session for tenant {TenantId} expired; signing in again", TenantId);
        }
    }

    // Forms-authenticated sites may redirect an expired session to the login page instead of answering 401.
    private static bool IsSignedOut(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.Unauthorized
        || ((int)response.StatusCode is 301 or 302 or 303 or 307
            && response.Headers.Location?.ToString().Contains("Login", StringComparison.OrdinalIgnoreCase) == true);

    private static async Task<JsonObject?> ReadSuccessAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        JsonNode? body = null;
        var text = await response.Content.ReadAsStringAsync(ct);
        if (text.Length > 0)
        {
            try
            {
                body = JsonNode.Parse(text);
            }
            catch (JsonException) when (!response.IsSuccessStatusCode)
            {
                body = JsonValue.Create(text.Length > 500 ? text[..500] : text);
            }
        }

        if (!response.IsSuccessStatusCode)
        {
            var status = (int)response.StatusCode;
            var detail = ErrorText(body) ?? response.ReasonPhrase ?? "no details";
            throw new CreatioRequestException(status, status == 403
                ? $"Creatio refused to {what} (403): the integration user lacks permission. {detail}"
                : $"Creatio failed to {what}: HTTP {status}: {detail}");
        }

        return body as JsonObject;
    }

    /// <summary>Creatio's OData error text: <c>{"error":{"message"}}</c>, or a plain string body.</summary>
    private static string? ErrorText(JsonNode? body) => body switch
    {
        JsonObject o when o["error"] is JsonObject e => e["message"]?.ToString() is { Length: > 0 } m ? m : e.ToJsonString(),
        JsonObject o when o["Message"] is { } m => m.ToString(),
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        null => null,
        _ => body.ToJsonString(),
    };

    /// <summary><c>$skip</c> paging is only stable over a unique order: end it with Id when the caller did not.</summary>
    internal static string TotalOrder(string orderBy)
    {
        var clauses = orderBy.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
        if (!clauses.Any(c => c.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0] == "Id"))
        {
            clauses.Add("Id asc");
        }

        return string.Join(',', clauses);
    }
}
