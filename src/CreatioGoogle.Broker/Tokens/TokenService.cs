using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.OAuth;
using CreatioGoogle.Broker.Tenants;
using Microsoft.Extensions.Options;

namespace CreatioGoogle.Broker.Tokens;

/// <summary>A usable access token for Creatio (the body of <c>POST /api/connections/{id}/token</c>).</summary>
public sealed record AccessTokenIssued(string AccessToken, string TokenType, DateTimeOffset ExpiresAt, IReadOnlyList<string> Scopes);

/// <summary>What a token request came to.</summary>
public abstract record TokenAnswer
{
    private TokenAnswer()
    {
    }

    public sealed record Issued(AccessTokenIssued Token) : TokenAnswer;

    public sealed record NotFound : TokenAnswer;

    /// <summary>The grant is dead; <see cref="Reconnect"/> is a fresh Google link for the user.</summary>
    public sealed record ReconnectNeeded(Connection Connection, ConnectStarted Reconnect) : TokenAnswer;

    /// <summary>Google is busy or down and the stored token has expired.</summary>
    public sealed record Unavailable(TimeSpan RetryAfter, string? Error) : TokenAnswer;
}

/// <summary>Flow 3 of design.md: Creatio asks for the current access token; it is refreshed first when it expires soon.</summary>
public sealed class TokenService(
    TokenRefresh refresh,
    ConnectionStore connections,
    ConnectFlow connectFlow,
    IOptions<TokenOptions> options,
    TimeProvider clock)
{
    public Task<TokenAnswer> GetAccessTokenAsync(Tenant tenant, string connectionId, CancellationToken cancellationToken) =>
        GetAccessTokenAsync(tenant, connectionId, forceRefresh: false, cancellationToken);

    /// <param name="forceRefresh">
    /// Refresh even if the stored token has not expired: Creatio asks for this when Google refused the token it had
    /// (revoked access, changed password). Requests that arrive while such a refresh runs share it: a refresh that
    /// happened after this request began is as good as its own.
    /// </param>
    public async Task<TokenAnswer> GetAccessTokenAsync(Tenant tenant, string connectionId, bool forceRefresh, CancellationToken cancellationToken)
    {
        var margin = options.Value.RefreshMargin;
        var requestedAt = clock.GetUtcNow();
        var result = await refresh.EnsureFreshAsync(tenant.Id, connectionId,
            (connection, now) => connection.AccessTokenExpiresAt is not { } expiresAt || expiresAt - now <= margin
                || (forceRefresh && (connection.LastRenewedAt is not { } renewed || renewed < requestedAt)),
            known: null, cancellationToken);

        switch (result.Status)
        {
            case RefreshStatus.NotFound:
                return new TokenAnswer.NotFound();
            case RefreshStatus.ReconnectNeeded:
                var reconnect = await connectFlow.ReconnectAsync(tenant, result.Connection!, cancellationToken);
                return new TokenAnswer.ReconnectNeeded(result.Connection!, reconnect);
        }

        var connection = result.Connection!;
        var expires = connection.AccessTokenExpiresAt ?? DateTimeOffset.MinValue;
        if (result.Status == RefreshStatus.Failed && expires <= clock.GetUtcNow())
        {
            return new TokenAnswer.Unavailable(result.RetryAfter ?? options.Value.RetryBaseDelay, connection.LastError);
        }

        // Fresh, refreshed, or a failed refresh whose old token still works for a while: hand it out.
        var accessToken = result.AccessToken ?? await connections.ReadAccessTokenAsync(connection, cancellationToken);
        return accessToken is null
            ? new TokenAnswer.Unavailable(options.Value.RetryBaseDelay, "no_access_token")
            : new TokenAnswer.Issued(new AccessTokenIssued(accessToken, "Bearer", expires, connection.Scopes));
    }
}
