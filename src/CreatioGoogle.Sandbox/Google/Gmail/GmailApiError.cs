using System.Globalization;
using System.Text.Json.Nodes;

namespace CreatioGoogle.Sandbox.Google.Gmail;

/// <summary>
/// A Gmail API error in the shape gmail.googleapis.com sends: the v1 <c>errors[]</c> list (domain, reason, message)
/// beside google.rpc.Status's <c>status</c> and <c>details</c>. Thrown inside handlers, rendered by the dispatcher,
/// so a handler's validation reads top to bottom. Reasons and messages follow Google's "Resolve errors" guide and
/// bodies observed in public issue threads.
/// </summary>
internal sealed class GmailApiError(int code, string status, string reason, string message, string domain = "global", JsonArray? details = null)
    : Exception(message)
{
    private const string Service = "gmail.googleapis.com";

    public int Code { get; } = code;

    public string Status { get; } = status;

    public string Reason { get; } = reason;

    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The v1 error item's <c>extendedHelp</c> link, which Google adds to some errors (accessNotConfigured).</summary>
    public string? ExtendedHelp { get; init; }

    public static GmailApiError BadRequest(string message) => new(400, "INVALID_ARGUMENT", "badRequest", message);

    public static GmailApiError InvalidArgument(string message) => new(400, "INVALID_ARGUMENT", "invalidArgument", message);

    public static GmailApiError FailedPrecondition(string message) => new(400, "FAILED_PRECONDITION", "failedPrecondition", message);

    public static GmailApiError NotFound() => new(404, "NOT_FOUND", "notFound", "Requested entity was not found.");

    public static GmailApiError Forbidden(string message) => new(403, "PERMISSION_DENIED", "forbidden", message);

    public static GmailApiError Unauthenticated(bool missing) => missing
        ? new(401, "UNAUTHENTICATED", "required",
            "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
            details: new JsonArray(ErrorInfo("CREDENTIALS_MISSING", null)))
        : new(401, "UNAUTHENTICATED", "authError",
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
            details: new JsonArray(ErrorInfo("ACCESS_TOKEN_EXPIRED", null)));

    public static GmailApiError InsufficientScopes(string method) => new(403, "PERMISSION_DENIED", "insufficientPermissions",
        "Request had insufficient authentication scopes.",
        details: new JsonArray(ErrorInfo("ACCESS_TOKEN_SCOPE_INSUFFICIENT", new JsonObject
        {
            ["method"] = "caribou.api.proto.MailboxService." + method,
            ["service"] = Service,
        })));

    /// <summary>The project behind the OAuth client has not enabled the Gmail API (or disabled it).</summary>
    public static GmailApiError ServiceDisabled(string projectNumber)
    {
        var activationUrl = $"https://console.developers.google.com/apis/api/gmail.googleapis.com/overview?project={projectNumber}";
        var message = $"Gmail API has not been used in project {projectNumber} before or it is disabled. Enable it by visiting {activationUrl} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.";
        return new(403, "PERMISSION_DENIED", "accessNotConfigured", message, "usageLimits", new JsonArray(
            ErrorInfo("SERVICE_DISABLED", new JsonObject
            {
                ["service"] = Service,
                ["consumer"] = "projects/" + projectNumber,
                ["activationUrl"] = activationUrl,
                ["serviceTitle"] = "Gmail API",
                ["containerInfo"] = projectNumber,
            }),
            new JsonObject { ["@type"] = "type.googleapis.com/google.rpc.LocalizedMessage", ["locale"] = "en-US", ["message"] = message },
            new JsonObject
            {
                ["@type"] = "type.googleapis.com/google.rpc.Help",
                ["links"] = new JsonArray(new JsonObject { ["description"] = "Google developers console API activation", ["url"] = activationUrl }),
            }))
        { ExtendedHelp = "https://console.developers.google.com" };
    }

    /// <summary>
    /// Per-user quota (15,000 units per user per minute) exceeded. Gmail answers 429 <c>rateLimitExceeded</c> with the
    /// quota metric in an ErrorInfo, and older paths 403 <c>userRateLimitExceeded</c> (facts §3.4); both are retryable.
    /// </summary>
    public static GmailApiError UserRateLimit(int statusCode, string projectNumber, int limit, TimeSpan? retryAfter) => statusCode == 403
        ? new(403, "PERMISSION_DENIED", "userRateLimitExceeded",
            "User Rate Limit Exceeded. Rate of requests for user exceed configured project quota. You may consider re-evaluating expected per-user traffic to the API and adjust project quota limits accordingly.",
            "usageLimits") { RetryAfter = retryAfter }
        : new(429, "RESOURCE_EXHAUSTED", "rateLimitExceeded",
            $"Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service '{Service}' for consumer 'project_number:{projectNumber}'.",
            "global", new JsonArray(ErrorInfo("RATE_LIMIT_EXCEEDED", new JsonObject
            {
                ["service"] = Service,
                ["consumer"] = "projects/" + projectNumber,
                ["quota_metric"] = "gmail.googleapis.com/default",
                ["quota_limit"] = "DefaultPerMinutePerUser",
                ["quota_limit_value"] = limit.ToString(CultureInfo.InvariantCulture),
                ["quota_location"] = "global",
            })))
        { RetryAfter = retryAfter };

    /// <summary>A failure a test asked for: throttling in Gmail's shapes, outages as Google's front end reports them.</summary>
    public static GmailApiError ForInjected(int statusCode, string projectNumber, TimeSpan? retryAfter) => statusCode switch
    {
        429 or 403 => UserRateLimit(statusCode, projectNumber, 15_000, retryAfter),
        500 => new(500, "INTERNAL", "backendError", "Internal error encountered.") { RetryAfter = retryAfter },
        503 => new(503, "UNAVAILABLE", "backendError", "The service is currently unavailable.") { RetryAfter = retryAfter },
        _ => new(statusCode, "UNKNOWN", "unknown", "Injected failure.") { RetryAfter = retryAfter },
    };

    public JsonObject ToJson()
    {
        var error = new JsonObject
        {
            ["code"] = Code,
            ["message"] = Message,
            ["errors"] = new JsonArray(ErrorItem()),
            ["status"] = Status,
        };
        if (details is not null)
        {
            error["details"] = details.DeepClone();
        }

        return new JsonObject { ["error"] = error };
    }

    private JsonObject ErrorItem()
    {
        var item = new JsonObject { ["message"] = Message, ["domain"] = domain, ["reason"] = Reason };
        if (ExtendedHelp is not null)
        {
            item["extendedHelp"] = ExtendedHelp;
        }

        return item;
    }

    private static JsonObject ErrorInfo(string reason, JsonObject? metadata) => new()
    {
        ["@type"] = "type.googleapis.com/google.rpc.ErrorInfo",
        ["reason"] = reason,
        ["domain"] = "googleapis.com",
        ["metadata"] = metadata ?? new JsonObject { ["service"] = Service },
    };
}
