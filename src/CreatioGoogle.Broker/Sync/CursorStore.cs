using Azure;
using Azure.Data.Tables;
using CreatioGoogle.Broker.Storage;

namespace CreatioGoogle.Broker.Sync;

/// <summary>The <c>cursors</c> table, including the lease that keeps two runs of one job apart.</summary>
public sealed class CursorStore(BrokerTables tables, TimeProvider clock) : ISyncStateStore
{
    /// <summary>
    /// Contacts' columns from before feature state existed. A row that still has them (and no <see cref="Cursor.FeatureState"/>)
    /// gets them as its feature state, under the same names, when it is read: the next save keeps them there.
    /// </summary>
    private static readonly string[] LegacyContactsColumns =
        ["GoogleSyncToken", "CreatioModifiedSince", "GoogleGroupResourceName", "GoogleGroupName", "CreatioOwnerId"];

    public async Task<Cursor?> GetAsync(string connectionId, string feature, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Cursors, cancellationToken);
        var found = await table.GetEntityIfExistsAsync<Cursor>(connectionId, feature, cancellationToken: cancellationToken);
        if (!found.HasValue)
        {
            return null;
        }

        var cursor = found.Value!;
        if (cursor.FeatureState is null)
        {
            await MigrateLegacyColumnsAsync(table, cursor, cancellationToken);
        }

        return cursor;
    }

    private static async Task MigrateLegacyColumnsAsync(TableClient table, Cursor cursor, CancellationToken cancellationToken)
    {
        var raw = await table.GetEntityIfExistsAsync<TableEntity>(cursor.PartitionKey, cursor.RowKey, LegacyContactsColumns, cancellationToken);
        if (!raw.HasValue)
        {
            return;
        }

        var state = new System.Text.Json.Nodes.JsonObject();
        foreach (var column in LegacyContactsColumns)
        {
            if (raw.Value!.TryGetValue(column, out var value) && value is not null)
            {
                state[column] = System.Text.Json.JsonSerializer.SerializeToNode(value);
            }
        }

        if (state.Count > 0)
        {
            cursor.FeatureState = state.ToJsonString();
        }
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

    public async Task DeleteConnectionAsync(string connectionId, CancellationToken cancellationToken) =>
        await ISyncStateStore.DeletePartitionAsync(await tables.GetAsync(BrokerTables.Cursors, cancellationToken), connectionId, cancellationToken);
}
