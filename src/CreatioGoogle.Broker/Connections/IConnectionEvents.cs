namespace CreatioGoogle.Broker.Connections;

/// <summary>Told whenever a connection's status changes; the status callback to Creatio listens here.</summary>
public interface IConnectionEvents
{
    /// <summary>Must not throw or block for long: a failed notification never fails the flow that caused it.</summary>
    Task StatusChangedAsync(Connection connection, string? previousStatus, CancellationToken cancellationToken);

    /// <summary>The connection was deleted (disconnected).</summary>
    Task DisconnectedAsync(string tenantId, string connectionId, CancellationToken cancellationToken);
}

/// <summary>Used until a tenant callback is configured: status changes are only logged by the flows themselves.</summary>
public sealed class NoConnectionEvents : IConnectionEvents
{
    public Task StatusChangedAsync(Connection connection, string? previousStatus, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task DisconnectedAsync(string tenantId, string connectionId, CancellationToken cancellationToken) => Task.CompletedTask;
}
