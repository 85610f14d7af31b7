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

    /// <summary>Every cursor and every queue mark (<see cref="Cursor.EnqueuedAt"/>), for the scheduler's one scan.</summary>
    public async Task<(Dictionary<(string ConnectionId, string Feature), Cursor> Cursors, Dictionary<(string ConnectionId, string Feature), DateTimeOffset> Queued)>
        GetAllAsync(CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Cursors, cancellationToken);
        var cursors = new Dictionary<(string, string), Cursor>();
        var queued = new Dictionary<(string, string), DateTimeOffset>();
        await foreach (var row in table.QueryAsync<Cursor>(cancellationToken: cancellationToken))
        {
            if (!row.RowKey.StartsWith(Cursor.QueueMarkPrefix, StringComparison.Ordinal))
            {
                cursors[(row.PartitionKey, row.RowKey)] = row;
            }
            else if (row.EnqueuedAt is { } at)
            {
                queued[(row.PartitionKey, row.RowKey[Cursor.QueueMarkPrefix.Length..])] = at;
            }
        }

        return (cursors, queued);
    }

    /// <summary>
    /// True when a job for (connection, feature) is waiting: queued at <paramref name="queuedAt"/>, no run started since, and
    /// not so long ago (<paramref name="giveUpAfter"/>) that it must have been lost.
    /// </summary>
    public static bool IsWaiting(DateTimeOffset? queuedAt, Cursor? cursor, DateTimeOffset now, TimeSpan giveUpAfter) =>
        queuedAt is { } at && (cursor?.LastRunStartedAt is not { } started || started < at) && now - at < giveUpAfter;

    /// <summary>
    /// Claims the right to queue a job for (connection, feature): false when one is waiting (<see cref="IsWaiting"/>) or another
    /// caller claimed it a moment ago (the mark is written with its ETag, so of a burst of callers exactly one wins).
    /// </summary>
    public async Task<bool> TryMarkQueuedAsync(string tenantId, string connectionId, string feature, DateTimeOffset at, TimeSpan giveUpAfter,
        CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Cursors, cancellationToken);
        var mark = await table.GetEntityIfExistsAsync<Cursor>(connectionId, Cursor.QueueMarkKey(feature), cancellationToken: cancellationToken);
        var cursor = await table.GetEntityIfExistsAsync<Cursor>(connectionId, feature, ["LastRunStartedAt"], cancellationToken);
        if (IsWaiting(mark.HasValue ? mark.Value!.EnqueuedAt : null, cursor.HasValue ? cursor.Value : null, at, giveUpAfter))
        {
            return false;
        }

        var row = new Cursor { PartitionKey = connectionId, RowKey = Cursor.QueueMarkKey(feature), TenantId = tenantId, EnqueuedAt = at };
        try
        {
            if (mark.HasValue)
            {
                await table.UpdateEntityAsync(row, mark.Value!.ETag, TableUpdateMode.Replace, cancellationToken);
            }
            else
            {
                await table.AddEntityAsync(row, cancellationToken);
            }

            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
    }

    /// <summary>Takes a mark back (its job could not be queued), so the next request is not held up by it.</summary>
    public async Task ClearQueueMarkAsync(string connectionId, string feature, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Cursors, cancellationToken);
        await table.DeleteEntityAsync(connectionId, Cursor.QueueMarkKey(feature), ETag.All, cancellationToken);
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

    public async Task DeleteConnectionAsync(string connectionId, CancellationToken cancellationToken) =>
        await ISyncStateStore.DeletePartitionAsync(await tables.GetAsync(BrokerTables.Cursors, cancellationToken), connectionId, cancellationToken);
}
