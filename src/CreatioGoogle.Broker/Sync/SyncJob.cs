namespace CreatioGoogle.Broker.Sync;

/// <summary>One queue message: sync one feature of one connection.</summary>
public sealed record SyncJob(string TenantId, string ConnectionId, string Feature, DateTimeOffset RequestedAt, string Reason)
{
    public string JobId { get; init; } = Guid.NewGuid().ToString("N");
}
