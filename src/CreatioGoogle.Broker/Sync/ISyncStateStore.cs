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

    /// <summary>Deletes every row of one partition, 100 per table transaction.</summary>
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
                await table.SubmitTransactionAsync(batch, cancellationToken);
                batch.Clear();
            }
        }

        if (batch.Count > 0)
        {
            await table.SubmitTransactionAsync(batch, cancellationToken);
        }
    }
}
