using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Google;
using CreatioGoogle.Broker.Tenants;
using Microsoft.Extensions.Logging;

namespace CreatioGoogle.Broker.OAuth;

public enum DisconnectOutcome
{
    /// <summary>Revoked at Google and deleted here, or there was nothing (left) to delete.</summary>
    Disconnected,

    /// <summary>Google's revoke endpoint could not be reached; nothing was deleted so a repeat can finish the job.</summary>
    GoogleUnavailable,
}

/// <summary>
/// Disconnecting a user, in the order that makes a repeat safe: stop push channels, revoke the grant at Google, delete the sync state,
/// delete the connection row last, then report it. A crash halfway leaves the row, so the next call finishes.
/// </summary>
public sealed class DisconnectFlow(
    ConnectionStore connections,
    GoogleOAuthClient google,
    IConnectionEvents events,
    IEnumerable<Sync.ISyncStateStore> syncState,
    IEnumerable<Push.IPushSubscriptions> pushSubscriptions,
    ILogger<DisconnectFlow> logger)
{
    public async Task<DisconnectOutcome> DisconnectAsync(Tenant tenant, string connectionId, CancellationToken cancellationToken)
    {
        var connection = await connections.GetAsync(tenant.Id, connectionId, cancellationToken);
        if (connection is null)
        {
            return DisconnectOutcome.Disconnected;
        }

        // Push channels first: stopping one at Google needs the grant that is revoked next.
        foreach (var push in pushSubscriptions)
        {
            await push.StopAllAsync(tenant.Id, connectionId, cancellationToken);
        }

        var refreshToken = await connections.ReadRefreshTokenAsync(connection, cancellationToken);
        if (refreshToken is not null)
        {
            try
            {
                // Revoking the refresh token ends the whole grant at Google, access tokens included.
                await google.RevokeAsync(refreshToken, cancellationToken);
            }
            catch (Exception e) when (e is GoogleTokenException or HttpRequestException or Polly.ExecutionRejectedException
                                          || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                logger.LogWarning("Revoking connection {Connection} at Google failed: {Error}", connectionId, e.GetType().Name);
                return DisconnectOutcome.GoogleUnavailable;
            }
        }

        foreach (var store in syncState)
        {
            await store.DeleteConnectionAsync(connectionId, cancellationToken);
        }

        await connections.DeleteAsync(tenant.Id, connectionId, cancellationToken);
        logger.LogInformation("Connection {Connection} of tenant {Tenant} disconnected", connectionId, tenant.Id);
        await events.DisconnectedAsync(connection, cancellationToken);
        return DisconnectOutcome.Disconnected;
    }
}
