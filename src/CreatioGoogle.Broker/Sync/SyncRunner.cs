using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Tenants;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CreatioGoogle.Broker.Sync;

public enum SyncRunOutcome
{
    Completed,

    /// <summary>A run that started after this job was requested already covered it.</summary>
    AlreadyCovered,

    /// <summary>Another run holds the job; it was queued again for later.</summary>
    Deferred,

    /// <summary>The connection is gone, needs reconnecting, or lacks the feature's scope.</summary>
    Skipped,

    /// <summary>Google refused the grant during the run: nothing more can be synced until the user connects again (the cursor says so).</summary>
    ReconnectNeeded,
}

/// <summary>
/// Runs one queued sync job (the <c>RunSync</c> queue trigger): takes the (connection, feature) lease, calls the
/// feature, saves the cursor last. A failure is recorded on the cursor and rethrown so the queue retries it and,
/// after five attempts, moves it to the poison queue.
/// </summary>
public sealed class SyncRunner(
    IEnumerable<ISyncFeature> features,
    CursorStore cursors,
    ConnectionStore connections,
    TenantAuthenticator tenants,
    SyncQueue queue,
    IOptions<SyncOptions> options,
    TimeProvider clock,
    ILogger<SyncRunner> logger)
{
    public async Task<SyncRunOutcome> RunAsync(SyncJob job, CancellationToken cancellationToken)
    {
        var feature = features.FirstOrDefault(f => f.Feature == job.Feature);
        var connection = await connections.GetAsync(job.TenantId, job.ConnectionId, cancellationToken);
        var tenant = tenants.Find(job.TenantId);
        if (feature is null || connection is null || tenant is null
            || connection.Status == ConnectionStatus.ReconnectNeeded || connection.Missing.Contains(job.Feature)
            || !connection.Features.Contains(job.Feature))
        {
            logger.LogInformation("Sync job {Job} for {Connection}/{Feature} skipped: nothing to sync", job.JobId, job.ConnectionId, job.Feature);
            return SyncRunOutcome.Skipped;
        }

        var existing = await cursors.GetAsync(job.ConnectionId, job.Feature, cancellationToken);
        if (existing?.LastRunStartedAt > job.RequestedAt && existing.LeaseOwner is null)
        {
            return SyncRunOutcome.AlreadyCovered;
        }

        var cursor = await cursors.TryAcquireAsync(job, existing, options.Value.LeaseDuration, cancellationToken);
        if (cursor is null)
        {
            // Never two runs of one job at once: try again after the running one.
            await queue.EnqueueAsync(job, options.Value.BusyRetryDelay, cancellationToken);
            logger.LogInformation("Sync job {Job} for {Connection}/{Feature} deferred: another run holds it", job.JobId, job.ConnectionId, job.Feature);
            return SyncRunOutcome.Deferred;
        }

        try
        {
            var context = new SyncContext(tenant, connection, cursor, ct => RenewAsync(cursor, ct));
            var summary = await feature.SyncAsync(context, cancellationToken);
            cursor.LastSuccessAt = clock.GetUtcNow();
            cursor.LastError = null;
            cursor.ConsecutiveFailures = 0;
            cursor.LastRunSummary = summary;
            await cursors.SaveHeldAsync(cursor, release: true, cancellationToken);
            logger.LogInformation("Sync {Connection}/{Feature} done: {Summary}", job.ConnectionId, job.Feature, summary);
            return SyncRunOutcome.Completed;
        }
        catch (Google.GoogleReconnectNeededException dead)
        {
            // A result, not a failure: retrying cannot help, and the user is told by the status callback of the token refresh.
            await RecordOnCursorAsync(job, "Reconnect needed: " + dead.Message, countFailure: false, cancellationToken);
            logger.LogInformation("Sync {Connection}/{Feature} stopped: the connection needs reconnecting", job.ConnectionId, job.Feature);
            return SyncRunOutcome.ReconnectNeeded;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError("Sync {Connection}/{Feature} failed: {ErrorType}: {Message}", job.ConnectionId, job.Feature, e.GetType().Name, e.Message);
            await RecordOnCursorAsync(job, $"{e.GetType().Name}: {e.Message}", countFailure: true, cancellationToken);
            throw;
        }
    }

    private async Task RenewAsync(Cursor cursor, CancellationToken cancellationToken)
    {
        // Features call this after every page and write batch; a write is only worth it once a third of the lease is used.
        var now = clock.GetUtcNow();
        if (cursor.LeaseUntil - now > options.Value.LeaseDuration * 2 / 3)
        {
            return;
        }

        cursor.LeaseUntil = now + options.Value.LeaseDuration;
        await cursors.SaveHeldAsync(cursor, release: false, cancellationToken);
    }

    /// <summary>Keeps the cursor's position (the changes were not all applied), notes why, and releases the job.</summary>
    private async Task RecordOnCursorAsync(SyncJob job, string error, bool countFailure, CancellationToken cancellationToken)
    {
        try
        {
            var fresh = await cursors.GetAsync(job.ConnectionId, job.Feature, cancellationToken);
            if (fresh is null || fresh.LeaseOwner != job.JobId)
            {
                return;
            }

            fresh.LastError = error;
            fresh.LastErrorAt = clock.GetUtcNow();
            if (countFailure)
            {
                fresh.ConsecutiveFailures++;
            }

            await cursors.SaveHeldAsync(fresh, release: true, cancellationToken);
        }
        catch (Exception e) when (e is Azure.RequestFailedException)
        {
            logger.LogWarning("Could not record the failure on the cursor of {Connection}/{Feature}", job.ConnectionId, job.Feature);
        }
    }
}
