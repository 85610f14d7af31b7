using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CreatioGoogle.Broker.Http;

/// <summary>
/// What every HTTP request passes through on both hosts: errors mapped by <see cref="HttpErrors"/>, and one log line
/// per request whose query shows only parameters known to be harmless. Google's redirect carries a one-time
/// authorization code and the <c>state</c> in its query, so ASP.NET's own request lines (which print the whole URL)
/// are turned off by <see cref="AddBrokerLogFilters"/> and this line takes their place.
/// </summary>
public static partial class RequestPipeline
{
    /// <summary>The log category of the request lines.</summary>
    public const string LogCategory = "CreatioGoogle.Requests";

    /// <summary>
    /// Categories that write request URLs (with their query) or redirect targets (a Google authorization URL holds a
    /// state) at Information or below. Warnings and errors still come through.
    /// </summary>
    public static readonly IReadOnlyList<string> UrlLoggingCategories =
    [
        "Microsoft.AspNetCore.Hosting.Diagnostics",
        "Microsoft.AspNetCore.Http.Result.RedirectResult",
        "Microsoft.AspNetCore.Mvc.Infrastructure.RedirectResultExecutor",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.HttpLogging",
        "Microsoft.AspNetCore.Server.Kestrel",
    ];

    // Query parameters whose values are logged; every other value (code, state, error_description, ...) is masked.
    private static readonly HashSet<string> HarmlessQueryKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "Id", "feature", "user", "refresh", "connectionId", "status", "error",
    };

    private const int MaxLoggedTargetLength = 512;

    /// <summary>Runs <paramref name="next"/>, answers whatever escapes it through <see cref="HttpErrors"/>, and logs the request.</summary>
    public static async Task InvokeAsync(HttpContext http, Func<Task> next, ILogger logger)
    {
        var started = Stopwatch.GetTimestamp();
        // Logged once the response is complete, not when next() returns: in the Functions worker the ASP.NET Core
        // integration writes a function's IActionResult (status included) only after the worker middleware is done.
        http.Response.OnCompleted(() =>
        {
            LogRequest(logger, http.Request.Method, SafeTarget(http.Request), http.Response.StatusCode,
                (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return Task.CompletedTask;
        });
        try
        {
            await next();
        }
        catch (Exception e)
        {
            var answer = HttpErrors.For(http, e, logger);
            if (answer is not null)
            {
                await HttpErrors.WriteAsync(http, answer);
            }
        }
    }

    /// <summary>Path and query as they may be logged: values of parameters not known to be harmless become "***".</summary>
    public static string SafeTarget(HttpRequest request)
    {
        var target = new StringBuilder(request.PathBase.Value).Append(request.Path.Value);
        var separator = '?';
        foreach (var (key, values) in request.Query)
        {
            foreach (var value in values.Count == 0 ? [""] : values.ToArray())
            {
                target.Append(separator).Append(Uri.EscapeDataString(key)).Append('=')
                    .Append(HarmlessQueryKeys.Contains(key) ? Uri.EscapeDataString(value ?? "") : "***");
                separator = '&';
            }
        }

        return target.Length <= MaxLoggedTargetLength ? target.ToString() : target.ToString(0, MaxLoggedTargetLength) + "…";
    }

    /// <summary>Silences the framework's URL-printing log lines below Warning (both hosts call this).</summary>
    public static ILoggingBuilder AddBrokerLogFilters(this ILoggingBuilder logging)
    {
        foreach (var category in UrlLoggingCategories)
        {
            logging.AddFilter(category, level => level >= LogLevel.Warning);
        }

        return logging;
    }

    [LoggerMessage(110, LogLevel.Information, "HTTP {Method} {Target} answered {StatusCode} in {ElapsedMs} ms")]
    private static partial void LogRequest(ILogger logger, string method, string target, int statusCode, long elapsedMs);
}
