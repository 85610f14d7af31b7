using CreatioGoogle.Broker.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace CreatioGoogle.Functions.Connect;

/// <summary>Creatio starts a connection; Google's browser redirect finishes it.</summary>
public sealed class ConnectFunctions(ConnectionsApi api)
{
    [Function("CreateConnection")]
    public Task<IActionResult> CreateConnection(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/connections")] HttpRequest request,
        CancellationToken cancellationToken) =>
        api.CreateConnectionAsync(request, cancellationToken);

    /// <summary>The redirect URI of Creatio's guide, all versions.</summary>
    [Function("GoogleCallback")]
    public Task<IActionResult> GoogleCallback(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "0/rest/GoogleOAuthAuthenticator/ProcessAuthenticationCode")] HttpRequest request,
        CancellationToken cancellationToken) =>
        api.GoogleCallbackAsync(request, requirePageId: false, cancellationToken);

    /// <summary>Creatio 7.17.1 and up: <c>/0/LegacySocialAccountAuthPage.aspx?Id=3b22f0ff-…</c>.</summary>
    [Function("GoogleCallbackLegacySocialAccountPage")]
    public Task<IActionResult> GoogleCallbackLegacySocialAccountPage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "0/LegacySocialAccountAuthPage.aspx")] HttpRequest request,
        CancellationToken cancellationToken) =>
        api.GoogleCallbackAsync(request, requirePageId: true, cancellationToken);

    /// <summary>Creatio 7.17.0 and lower: <c>/0/ViewPage.aspx?Id=3b22f0ff-…</c>.</summary>
    [Function("GoogleCallbackViewPage")]
    public Task<IActionResult> GoogleCallbackViewPage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "0/ViewPage.aspx")] HttpRequest request,
        CancellationToken cancellationToken) =>
        api.GoogleCallbackAsync(request, requirePageId: true, cancellationToken);
}
