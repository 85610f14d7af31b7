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
    SyncQueue queue,
    IEnumerable<ISyncFeature> features,
    IOptions<SyncOptions> options,
    TimeProvider clock,
    ILogger<SyncScheduler> logger)
{
    public async Task<int> ScheduleDueAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var syncable = features.Select(f => f.Feature).ToHashSet(StringComparer.Ordinal);
        var known = await cursors.GetAllAsync(cancellationToken);
        var queued = 0;
        await foreach (var connection in connections.QueryAsync(
                           $"Status ne '{ConnectionStatus.ReconnectNeeded}'", cancellationToken))
        {
            foreach (var feature in connection.Features.Where(f => syncable.Contains(f) && !connection.Missing.Contains(f)))
            {
                known.TryGetValue((connection.ConnectionId, feature), out var cursor);
                if (!IsDue(cursor, options.Value.IntervalFor(feature), now))
                {
                    continue;
                }

                // Queue first, then mark: a crash in between queues twice, and the second job finds itself covered.
                await queue.EnqueueAsync(new SyncJob(connection.TenantId, connection.ConnectionId, feature, now, "schedule"), null, cancellationToken);
                await cursors.MarkEnqueuedAsync(connection.TenantId, connection.ConnectionId, feature, now, cancellationToken);
                queued++;
            }
        }

        logger.LogInformation("Scheduled {Count} sync jobs", queued);
        return queued;
    }

    private static bool IsDue(Cursor? cursor, TimeSpan interval, DateTimeOffset now)
    {
        if (cursor is null)
        {
            return true;
        }

        // Still waiting in the queue (or running): don't pile up more; give up waiting after two intervals.
        if (cursor.EnqueuedAt is { } enqueued && (cursor.LastRunStartedAt is null || cursor.LastRunStartedAt < enqueued)
            && now - enqueued < interval * 2)
        {
            return false;
        }

        return cursor.LastRunStartedAt is not { } started || now - started >= interval;
    }
}
