using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Google;
using Microsoft.Extensions.Options;

namespace CreatioGoogle.Broker.Tokens;

/// <summary>
/// The Google access token a sync job (any Google API call of the broker's own) uses: refreshed through the same
/// <see cref="TokenRefresh"/> as Creatio's token requests, under the connection's lease, so syncs and token requests
/// never refresh one grant twice. Unlike <see cref="TokenService"/>, a dead grant is only reported: a sync has no user
/// to hand a reconnect link to, so none is made (a pending authorization nobody opens).
/// </summary>
public sealed class TokenServiceAccessTokenSource(TokenRefresh refresh, ConnectionStore connections, IOptions<TokenOptions> options, TimeProvider clock)
    : IGoogleAccessTokenSource
{
    public async Task<GoogleAccessToken> GetAccessTokenAsync(GoogleConnection connection, bool forceRefresh, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var margin = options.Value.RefreshMargin;
        var requestedAt = clock.GetUtcNow();
        var result = await refresh.EnsureFreshAsync(connection.TenantId, connection.ConnectionId,
            (c, now) => c.AccessTokenExpiresAt is not { } expiresAt || expiresAt - now <= margin
                // Google refused the token it has: a refresh that happened after this call began is as good as our own.
                || (forceRefresh && (c.LastRenewedAt is not { } renewed || renewed < requestedAt)),
            known: null, cancellationToken);

        switch (result.Status)
        {
            case RefreshStatus.NotFound:
                return new GoogleAccessToken.ConnectionGone();
            case RefreshStatus.ReconnectNeeded:
                return new GoogleAccessToken.ReconnectNeeded(result.Connection?.StatusReason);
            case RefreshStatus.Failed when forceRefresh || result.Connection?.AccessTokenExpiresAt is not { } expires || expires <= clock.GetUtcNow():
                // Expired, or just refused by Google: never hand back a token that cannot work.
                return new GoogleAccessToken.Unavailable(result.RetryAfter ?? options.Value.RetryBaseDelay, result.Connection?.LastError);
        }

        var accessToken = result.AccessToken ?? await connections.ReadAccessTokenAsync(result.Connection!, cancellationToken);
        return accessToken is null
            ? new GoogleAccessToken.Unavailable(options.Value.RetryBaseDelay, "no_access_token")
            : new GoogleAccessToken.Issued(accessToken);
    }
}
