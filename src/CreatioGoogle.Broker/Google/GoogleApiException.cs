using System.Net;
using System.Text.Json;

namespace CreatioGoogle.Broker.Google;

/// <summary>
/// Any Google API's error answer, for every client on the pipeline (People, Calendar, Gmail). Google answers in two
/// shapes, and both are read into one list of <see cref="Reasons"/>:
/// <list type="bullet">
/// <item>google.rpc (People): <c>{"error":{"code","message","status":"FAILED_PRECONDITION","details":[{"@type":"…ErrorInfo","reason":"EXPIRED_SYNC_TOKEN"}]}}</c></item>
/// <item>legacy (Calendar, Gmail): <c>{"error":{"code","message","errors":[{"domain","reason":"fullSyncRequired","message"}]}}</c></item>
/// </list>
/// The message never holds the request's URL: query strings carry sync and page tokens.
/// </summary>
public class GoogleApiException : Exception
{
    /// <summary>Reasons Google uses for "slow down", on 403 as well as 429 (Calendar/Gmail usage limits, facts §2.4).</summary>
    private static readonly HashSet<string> RateLimitReasons = new(StringComparer.Ordinal)
    {
        "rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED",
    };

    /// <summary>Error bodies are read up to this size; a proxy's HTML page or worse is not read whole.</summary>
    internal const int MaxErrorBodyBytes = 64 * 1024;

    public GoogleApiException()
        : this("Google API call failed.")
    {
    }

    public GoogleApiException(string message)
        : base(message)
    {
        Reasons = [];
    }

    public GoogleApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reasons = [];
    }

    public GoogleApiException(HttpStatusCode statusCode, string? status, IReadOnlyList<string> reasons, string message, TimeSpan? retryAfter, string? operation = null)
        : base(message)
    {
        ArgumentNullException.ThrowIfNull(reasons);
        StatusCode = statusCode;
        Status = status;
        Reasons = reasons;
        RetryAfter = retryAfter;
        Operation = operation;
    }

    public HttpStatusCode StatusCode { get; }

    /// <summary>google.rpc code name (<c>error.status</c>), e.g. FAILED_PRECONDITION, RESOURCE_EXHAUSTED; null in the legacy shape when absent.</summary>
    public string? Status { get; }

    /// <summary>Every <c>error.errors[].reason</c> and <c>error.details[].reason</c>, in the order Google sent them.</summary>
    public IReadOnlyList<string> Reasons { get; }

    /// <summary>The first reason, e.g. EXPIRED_SYNC_TOKEN, fullSyncRequired, conditionNotMet.</summary>
    public string? Reason => Reasons.Count > 0 ? Reasons[0] : null;

    /// <summary>Google's Retry-After, for callers that wait themselves (writes are never retried by the pipeline).</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>The API method that failed, e.g. <c>people.connections.list</c>, when the client named it.</summary>
    public string? Operation { get; }

    public bool HasReason(string reason) => Reasons.Contains(reason, StringComparer.Ordinal);

    /// <summary>Google asks to slow down: 429, or 403 with a rate-limit reason. Not <c>quotaExceeded</c>: that one lasts hours.</summary>
    public bool IsRateLimited => StatusCode == HttpStatusCode.TooManyRequests
        || (StatusCode == HttpStatusCode.Forbidden && Reasons.Any(RateLimitReasons.Contains));

    internal static bool IsRateLimitReason(string reason) => RateLimitReasons.Contains(reason);

    /// <summary>Reads an error response (size-capped) into the exception; a body that is not Google's JSON leaves only the status.</summary>
    internal static async Task<GoogleApiException> FromResponseAsync(HttpResponseMessage response, string? operation, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var (status, reasons, message) = await ReadErrorAsync(response, cancellationToken);
        var retryAfter = RetryAfterOf(response, clock);
        var what = operation ?? response.RequestMessage?.Method.Method ?? "call";
        var text = $"Google API {what} failed: {(int)response.StatusCode} {status} {string.Join(',', reasons)} {message}".TrimEnd();
        return new GoogleApiException(response.StatusCode, status, reasons, text, retryAfter, operation);
    }

    /// <summary>Google's error fields from a body; empty when it is not Google's JSON.</summary>
    internal static async Task<(string? Status, IReadOnlyList<string> Reasons, string? Message)> ReadErrorAsync(
        HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            // Buffered (re-readable: the retry stage may have read it already) up to the cap; a bigger body is not Google's error.
            await response.Content.LoadIntoBufferAsync(MaxErrorBodyBytes, cancellationToken);
            return Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken));
        }
        catch (Exception e) when (e is IOException or HttpRequestException or ObjectDisposedException)
        {
            return (null, [], null);
        }
    }

    private static (string? Status, IReadOnlyList<string> Reasons, string? Message) Parse(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object)
            {
                return (null, [], null);
            }

            var reasons = new List<string>();
            foreach (var list in (string[])["errors", "details"])
            {
                if (error.TryGetProperty(list, out var items) && items.ValueKind == JsonValueKind.Array)
                {
                    reasons.AddRange(items.EnumerateArray()
                        .Where(i => i.ValueKind == JsonValueKind.Object && i.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String)
                        .Select(i => i.GetProperty("reason").GetString()!)
                        .Where(r => r.Length > 0));
                }
            }

            return (Text(error, "status"), reasons.Distinct(StringComparer.Ordinal).ToList(), Text(error, "message"));
        }
        catch (JsonException)
        {
            // Not Google's JSON (a proxy page, a truncated body): the status code alone has to do.
            return (null, [], null);
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    internal static TimeSpan? RetryAfterOf(HttpResponseMessage response, TimeProvider clock) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - clock.GetUtcNow() is { } wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };
}
