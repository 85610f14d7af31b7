using Azure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace CreatioGoogle.Broker.Http;

/// <summary>
/// The one place that turns an error into an HTTP answer, for the Functions host (a worker middleware) and the local
/// host alike: a problem body for API callers (paths under <c>/api/</c>), a plain page for a person in a browser
/// (Google's redirect, the local try page). The exception itself goes to the log, never to the caller: its text may
/// name internals.
/// </summary>
public static partial class HttpErrors
{
    /// <summary>Seconds a caller is asked to wait when a service the broker depends on is down.</summary>
    public const int DependencyRetryAfterSeconds = 30;

    /// <summary>The answer for an exception that escaped a handler, or null when the caller went away (nothing to answer).</summary>
    public static IActionResult? For(HttpContext http, Exception exception, ILogger logger)
    {
        switch (exception)
        {
            case OperationCanceledException when http.RequestAborted.IsCancellationRequested:
                return null;
            case BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge:
                LogRefused(logger, http.Request.Method, bad.StatusCode, bad.GetType().Name);
                return IsApi(http.Request)
                    ? ApiProblem.PayloadTooLarge(EdgeRules.MaxJsonBodyBytes)
                    : Answer(http, 413, "The request is too large.", "Send a smaller request.");
            case BadHttpRequestException bad:
                // Malformed chunked encoding, a body cut short, a bad header: the caller's request, not our failure.
                LogRefused(logger, http.Request.Method, bad.StatusCode, bad.GetType().Name);
                return Answer(http, bad.StatusCode is >= 400 and < 500 ? bad.StatusCode : 400, "The request could not be read.",
                    "Its body, encoding or headers are malformed. Send a well-formed HTTP request.");
            case RequestFailedException { Status: 0 or >= 500 } or HttpRequestException or TimeoutException or Polly.ExecutionRejectedException:
                LogDependencyFailed(logger, exception, http.Request.Method);
                return new RetryAfterResult(Answer(http, 503, "The broker cannot complete this right now.",
                    $"A service it depends on (storage, Key Vault or Google) is not answering. Nothing was changed by this error; try again in {DependencyRetryAfterSeconds} s."),
                    DependencyRetryAfterSeconds);
            default:
                LogFailed(logger, exception, http.Request.Method);
                return Answer(http, 500, "An error occurred while processing your request.",
                    "The broker failed unexpectedly; the error is in its log under this trace id.");
        }
    }

    /// <summary>An answer of the right kind for the caller: a problem body for APIs, a plain page for browsers.</summary>
    public static IActionResult Answer(HttpContext http, int status, string title, string detail) =>
        IsApi(http.Request)
            ? ApiProblem.Create(status, title, detail, new Dictionary<string, object?> { ["traceId"] = http.TraceIdentifier })
            : new BrowserPage(status, title, $"{detail}\n\nReference: {http.TraceIdentifier}", []).ToActionResult();

    /// <summary>Writes an answer in place of whatever the handler had begun; a response already on the wire is aborted instead.</summary>
    public static async Task WriteAsync(HttpContext http, IActionResult result)
    {
        if (http.Response.HasStarted)
        {
            // Half a response is already sent: the only honest signal left is to cut it off.
            http.Abort();
            return;
        }

        http.Response.Clear();
        await result.ExecuteResultAsync(new ActionContext(http, http.GetRouteData(), new ActionDescriptor()));
    }

    /// <summary>API callers get problem bodies; everything else is a person in a browser.</summary>
    public static bool IsApi(HttpRequest request) => request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase);

    /// <summary>An answer with a Retry-After header (set as it is written, after any earlier headers were cleared).</summary>
    private sealed class RetryAfterResult(IActionResult inner, int seconds) : IActionResult
    {
        public Task ExecuteResultAsync(ActionContext context)
        {
            context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return inner.ExecuteResultAsync(context);
        }
    }

    [LoggerMessage(100, LogLevel.Information, "Request {Method} refused with {StatusCode}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, int statusCode, string reason);

    [LoggerMessage(101, LogLevel.Error, "Request {Method} failed: a dependency is not answering")]
    private static partial void LogDependencyFailed(ILogger logger, Exception exception, string method);

    [LoggerMessage(102, LogLevel.Error, "Request {Method} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string method);
}
