using System.Net;

namespace CreatioGoogle.Broker.Google.People;

/// <summary>A People API error response: HTTP status plus Google's <c>error.status</c> and first <c>details[].reason</c>.</summary>
public class PeopleApiException : Exception
{
    public PeopleApiException()
    {
    }

    public PeopleApiException(string message)
        : base(message)
    {
    }

    public PeopleApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public PeopleApiException(HttpStatusCode statusCode, string? status, string? reason, string message, TimeSpan? retryAfter)
        : base(message)
    {
        StatusCode = statusCode;
        Status = status;
        Reason = reason;
        RetryAfter = retryAfter;
    }

    public HttpStatusCode StatusCode { get; }

    /// <summary>google.rpc code name, e.g. FAILED_PRECONDITION, RESOURCE_EXHAUSTED, PERMISSION_DENIED.</summary>
    public string? Status { get; }

    /// <summary>ErrorInfo reason, e.g. EXPIRED_SYNC_TOKEN, ACCESS_TOKEN_SCOPE_INSUFFICIENT.</summary>
    public string? Reason { get; }

    /// <summary>Retry-After of a 429/503, for callers that back off writes themselves (writes are never retried here).</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>updateContact with a stale etag: re-read the person and merge (facts §1.2).</summary>
    public bool IsEtagMismatch => StatusCode == HttpStatusCode.BadRequest && Status == "FAILED_PRECONDITION" && Reason != PeopleSyncTokenExpiredException.ExpiredReason;
}

/// <summary>
/// The sync token is too old (400 FAILED_PRECONDITION, reason EXPIRED_SYNC_TOKEN — not 410, facts §0 trap 1):
/// drop the token and do a full sync.
/// </summary>
public sealed class PeopleSyncTokenExpiredException : PeopleApiException
{
    public PeopleSyncTokenExpiredException()
    {
    }

    public PeopleSyncTokenExpiredException(string message)
        : base(message)
    {
    }

    public PeopleSyncTokenExpiredException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public PeopleSyncTokenExpiredException(string message, TimeSpan? retryAfter)
        : base(HttpStatusCode.BadRequest, "FAILED_PRECONDITION", ExpiredReason, message, retryAfter)
    {
    }

    public const string ExpiredReason = "EXPIRED_SYNC_TOKEN";
}
