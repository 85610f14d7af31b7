using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.OAuth;
using CreatioGoogle.Broker.Tenants;
using Microsoft.AspNetCore.Mvc;

namespace CreatioGoogle.Broker.Http;

/// <summary>RFC 7807 problem answers for API callers (Creatio), made in one place.</summary>
public static class ApiProblem
{
    public const string ContentType = "application/problem+json";

    public static IActionResult Create(int status, string title, string detail, IDictionary<string, object?>? extensions = null)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail, Type = TypeFor(status) };
        if (extensions is not null)
        {
            foreach (var (key, value) in extensions)
            {
                problem.Extensions[key] = value;
            }
        }

        return Result(problem);
    }

    public static IActionResult Validation(IDictionary<string, string[]> errors) =>
        Result(new ValidationProblemDetails(errors)
        {
            Status = 400,
            Title = "The request is not valid.",
            Detail = "See 'errors' for what to correct.",
            Type = TypeFor(400),
        });

    /// <summary>One field of the request is wrong (a route value or a query parameter).</summary>
    public static IActionResult Invalid(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>The tenant or API key header is missing: says which, as nothing about any tenant is revealed by that.</summary>
    public static IActionResult MissingCredentials(IReadOnlyList<string> missingHeaders) => Create(401, "Not authenticated.",
        $"The request has no {string.Join(" and no ", missingHeaders)} header. Send your tenant id in {TenantAuthenticator.TenantHeader} " +
        $"and its API key in {TenantAuthenticator.ApiKeyHeader}.",
        new Dictionary<string, object?> { ["missingHeaders"] = missingHeaders });

    /// <summary>
    /// Both headers came but do not authenticate. Unknown tenant and wrong key get this same answer, so a caller
    /// cannot find out which tenant ids exist.
    /// </summary>
    public static IActionResult InvalidCredentials() => Create(401, "Not authenticated.",
        $"The tenant id in {TenantAuthenticator.TenantHeader} and the API key in {TenantAuthenticator.ApiKeyHeader} do not match " +
        "a tenant of this broker. Check both values (the key is the secret tenant-<id>-api-key).");

    public static IActionResult NotFound(string what) => Create(404, "Not found.", $"There is no {what} with this id for your tenant.");

    /// <summary>A body over the limit: 413, with the limit, so the caller can tell what is wrong.</summary>
    public static IActionResult PayloadTooLarge(int limitBytes) => Create(413, "The request body is too large.",
        $"Send at most {limitBytes} bytes.", new Dictionary<string, object?> { ["maxBodyBytes"] = limitBytes });

    /// <summary>
    /// The one answer wherever the user must reconnect (token, sync, ...): 409 with the connection's status and a fresh
    /// Google link to open for the user.
    /// </summary>
    public static IActionResult ReconnectNeeded(Connection connection, ConnectStarted reconnect) =>
        Create(409, "The user must reconnect their Google account.",
            $"{connection.StatusReason ?? "Google no longer accepts this connection's grant."} " +
            "Open connectUrl in a top-level browser window for the user.",
            new Dictionary<string, object?>
            {
                ["connectionId"] = connection.ConnectionId,
                ["connectionStatus"] = connection.Status,
                ["connectUrl"] = reconnect.AuthorizationUrl.AbsoluteUri,
                ["connectUrlExpiresAt"] = reconnect.ExpiresAt,
            });

    private static ObjectResult Result(ProblemDetails problem) => new(problem)
    {
        StatusCode = problem.Status,
        ContentTypes = { ContentType },
    };

    private static string TypeFor(int status) => $"https://httpstatuses.io/{status}";
}
