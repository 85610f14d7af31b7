namespace CreatioGoogle.Broker.Push;

/// <summary>
/// A feature's push subscriptions at Google, stopped when a connection is disconnected: before its grant is revoked, since
/// stopping a channel needs the grant. Rows are deleted by the <see cref="PushChannelStore"/> with the rest of the sync state.
/// </summary>
public interface IPushSubscriptions
{
    /// <summary>Stops every subscription of the connection; best effort (a failure is logged, the disconnect goes on).</summary>
    Task StopAllAsync(string tenantId, string connectionId, CancellationToken cancellationToken);
}
