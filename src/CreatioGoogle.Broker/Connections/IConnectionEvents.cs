namespace CreatioGoogle.Broker.Connections;

/// <summary>Told whenever a connection's status changes; the status callback to Creatio listens here.</summary>
public interface IConnectionEvents
{
    /// <summary>Must not throw or block for long: a failed notification never fails the flow that caused it.</summary>
    Task StatusChangedAsync(Connection connection, string? previousStatus, CancellationToken cancellationToken);

    /// <summary>The connection was deleted (disconnected); <paramref name="connection"/> is the row as it was.</summary>
    Task DisconnectedAsync(Connection connection, CancellationToken cancellationToken);
}
