using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace CreatioGoogle.Sandbox.Google.Calendar;

/// <summary>
/// A Calendar API error in the legacy shape the Calendar API still answers with
/// (developers.google.com/workspace/calendar/api/guides/errors):
/// <c>{"error":{"errors":[{"domain","reason","message","locationType","location"}],"code","message"}}</c>.
/// Authentication, scope and "API disabled" errors also carry <c>status</c> and google.rpc <c>details</c>, as Google's
/// front end adds them. Thrown inside handlers, written by <see cref="CalendarApi"/>.
/// </summary>
internal sealed class CalendarApiError : Exception
{
    private const string Service = "calendar-json.googleapis.com";

    private CalendarApiError(int code, string domain, string reason, string message, string? locationType = null, string? location = null)
        : base(message)
    {
        Code = code;
        Domain = domain;
        Reason = reason;
        LocationType = locationType;
        Location = location;
    }

    public int Code { get; }

    public string Domain { get; }

    public string Reason { get; }

    public string? LocationType { get; }

    public string? Location { get; }

    public string? Status { get; private init; }

    public JsonArray? Details { get; private init; }

    public TimeSpan? RetryAfter { get; private init; }

    public string? ExtendedHelp { get; private init; }

    public static CalendarApiError BadRequest(string message, string? parameter = null, string reason = "invalid") =>
        new(400, "global", reason, message, parameter is null ? null : "parameter", parameter);

    public static CalendarApiError Required(string message, string? parameter = null) =>
        new(400, "global", "required", message, parameter is null ? null : "parameter", parameter);

    public static CalendarApiError TimeRangeEmpty(string location) =>
        new(400, "calendar", "timeRangeEmpty", "The specified time range is empty.", "parameter", location);

    public static CalendarApiError NotFound() => new(404, "global", "notFound", "Not Found");

    public static CalendarApiError Duplicate() => new(409, "global", "duplicate", "The requested identifier already exists.");

    public static CalendarApiError Deleted() => new(410, "global", "deleted", "Resource has been deleted");

    // Google's guide shows domain "calendar" for both 410s; clients must branch on the reason.
    public static CalendarApiError FullSyncRequired() =>
        new(410, "calendar", "fullSyncRequired", "Sync token is no longer valid, a full sync is required.", "parameter", "syncToken");

    public static CalendarApiError UpdatedMinTooLongAgo() =>
        new(410, "calendar", "updatedMinTooLongAgo", "The requested minimum modification time lies too far in the past.", "parameter", "updatedMin");

    public static CalendarApiError ConditionNotMet() =>
        new(412, "global", "conditionNotMet", "Precondition Failed", "header", "If-Match");

    public static CalendarApiError Unauthenticated() =>
        new(401, "global", "authError", "Invalid Credentials", "header", "Authorization") { Status = "UNAUTHENTICATED" };

    public static CalendarApiError InsufficientScope(string method) =>
        new(403, "global", "insufficientPermissions", "Request had insufficient authentication scopes.")
        {
            Status = "PERMISSION_DENIED",
            Details = new JsonArray(ErrorInfo("ACCESS_TOKEN_SCOPE_INSUFFICIENT", new JsonObject
            {
                ["service"] = Service,
                ["method"] = "calendar.v3." + MethodName(method),
            })),
        };

