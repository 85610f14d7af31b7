using Azure;
using Azure.Data.Tables;

namespace CreatioGoogle.Broker.Sync;

/// <summary>
/// A store of per-connection sync state (cursors, links, and push channels later). Each deletes its own rows when the
/// connection is disconnected; register it as an <see cref="ISyncStateStore"/> and the disconnect finds it.
/// </summary>
public interface ISyncStateStore
{
    Task DeleteConnectionAsync(string connectionId, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes every row of one partition, 100 per table transaction. Safe to repeat and to run twice at once: when a
    /// row is gone already (a concurrent disconnect deleted it, and a transaction fails whole) each row of that batch is
    /// deleted on its own, a missing one counting as deleted.
    /// </summary>
    public static async Task DeletePartitionAsync(TableClient table, string partitionKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        var batch = new List<TableTransactionAction>();
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey}"),
                           select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            batch.Add(new TableTransactionAction(TableTransactionActionType.Delete, row, ETag.All));
            if (batch.Count == 100)
            {
                await DeleteRowsAsync(table, batch, cancellationToken);
                batch.Clear();
            }
        }

        if (batch.Count > 0)
        {
            await DeleteRowsAsync(table, batch, cancellationToken);
        }
    }

    private static async Task DeleteRowsAsync(TableClient table, List<TableTransactionAction> batch, CancellationToken cancellationToken)
    {
        try
        {
            await table.SubmitTransactionAsync(batch, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            foreach (var action in batch)
            {
                try
                {
                    await table.DeleteEntityAsync(action.Entity.PartitionKey, action.Entity.RowKey, ETag.All, cancellationToken);
                }
                catch (RequestFailedException gone) when (gone.Status == 404)
                {
                    // Deleted by the other call.
                }
            }
        }
    }
}
