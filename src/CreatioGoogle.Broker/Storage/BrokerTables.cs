using System.Collections.Concurrent;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace CreatioGoogle.Broker.Storage;

/// <summary>The broker's tables (see design.md, "Storage"), each created on first use.</summary>
public sealed class BrokerTables(StorageAccount account, IOptions<StorageOptions> options)
{
    public const string Connections = "connections";
    public const string AuthStates = "authstates";
    public const string Cursors = "cursors";
    public const string Links = "links";
    public const string Revocations = "revocations";
    public const string Channels = "channels";

    private readonly TableServiceClient _service = account.CreateTableServiceClient();
    private readonly ConcurrentDictionary<string, Lazy<Task<TableClient>>> _tables = new();

    public Task<TableClient> GetAsync(string table, CancellationToken cancellationToken) =>
        _tables.GetOrAdd(table, name => new Lazy<Task<TableClient>>(() => CreateAsync(name))).Value.WaitAsync(cancellationToken);

    // Not tied to one caller's token: the table is shared by every later caller.
    private async Task<TableClient> CreateAsync(string table)
    {
        var client = _service.GetTableClient(options.Value.TablePrefix + table);
        await client.CreateIfNotExistsAsync();
        return client;
    }
}
