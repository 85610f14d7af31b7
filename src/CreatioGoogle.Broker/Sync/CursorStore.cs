using Azure;
using Azure.Data.Tables;
using CreatioGoogle.Broker.Storage;

namespace CreatioGoogle.Broker.Sync;

/// <summary>The <c>cursors</c> table, including the lease that keeps two runs of one job apart.</summary>
public sealed class CursorStore(BrokerTables tables, TimeProvider clock)
{
    public async Task<Cursor?> GetAsync(string connectionId, string feature, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Cursors, cancellationToken);
        var found = await table.GetEntityIfExistsAsync<Cursor>(connectionId, feature, cancellationToken: cancellationToken);
        return found.HasValue ? found.Value : null;
    }

    /// <summary>Every cursor, for the scheduler's one scan.</summary>
    public async Task<Dictionary<(string ConnectionId, string Feature), Cursor>> GetAllAsync(CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Cursors, cancellationToken);
        var all = new Dictionary<(string, string), Cursor>();
        await foreach (var cursor in table.QueryAsync<Cursor>(cancellationToken: cancellationToken))
        {
            all[(cursor.PartitionKey, cursor.RowKey)] = cursor;
        }

        return all;
    }

    /// <summary>
    /// Takes the job's lease with an ETag-conditional write. Null when another run holds it; of two instances
    /// racing for a free lease, exactly one wins.
    /// </summary>
    /// <param name="cursor">The cursor as just read (null when there is none yet); its ETag guards the write.</param>
    public async Task<Cursor?> TryAcquireAsync(SyncJob job, Cursor? cursor, TimeSpan leaseDuration, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Cursors, cancellationToken);
        var now = clock.GetUtcNow();
        if (cursor is not null && cursor.LeaseUntil > now && cursor.LeaseOwner != job.JobId)
        {
            return null;
        }

        cursor ??= new Cursor { PartitionKey = job.ConnectionId, RowKey = job.Feature, TenantId = job.TenantId };
        cursor.LeaseOwner = job.JobId;
        cursor.LeaseUntil = now + leaseDuration;
        cursor.LastRunStartedAt = now;
        try
        {
            var response = cursor.ETag == default
                ? await table.AddEntityAsync(cursor, cancellationToken)
                : await table.UpdateEntityAsync(cursor, cursor.ETag, TableUpdateMode.Replace, cancellationToken);
            cursor.ETag = response.Headers.ETag ?? default;
            return cursor;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return null;
        }
    }

    /// <summary>Writes the cursor while still holding the lease; fails if someone else took it meanwhile.</summary>
    public async Task SaveHeldAsync(Cursor cursor, bool release, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Cursors, cancellationToken);
        if (release)
        {
            cursor.LeaseOwner = null;
            cursor.LeaseUntil = null;
        }

        var response = await table.UpdateEntityAsync(cursor, cursor.ETag, TableUpdateMode.Replace, cancellationToken);
        cursor.ETag = response.Headers.ETag ?? default;
    }

    /// <summary>Notes that a job was queued (merge: never disturbs a run in progress).</summary>
    public async Task MarkEnqueuedAsync(string tenantId, string connectionId, string feature, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Cursors, cancellationToken);
        var entity = new TableEntity(connectionId, feature) { ["TenantId"] = tenantId, ["EnqueuedAt"] = at };
        await table.UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken);
    }

    public async Task DeleteConnectionAsync(string connectionId, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Cursors, cancellationToken);
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {connectionId}"),
                           select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            await table.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken);
        }
    }
}
