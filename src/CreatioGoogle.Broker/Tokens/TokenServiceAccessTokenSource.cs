using CreatioGoogle.Broker.Google;
using CreatioGoogle.Broker.Tenants;

namespace CreatioGoogle.Broker.Tokens;

/// <summary>The Google access token a sync job uses, from the same place Creatio gets its own: refreshed under
/// the connection's lease, so syncs and token requests never refresh one grant twice.</summary>
public sealed class TokenServiceAccessTokenSource(TokenService tokens, TenantAuthenticator tenants) : IGoogleAccessTokenSource
{
    public async Task<string> GetAccessTokenAsync(string tenantId, string connectionId, CancellationToken cancellationToken)
    {
        var tenant = tenants.Find(tenantId) ?? throw new InvalidOperationException($"Tenant '{tenantId}' is not configured.");
        return await tokens.GetAccessTokenAsync(tenant, connectionId, cancellationToken) switch
        {
            TokenAnswer.Issued issued => issued.Token.AccessToken,
            TokenAnswer.NotFound => throw new InvalidOperationException($"Connection {connectionId} no longer exists."),
            TokenAnswer.ReconnectNeeded => throw new InvalidOperationException(
                $"Connection {connectionId} needs reconnecting: Google refused its grant."),
            TokenAnswer.Unavailable unavailable => throw new HttpRequestException(
                $"Google's token endpoint is unavailable ({unavailable.Error}); retry after {unavailable.RetryAfter}."),
            _ => throw new InvalidOperationException("Unexpected token answer."),
        };
    }
}
