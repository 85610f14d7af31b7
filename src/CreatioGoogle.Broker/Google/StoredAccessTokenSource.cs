using System.Collections.Concurrent;
using CreatioGoogle.Broker.Connections;

namespace CreatioGoogle.Broker.Google;

/// <summary>
/// Interim <see cref="IGoogleAccessTokenSource"/> until the TokenService lands: the connection's stored access token,
/// or, when it has expired, one obtained with the stored refresh token and kept in memory only (the renew timer owns
/// persisting tokens; this class never writes the connection row). Tokens are never logged.
/// </summary>
public sealed class StoredAccessTokenSource(ConnectionStore connections, GoogleOAuthClient oauth, TimeProvider clock) : IGoogleAccessTokenSource
{
    private static readonly TimeSpan Margin = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset ExpiresAt)> _refreshed = new(StringComparer.Ordinal);

    public async Task<string> GetAccessTokenAsync(string tenantId, string connectionId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (_refreshed.TryGetValue(connectionId, out var cached) && cached.ExpiresAt > now + Margin)
        {
            return cached.Token;
        }

        var connection = await connections.GetAsync(tenantId, connectionId, cancellationToken)
            ?? throw new InvalidOperationException($"Connection {connectionId} of tenant {tenantId} does not exist.");
        if (connection.AccessTokenExpiresAt > now + Margin && await connections.ReadAccessTokenAsync(connection, cancellationToken) is { } stored)
        {
            return stored;
        }

        var refreshToken = await connections.ReadRefreshTokenAsync(connection, cancellationToken)
            ?? throw new InvalidOperationException($"Connection {connectionId} has no refresh token: it needs reconnecting.");
        var fresh = await oauth.RefreshAsync(refreshToken, cancellationToken);
        _refreshed[connectionId] = (fresh.AccessToken, now + fresh.ExpiresIn);
        return fresh.AccessToken;
    }
}