    /// <summary>What a project without the Calendar API enabled gets: legacy accessNotConfigured plus the SERVICE_DISABLED ErrorInfo.</summary>
    public static CalendarApiError ServiceDisabled(string project)
    {
        var activation = $"https://console.developers.google.com/apis/api/{Service}/overview?project={project}";
        var message = $"Google Calendar API has not been used in project {project} before or it is disabled. Enable it by visiting {activation} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.";
        return new(403, "usageLimits", "accessNotConfigured", message)
        {
            Status = "PERMISSION_DENIED",
            ExtendedHelp = "https://console.developers.google.com",
            Details = new JsonArray(
                ErrorInfo("SERVICE_DISABLED", new JsonObject
                {
                    ["serviceTitle"] = "Google Calendar API",
                    ["containerInfo"] = project,
                    ["service"] = Service,
                    ["activationUrl"] = activation,
                    ["consumer"] = "projects/" + project,
                }),
                new JsonObject { ["@type"] = "type.googleapis.com/google.rpc.LocalizedMessage", ["locale"] = "en-US", ["message"] = message },
                new JsonObject
                {
                    ["@type"] = "type.googleapis.com/google.rpc.Help",
                    ["links"] = new JsonArray(new JsonObject { ["description"] = "Google developers console API activation", ["url"] = activation }),
                }),
        };
    }

    public static CalendarApiError ForFault(CalendarFault fault, TimeSpan? retryAfter) => fault switch
    {
        CalendarFault.RateLimitExceeded => new(403, "usageLimits", "rateLimitExceeded", "Rate Limit Exceeded") { RetryAfter = retryAfter },
        CalendarFault.UserRateLimitExceeded => new(403, "usageLimits", "userRateLimitExceeded", "User Rate Limit Exceeded") { RetryAfter = retryAfter },
        CalendarFault.TooManyRequests => new(429, "usageLimits", "rateLimitExceeded", "Rate Limit Exceeded") { RetryAfter = retryAfter },
        CalendarFault.QuotaExceeded => new(403, "usageLimits", "quotaExceeded", "Calendar usage limits exceeded.") { RetryAfter = retryAfter },
        CalendarFault.BackendError => new(500, "global", "backendError", "Backend Error") { RetryAfter = retryAfter },
        CalendarFault.ServiceUnavailable => new(503, "global", "backendError", "The service is currently unavailable.") { RetryAfter = retryAfter },
        _ => throw new ArgumentOutOfRangeException(nameof(fault)),
    };

    public JsonObject ToJson()
    {
        var item = new JsonObject { ["domain"] = Domain, ["reason"] = Reason, ["message"] = Message };
        if (LocationType is not null)
        {
            item["locationType"] = LocationType;
            item["location"] = Location;
        }

        if (ExtendedHelp is not null)
        {
            item["extendedHelp"] = ExtendedHelp;
        }

        var error = new JsonObject { ["errors"] = new JsonArray(item), ["code"] = Code, ["message"] = Message };
        if (Status is not null)
        {
            error["status"] = Status;
        }

        if (Details is not null)
        {
            error["details"] = Details.DeepClone();
        }

        return new JsonObject { ["error"] = error };
    }

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

        return r.WriteAsync(ToJson().ToJsonString(), ctx.RequestAborted);
    }

    private static JsonObject ErrorInfo(string reason, JsonObject metadata) => new()
    {
        ["@type"] = "type.googleapis.com/google.rpc.ErrorInfo",
        ["reason"] = reason,
        ["domain"] = "googleapis.com",
        ["metadata"] = metadata,
    };

    // "calendar.events.list" -> "Events.List", as Google names the RPC in ErrorInfo metadata.
    private static string MethodName(string method) =>
        string.Join('.', method.Split('.').Skip(1).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
}

/// <summary>Failures a test can inject into the Calendar API, in the shapes of Google's errors guide.</summary>
public enum CalendarFault
{
    /// <summary>403 usageLimits/rateLimitExceeded.</summary>
    RateLimitExceeded,

    /// <summary>403 usageLimits/userRateLimitExceeded.</summary>
    UserRateLimitExceeded,

    /// <summary>429 usageLimits/rateLimitExceeded.</summary>
    TooManyRequests,

    /// <summary>403 usageLimits/quotaExceeded ("Calendar usage limits exceeded"): back off for hours, not seconds.</summary>
    QuotaExceeded,

    /// <summary>500 backendError.</summary>
    BackendError,

    /// <summary>503.</summary>
    ServiceUnavailable,
}
