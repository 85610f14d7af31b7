using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Http;
using CreatioGoogle.Broker.OAuth;
using CreatioGoogle.Broker.Tokens;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace CreatioGoogle.Functions.Tokens;

/// <summary>Access tokens for Creatio, and the timer that keeps them fresh.</summary>
public sealed class TokenFunctions(ConnectionsApi api, TokenRenewal renewal, PendingAuthorizationStore pendingAuthorizations,
    GrantRevocation revocations)
{
    [Function("GetAccessToken")]
    public Task<IActionResult> GetAccessToken(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/connections/{id}/token")] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        api.GetTokenAsync(request, id, cancellationToken);

    /// <summary>Schedule from the app setting <c>RenewTokensSchedule</c> (default <c>0 */5 * * * *</c>; set by infra in Azure, by local.settings.json under func start).</summary>
    /// <remarks>Also sweeps connect links that expired more than a day ago, and retries revocations Google did not confirm.</remarks>
    [Function("RenewTokens")]
    public async Task RenewTokens([TimerTrigger("%" + TokenOptions.RenewScheduleSetting + "%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        await renewal.RunAsync(cancellationToken);
        await pendingAuthorizations.SweepAsync(cancellationToken);
        await revocations.RetryDueAsync(cancellationToken);
    }
}
