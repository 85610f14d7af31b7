using CreatioGoogle.Broker.Connections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CreatioGoogle.Broker.Sync;

/// <summary>
/// The <c>ScheduleSyncs</c> timer: one queue message per (connection, feature) that is due. A connection that
/// needs reconnecting, or lacks the feature's scope, is skipped.
/// </summary>
public sealed class SyncScheduler(
    ConnectionStore connections,
    CursorStore cursors,
    SyncRequests requests,
    IEnumerable<ISyncFeature> features,
    IOptions<SyncOptions> options,
    TimeProvider clock,
    ILogger<SyncScheduler> logger)
{
    public async Task<int> ScheduleDueAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var syncable = features.Select(f => f.Feature).ToHashSet(StringComparer.Ordinal);
        var (known, marks) = await cursors.GetAllAsync(cancellationToken);
        var queued = 0;
        await foreach (var connection in connections.QueryAsync(
                           $"Status ne '{ConnectionStatus.ReconnectNeeded}'", cancellationToken))
        {
            foreach (var feature in connection.Features.Where(f => syncable.Contains(f) && !connection.Missing.Contains(f)))
            {
                known.TryGetValue((connection.ConnectionId, feature), out var cursor);
                var interval = options.Value.IntervalFor(feature);
                if (!IsDue(cursor, marks.TryGetValue((connection.ConnectionId, feature), out var mark) ? mark : null, interval, now))
                {
                    continue;
                }

                if (await requests.RequestAsync(connection.TenantId, connection.ConnectionId, feature, "schedule", cancellationToken))
                {
                    queued++;
                }
            }
        }

        logger.LogInformation("Scheduled {Count} sync jobs", queued);
        return queued;
    }

    private static bool IsDue(Cursor? cursor, DateTimeOffset? queuedAt, TimeSpan interval, DateTimeOffset now)
    {
        // Still waiting in the queue: don't pile up more; give up waiting after two intervals.
        if (CursorStore.IsWaiting(queuedAt, cursor, now, interval * 2))
        {
            return false;
        }

        return cursor?.LastRunStartedAt is not { } started || now - started >= interval;
    }
}
