using System.Globalization;
using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.OAuth;
using CreatioGoogle.Broker.Tenants;
using CreatioGoogle.Broker.Tokens;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace CreatioGoogle.Broker.Http;

/// <summary>The HTTP face of the broker for Creatio (API key) and for browsers (Google's redirect).</summary>
public sealed class ConnectionsApi(
    TenantAuthenticator authenticator,
    ConnectFlow connectFlow,
    TokenService tokens,
    ConnectionStore connections,
    DisconnectFlow disconnectFlow,
    GrantRevocation revocations)
{
    /// <summary><c>POST /api/connections</c>.</summary>
    public Task<IActionResult> CreateConnectionAsync(HttpRequest request, CancellationToken cancellationToken) =>
        AsTenantAsync(request, cancellationToken, async tenant =>
        {
            var (body, problem) = await JsonBody.ReadAsync<ConnectRequest>(request, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }

            var (started, errors) = await connectFlow.StartAsync(tenant, body!, cancellationToken);
            return errors is not null
                ? ApiProblem.Validation(errors)
                : new ObjectResult(started) { StatusCode = StatusCodes.Status201Created };
        });

    /// <summary>
    /// <c>POST /api/connections/{id}/token</c>: the current access token, refreshed first when it expires within the
    /// margin. 404 for an unknown (or another tenant's) connection; 409 with a new connect URL when the user must
    /// reconnect; 503 with Retry-After when Google is down and the stored token has expired.
    /// </summary>
    public Task<IActionResult> GetTokenAsync(HttpRequest request, string connectionId, CancellationToken cancellationToken) =>
        AsTenantAsync(request, connectionId, cancellationToken, async tenant =>
        {
            // ?refresh=true: Google refused the token Creatio holds, so a stored one will not do.
            var refresh = request.Query["refresh"].ToString();
            if (refresh.Length > 0 && !bool.TryParse(refresh, out _))
            {
                return ApiProblem.Invalid("refresh", "Either true or false.");
            }

            var forceRefresh = string.Equals(refresh, "true", StringComparison.OrdinalIgnoreCase);
            var answer = await tokens.GetAccessTokenAsync(tenant, connectionId, forceRefresh, cancellationToken);
            // A token must not sit in a proxy's or browser's cache.
            request.HttpContext.Response.Headers.CacheControl = "no-store";
            switch (answer)
            {
                case TokenAnswer.Issued issued:
                    return new OkObjectResult(issued.Token);
                case TokenAnswer.ReconnectNeeded reconnect:
                    return ApiProblem.ReconnectNeeded(reconnect.Connection, reconnect.Reconnect);
                case TokenAnswer.Unavailable unavailable:
                    var seconds = Math.Max(1, (long)Math.Ceiling(unavailable.RetryAfter.TotalSeconds));
                    request.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                    return ApiProblem.Create(503, "Google is not answering.",
                        $"The access token has expired and Google could not refresh it ({unavailable.Error ?? "unavailable"}). Try again in {seconds} s.",
                        new Dictionary<string, object?> { ["retryAfterSeconds"] = seconds });
                default:
                    return ApiProblem.NotFound("connection");
            }
        });

    /// <summary><c>GET /api/connections/{id}</c>: the connection's status, with grants still being revoked. Never tokens.</summary>
    public Task<IActionResult> GetConnectionAsync(HttpRequest request, string connectionId, CancellationToken cancellationToken) =>
        AsTenantAsync(request, connectionId, cancellationToken, async tenant =>
            await connections.GetAsync(tenant.Id, connectionId, cancellationToken) is { } connection
                ? new OkObjectResult(ConnectionView.Of(connection, await revocations.ListAsync(tenant.Id, connectionId, cancellationToken)))
                : ApiProblem.NotFound("connection"));

    /// <summary><c>GET /api/connections?user={creatioUserId}</c>: the tenant's connections, of one user when given.</summary>
    public Task<IActionResult> ListConnectionsAsync(HttpRequest request, CancellationToken cancellationToken) =>
        AsTenantAsync(request, cancellationToken, async tenant =>
        {
            string? user = request.Query["user"];
            if (!string.IsNullOrEmpty(user) && !Guid.TryParseExact(user, "D", out _))
            {
                return ApiProblem.Invalid("user", "A Creatio user id (a GUID).");
            }

            var list = await connections.ListAsync(tenant.Id, string.IsNullOrEmpty(user) ? null : user, cancellationToken);
            var pending = (await revocations.ListAsync(tenant.Id, null, cancellationToken)).ToLookup(r => r.ConnectionId);
            return new OkObjectResult(new { connections = list.Select(c => ConnectionView.Of(c, pending[c.ConnectionId])).ToList() });
        });

    /// <summary>
    /// <c>GET /api/revocations</c>: Google grants the broker gave up (a disconnect, a refused account switch, a sign-in
    /// that did not verify) that Google has not confirmed revoking yet. Each is retried until it is; empty is the norm.
    /// </summary>
    public Task<IActionResult> ListPendingRevocationsAsync(HttpRequest request, CancellationToken cancellationToken) =>
        AsTenantAsync(request, cancellationToken, async tenant =>
            new OkObjectResult(new { revocations = (await revocations.ListAsync(tenant.Id, null, cancellationToken)).Select(RevocationView.Of).ToList() }));

    /// <summary>
    /// <c>DELETE /api/connections/{id}</c>: revokes the grant at Google and deletes tokens and sync state. 204 also
    /// when already gone, so Creatio can repeat it; 502 when Google could not be reached (nothing deleted); 202 when
    /// deleted but Google refused the revocation, which is then retried and listed at <c>GET /api/revocations</c>.
    /// </summary>
    public Task<IActionResult> DeleteConnectionAsync(HttpRequest request, string connectionId, CancellationToken cancellationToken) =>
        AsTenantAsync(request, connectionId, cancellationToken, async tenant =>
        {
            var result = await disconnectFlow.DisconnectAsync(tenant, connectionId, cancellationToken);
            return result.Outcome switch
            {
                DisconnectOutcome.Disconnected => new NoContentResult(),
                DisconnectOutcome.RevocationPending => new ObjectResult(new
                {
                    connectionId,
                    status = "disconnected",
                    detail = "Disconnected here. Google refused to revoke the grant; the broker retries until it does " +
                             "(see GET /api/revocations).",
                    pendingRevocation = RevocationView.Of(result.PendingRevocation!),
                }) { StatusCode = StatusCodes.Status202Accepted },
                _ => ApiProblem.Create(502, "Google could not be reached.",
                    "The grant could not be revoked at Google, so nothing was deleted. Repeat the request in a minute."),
            };
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

    private Task<IActionResult> AsTenantAsync(HttpRequest request, CancellationToken cancellationToken, Func<Tenant, Task<IActionResult>> handle) =>
        authenticator.ForTenantAsync(request, handle, cancellationToken);

    private Task<IActionResult> AsTenantAsync(HttpRequest request, string connectionId, CancellationToken cancellationToken,
        Func<Tenant, Task<IActionResult>> handle) =>
        authenticator.ForConnectionAsync(request, connectionId, handle, cancellationToken);
}
