using System.Text.Json;
using Azure.Storage.Queues;
using CreatioGoogle.Broker.Storage;
using CreatioGoogle.Broker.Tenants;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace CreatioGoogle.Broker.Connections;

/// <summary>What Creatio is told about a connection.</summary>
public static class StatusCallbackEvents
{
    public const string Connected = "connected";
    public const string ReconnectNeeded = "reconnect_needed";

    /// <summary>A connection that needed a reconnect works again.</summary>
    public const string Recovered = "recovered";

    public const string Disconnected = "disconnected";
}

/// <summary>
/// One status callback: the queue message and, unchanged, the JSON body POSTed to Creatio. <see cref="Id"/> is the
/// idempotency id: a retried delivery carries the same one, so Creatio can drop duplicates.
/// </summary>
public sealed record StatusCallback(
    string Id,
    string Event,
    string TenantId,
    string ConnectionId,
    string CreatioUserId,
    string? GoogleEmail,
    string Status,
    string? Reason,
    DateTimeOffset OccurredAt)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}

/// <summary>
/// Reports status changes by enqueuing them to <c>status-callbacks</c>; the <c>DeliverStatusCallback</c> function
/// POSTs them. A queue between the two keeps a slow or down Creatio from blocking a renewal run, and gives retries
/// and a poison queue for free.
/// </summary>
public sealed class StatusCallbackQueue : IConnectionEvents
{
    /// <summary>App setting naming the queue (flat: the trigger binding reads it as %StatusCallbackQueueName%).</summary>
    public const string QueueNameSetting = "StatusCallbackQueueName";

    public const string DefaultQueueName = "status-callbacks";

    private readonly TenantAuthenticator _tenants;
    private readonly TimeProvider _clock;
    private readonly ILogger<StatusCallbackQueue> _logger;
    private readonly Lazy<Task<QueueClient>> _queue;

    public StatusCallbackQueue(StorageAccount storage, IConfiguration configuration, TenantAuthenticator tenants, TimeProvider clock,
        ILogger<StatusCallbackQueue> logger)
    {
        var queueName = configuration[QueueNameSetting] ?? DefaultQueueName;
        _tenants = tenants;
        _clock = clock;
        _logger = logger;
        _queue = new Lazy<Task<QueueClient>>(async () =>
        {
            var queue = storage.CreateQueueServiceClient().GetQueueClient(queueName);
            await queue.CreateIfNotExistsAsync();
            return queue;
        });
    }

    public Task StatusChangedAsync(Connection connection, string? previousStatus, CancellationToken cancellationToken)
    {
        var kind = EventFor(previousStatus, connection.Status);
        return kind is null ? Task.CompletedTask : EnqueueAsync(connection, kind, connection.Status, cancellationToken);
    }

    public Task DisconnectedAsync(Connection connection, CancellationToken cancellationToken) =>
        EnqueueAsync(connection, StatusCallbackEvents.Disconnected, StatusCallbackEvents.Disconnected, cancellationToken);

    /// <summary>Which event a status change is, or null when Creatio need not hear of it.</summary>
    public static string? EventFor(string? previousStatus, string status) => (previousStatus, status) switch
    {
        (_, ConnectionStatus.ReconnectNeeded) when previousStatus != ConnectionStatus.ReconnectNeeded => StatusCallbackEvents.ReconnectNeeded,
        (ConnectionStatus.ReconnectNeeded, not ConnectionStatus.ReconnectNeeded) => StatusCallbackEvents.Recovered,
        (null, _) => StatusCallbackEvents.Connected,
        _ when previousStatus != status => StatusCallbackEvents.Connected,
        _ => null,
    };

    private async Task EnqueueAsync(Connection connection, string kind, string status, CancellationToken cancellationToken)
    {
        if (_tenants.Find(connection.TenantId)?.Options.CallbackUrl is null)
        {
            return;
        }

        var callback = new StatusCallback(Guid.NewGuid().ToString("N"), kind, connection.TenantId, connection.ConnectionId,
            connection.CreatioUserId, connection.GoogleEmail, status, connection.StatusReason, _clock.GetUtcNow());
        try
        {
            var queue = await _queue.Value;
            await queue.SendMessageAsync(JsonSerializer.Serialize(callback, StatusCallback.Json), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The flow that changed the status has already succeeded; a lost callback is logged, not thrown.
            _logger.LogError("Status callback {Event} for connection {Connection} could not be queued: {Error}",
                kind, connection.ConnectionId, e.GetType().Name);
        }
    }
}
