using System.Text.Json;
using CreatioGoogle.Broker.OAuth;
using CreatioGoogle.Broker.Tenants;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace CreatioGoogle.Broker.Http;

/// <summary>The HTTP face of the broker for Creatio (API key) and for browsers (Google's redirect).</summary>
public sealed class ConnectionsApi(TenantAuthenticator authenticator, ConnectFlow connectFlow)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary><c>POST /api/connections</c>.</summary>
    public Task<IActionResult> CreateConnectionAsync(HttpRequest request, CancellationToken cancellationToken) =>
        AsTenantAsync(request, cancellationToken, async tenant =>
        {
            var (body, problem) = await ReadJsonAsync<ConnectRequest>(request, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }

            var (started, errors) = await connectFlow.StartAsync(tenant, body!, cancellationToken);
            return errors is not null
                ? ApiProblem.Validation(errors)
                : new ObjectResult(started) { StatusCode = StatusCodes.Status201Created };
        });

    /// <summary>Google's redirect, at any of Creatio's three redirect paths.</summary>
    public async Task<IActionResult> GoogleCallbackAsync(HttpRequest request, bool requirePageId, CancellationToken cancellationToken)
    {
        var query = request.Query;
        if (requirePageId && !string.Equals(query["Id"], RedirectPaths.SocialAccountPageId, StringComparison.OrdinalIgnoreCase))
        {
            return new BrowserPage(404, "Page not found", "This address is not a Google sign-in page of this broker.", []).ToActionResult();
        }

        var outcome = await connectFlow.CompleteAsync(
            new CallbackParameters(query["code"], query["state"], query["error"], query["error_description"]), cancellationToken);
        return outcome.RedirectTo is not null
            ? new RedirectResult(outcome.RedirectTo.AbsoluteUri, permanent: false)
            : outcome.Page!.ToActionResult();
    }

    private async Task<IActionResult> AsTenantAsync(HttpRequest request, CancellationToken cancellationToken, Func<Tenant, Task<IActionResult>> handle)
    {
        var tenant = await authenticator.AuthenticateAsync(
            request.Headers[TenantAuthenticator.TenantHeader], request.Headers[TenantAuthenticator.ApiKeyHeader], cancellationToken);
        return tenant is null ? ApiProblem.Unauthorized() : await handle(tenant);
    }

    private static async Task<(T? Body, IActionResult? Problem)> ReadJsonAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        if (request.ContentType is null || !request.ContentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, ApiProblem.Create(415, "Unsupported media type.", "Send the body as JSON with Content-Type: application/json."));
        }

        try
        {
            var body = await JsonSerializer.DeserializeAsync<T>(request.Body, Json, cancellationToken);
            return body is null
                ? (null, ApiProblem.Create(400, "The body is empty.", "Send a JSON object."))
                : (body, null);
        }
        catch (JsonException e)
        {
            return (null, ApiProblem.Create(400, "The body is not valid JSON.",
                $"JSON could not be read at {e.Path ?? "$"} (line {e.LineNumber + 1})."));
        }
    }
}
