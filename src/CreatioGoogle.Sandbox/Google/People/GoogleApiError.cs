using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace CreatioGoogle.Sandbox.Google.People;

/// <summary>
/// A Google API (google.rpc.Status) error as JSON: <c>{"error":{"code","message","status","details":[...]}}</c>.
/// Thrown inside handlers and written by the dispatcher, so validation code reads top to bottom.
/// </summary>
internal sealed class GoogleApiError(int code, string status, string message, JsonArray? details = null, TimeSpan? retryAfter = null)
    : Exception(message)
{
    private const string ErrorInfoType = "type.googleapis.com/google.rpc.ErrorInfo";

    public int Code { get; } = code;

    public string Status { get; } = status;

    public TimeSpan? RetryAfter { get; } = retryAfter;

    public static GoogleApiError InvalidArgument(string message) => new(400, "INVALID_ARGUMENT", message);

    public static GoogleApiError NotFound(string message) => new(404, "NOT_FOUND", message);

    public static GoogleApiError FailedPrecondition(string message, string? reason = null) =>
        new(400, "FAILED_PRECONDITION", message, reason is null ? null : new JsonArray(ErrorInfo(reason)));

    /// <summary>No or unknown bearer token: 401 like Google, with the ErrorInfo reason it sends.</summary>
    public static GoogleApiError Unauthenticated(bool missing) => new(401, "UNAUTHENTICATED",
        missing
            ? "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
            : "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
        new JsonArray(ErrorInfo(missing ? "CREDENTIALS_MISSING" : "ACCESS_TOKEN_EXPIRED")));

    public static GoogleApiError ScopeInsufficient(string method) => new(403, "PERMISSION_DENIED",
        "Request had insufficient authentication scopes.",
        new JsonArray(ErrorInfo("ACCESS_TOKEN_SCOPE_INSUFFICIENT", method)));

    /// <summary>The throttling body observed from People (facts §1.4).</summary>
    public static GoogleApiError ResourceExhausted(TimeSpan? retryAfter) => new(429, "RESOURCE_EXHAUSTED",
        "Resource has been exhausted (e.g. check quota).",
        new JsonArray(new JsonObject
        {
            ["@type"] = "type.googleapis.com/google.rpc.QuotaFailure",
            ["violations"] = new JsonArray(new JsonObject
            {
                ["subject"] = "sandbox-project",
                ["description"] = "Critical read requests (Contact and Profile Reads) per minute per user",
            }),
        }),
        retryAfter);

    public static GoogleApiError ForInjected(int statusCode, TimeSpan? retryAfter) => statusCode switch
    {
        429 => ResourceExhausted(retryAfter),
        500 => new(500, "INTERNAL", "Internal error encountered.", retryAfter: retryAfter),
        503 => new(503, "UNAVAILABLE", "The service is currently unavailable.", retryAfter: retryAfter),
        409 => new(409, "ABORTED", "The operation was aborted.", retryAfter: retryAfter),
        _ => new(statusCode, "UNKNOWN", "Injected failure.", retryAfter: retryAfter),
    };

    public Task WriteAsync(HttpContext ctx)
    {
        var r = ctx.Response;
        r.StatusCode = Code;
        r.ContentType = "application/json; charset=UTF-8";
        if (RetryAfter is { } after)
        {
            r.Headers.RetryAfter = ((int)Math.Ceiling(after.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        if (Code == 401)
        {
            r.Headers.WWWAuthenticate = "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"";
        }

        var error = new JsonObject { ["code"] = Code, ["message"] = Message, ["status"] = Status };
        if (details is not null)
        {
            error["details"] = details.DeepClone();
        }

        return r.WriteAsync(new JsonObject { ["error"] = error }.ToJsonString(), ctx.RequestAborted);
    }

    private static JsonObject ErrorInfo(string reason, string? method = null)
    {
        var metadata = new JsonObject { ["service"] = "people.googleapis.com" };
        if (method is not null)
        {
            metadata["method"] = "google.people.v1.PeopleService." + method;
        }

        return new JsonObject
        {
            ["@type"] = ErrorInfoType,
            ["reason"] = reason,
            ["domain"] = "googleapis.com",
            ["metadata"] = metadata,
        };
    }
}
