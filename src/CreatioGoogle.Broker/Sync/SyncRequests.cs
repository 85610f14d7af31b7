using Microsoft.Extensions.Options;

namespace CreatioGoogle.Broker.Sync;

/// <summary>
/// The one way to ask for a sync of a (connection, feature) without piling jobs up, for every feature and every reason:
/// the <c>ScheduleSyncs</c> timer and push notifications both come here. A job is queued unless one is already waiting
/// (queued, and no run started since); a burst of requests makes one job. A request that arrives while a run is going
/// queues the next one, so a change made after the run listed is not missed.
/// </summary>
public sealed class SyncRequests(CursorStore cursors, SyncQueue queue, IOptions<SyncOptions> options, TimeProvider clock)
{
    /// <summary>True when a job was queued; false when one was waiting already.</summary>
    public async Task<bool> RequestAsync(string tenantId, string connectionId, string feature, string reason, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();

        // A job queued but never run (lost) stops holding the mark after two intervals: the schedule queues another.
        if (!await cursors.TryMarkQueuedAsync(tenantId, connectionId, feature, now, options.Value.IntervalFor(feature) * 2, cancellationToken))
        {
            return false;
        }

        try
        {
            await queue.EnqueueAsync(new SyncJob(tenantId, connectionId, feature, now, reason), null, cancellationToken);
            return true;
        }
        catch
        {
            await cursors.ClearQueueMarkAsync(connectionId, feature, CancellationToken.None);
            throw;
        }
    }
}
