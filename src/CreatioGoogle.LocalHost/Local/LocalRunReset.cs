using System.Reflection;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using CreatioGoogle.Broker.Storage;
using CreatioGoogle.LocalHost.Hosting;

namespace CreatioGoogle.LocalHost.Local;

/// <summary>
/// A local run with the sandbox Google starts clean. The sandboxes keep their grants, contacts and users in memory,
/// so a restart gives a new Google with no grants and a new Creatio with new ids: every connection Azurite kept from the
/// last run would only fail (invalid_grant, sync errors). Persisting every simulator's state instead would be a format
/// to keep up with each simulator change, and could still disagree with Azurite after a crash; starting clean is
/// consistent by construction and costs one reconnect on the try page. Tenants and secrets are kept.
/// </summary>
internal static class LocalRunReset
{
    /// <summary>Tables that do not depend on the sandboxes' state.</summary>
    private static readonly HashSet<string> Kept = new(StringComparer.Ordinal) { "tenants" };

    /// <summary>Deletes the broker's connection-bound rows and queued messages; returns how many connections were forgotten.</summary>
    public static async Task<int> ClearAsync(IServiceProvider services, IConfiguration configuration, CancellationToken cancellationToken)
    {
        var tables = services.GetRequiredService<BrokerTables>();
        var forgotten = 0;
        // Every table the broker names (a feature's new table included), so nothing of the last run is left to trip over.
        foreach (var name in typeof(BrokerTables).GetFields(BindingFlags.Public | BindingFlags.Static)
                     .Where(f => f is { IsLiteral: true } && f.FieldType == typeof(string))
                     .Select(f => (string)f.GetRawConstantValue()!)
                     .Where(n => !Kept.Contains(n)))
        {
            var table = await tables.GetAsync(name, cancellationToken);
            await foreach (var row in table.QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
            {
                await table.DeleteEntityAsync(row.PartitionKey, row.RowKey, Azure.ETag.All, cancellationToken);
                forgotten += name == BrokerTables.Connections ? 1 : 0;
            }
        }

        var queues = services.GetRequiredService<StorageAccount>().CreateQueueServiceClient();
        foreach (var function in services.GetRequiredService<FunctionCatalog>().Queues)
        {
            var queueName = LocalFunctionHost.Resolve(function.QueueName, configuration, function);
            foreach (var name in (string[])[queueName, queueName + "-poison"])
            {
                var queue = queues.GetQueueClient(name);
                if (await queue.ExistsAsync(cancellationToken))
                {
                    await queue.ClearMessagesAsync(cancellationToken);
                }
            }
        }

        return forgotten;
    }
}
