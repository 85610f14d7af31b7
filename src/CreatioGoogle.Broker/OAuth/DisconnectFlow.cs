using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Tenants;
using Microsoft.Extensions.Logging;

namespace CreatioGoogle.Broker.OAuth;

public enum DisconnectOutcome
{
    /// <summary>Revoked at Google and deleted here, or there was nothing (left) to delete.</summary>
    Disconnected,

    /// <summary>Google's revoke endpoint could not be reached; nothing was deleted so a repeat can finish the job.</summary>
    GoogleUnavailable,

    /// <summary>
    /// Deleted here, but Google refused the revocation with something other than "no such token" (a wrong client
    /// secret, say): a repeat would meet the same answer, so the revocation is retried later and listed meanwhile.
    /// </summary>
    RevocationPending,
}

/// <summary>How a disconnect ended; <see cref="PendingRevocation"/> is set for <see cref="DisconnectOutcome.RevocationPending"/>.</summary>
public sealed record DisconnectResult(DisconnectOutcome Outcome, PendingRevocation? PendingRevocation = null);

/// <summary>
/// Disconnecting a user, in the order that makes a repeat safe: stop push channels, revoke the grant at Google, delete the sync state,
/// delete the connection row last, then report it. A crash halfway leaves the row, so the next call finishes.
/// </summary>
public sealed class DisconnectFlow(
    ConnectionStore connections,
    GrantRevocation revocation,
    IConnectionEvents events,
    IEnumerable<Sync.ISyncStateStore> syncState,
    IEnumerable<Push.IPushSubscriptions> pushSubscriptions,
    ILogger<DisconnectFlow> logger)
{
    public async Task<DisconnectResult> DisconnectAsync(Tenant tenant, string connectionId, CancellationToken cancellationToken)
    {
        var connection = await connections.GetAsync(tenant.Id, connectionId, cancellationToken);
        if (connection is null)
        {
            return new DisconnectResult(DisconnectOutcome.Disconnected);
        }

        // Push channels first: stopping one at Google needs the grant that is revoked next.
        foreach (var push in pushSubscriptions)
        {
            await push.StopAllAsync(tenant.Id, connectionId, cancellationToken);
        }

        PendingRevocation? pending = null;
        var refreshToken = await connections.ReadRefreshTokenAsync(connection, cancellationToken);
        if (refreshToken is not null
            && !await revocation.InUseElsewhereAsync(connection.GoogleSubject, connectionId, cancellationToken))
        {
            // Revoking the refresh token ends the whole grant at Google, access tokens included.
            var attempt = await revocation.TryRevokeAsync(refreshToken, cancellationToken);
            if (attempt.Kind == RevocationAttemptKind.Unreachable)
            {
                logger.LogWarning("Revoking connection {Connection} at Google failed: {Error}", connectionId, attempt.Error);
                return new DisconnectResult(DisconnectOutcome.GoogleUnavailable);
            }

            if (attempt.Kind == RevocationAttemptKind.Refused)
            {
                pending = await revocation.RecordAsync(
                    new GrantOwner(tenant.Id, connectionId, connection.CreatioUserId, connection.GoogleEmail),
                    refreshToken, RevocationReasons.Disconnected, attempt, cancellationToken);
            }
        }

        foreach (var store in syncState)
        {
            await store.DeleteConnectionAsync(connectionId, cancellationToken);
        }

        try
        {
            await connections.DeleteAsync(tenant.Id, connectionId, cancellationToken);
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            // A concurrent disconnect of the same connection deleted it first, and reports it.
            return new DisconnectResult(pending is null ? DisconnectOutcome.Disconnected : DisconnectOutcome.RevocationPending, pending);
        }

        logger.LogInformation("Connection {Connection} of tenant {Tenant} disconnected", connectionId, tenant.Id);
        await events.DisconnectedAsync(connection, cancellationToken);
        return pending is null
            ? new DisconnectResult(DisconnectOutcome.Disconnected)
            : new DisconnectResult(DisconnectOutcome.RevocationPending, pending);
    }
}
