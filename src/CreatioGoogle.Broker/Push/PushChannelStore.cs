using Azure;
using Azure.Data.Tables;
using CreatioGoogle.Broker.Storage;
using CreatioGoogle.Broker.Sync;

namespace CreatioGoogle.Broker.Push;

/// <summary>
/// The <c>channels</c> table (see <see cref="PushChannel"/>). The lookup row is written before the connection's row and deleted
/// before it, so a notification is never accepted for a channel the connection no longer lists; a crash in between leaves a
/// connection row without lookup, which the renewal timer stops and deletes.
/// </summary>
public sealed class PushChannelStore(BrokerTables tables) : ISyncStateStore
{
    public async Task SaveAsync(PushChannel channel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var table = await tables.GetAsync(BrokerTables.Channels, cancellationToken);
        await table.UpsertEntityAsync(channel.At(PushChannel.LookupPartitionKey(channel.ChannelId), ""), TableUpdateMode.Replace, cancellationToken);
        await table.UpsertEntityAsync(channel.At(channel.ConnectionId, PushChannel.ConnectionRowKey(channel.Feature, channel.ChannelId)), TableUpdateMode.Replace,
            cancellationToken);
    }

    /// <summary>The channel a notification names, or null.</summary>
    public async Task<PushChannel?> FindAsync(string channelId, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Channels, cancellationToken);
        var found = await table.GetEntityIfExistsAsync<PushChannel>(PushChannel.LookupPartitionKey(channelId), "", cancellationToken: cancellationToken);
        return found.HasValue ? found.Value : null;
    }

    /// <summary>One connection's channels (of one feature, when given).</summary>
    public async Task<List<PushChannel>> ListAsync(string connectionId, string? feature, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Channels, cancellationToken);
        var filter = feature is null
            ? TableClient.CreateQueryFilter($"PartitionKey eq {connectionId}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {connectionId} and RowKey ge {feature + "|"} and RowKey lt {feature + "}"}");
        return await ToListAsync(table.QueryAsync<PushChannel>(filter, cancellationToken: cancellationToken));
    }

    /// <summary>Every connection's channels of <paramref name="feature"/> (the renewal timer's one scan).</summary>
    public async Task<List<PushChannel>> ListAllAsync(string feature, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Channels, cancellationToken);
        var rows = await ToListAsync(table.QueryAsync<PushChannel>(TableClient.CreateQueryFilter($"Feature eq {feature}"), cancellationToken: cancellationToken));
        return [.. rows.Where(r => !r.IsLookup)];
    }

    public async Task DeleteAsync(PushChannel channel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var table = await tables.GetAsync(BrokerTables.Channels, cancellationToken);
        await table.DeleteEntityAsync(PushChannel.LookupPartitionKey(channel.ChannelId), "", ETag.All, cancellationToken);
        await table.DeleteEntityAsync(channel.ConnectionId, PushChannel.ConnectionRowKey(channel.Feature, channel.ChannelId), ETag.All, cancellationToken);
    }

    public async Task DeleteConnectionAsync(string connectionId, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Channels, cancellationToken);
        foreach (var channel in await ListAsync(connectionId, null, cancellationToken))
        {
            await table.DeleteEntityAsync(PushChannel.LookupPartitionKey(channel.ChannelId), "", ETag.All, cancellationToken);
        }

        await ISyncStateStore.DeletePartitionAsync(table, connectionId, cancellationToken);
    }

    private static async Task<List<PushChannel>> ToListAsync(AsyncPageable<PushChannel> rows)
    {
        var list = new List<PushChannel>();
        await foreach (var row in rows)
        {
            list.Add(row);
        }

        return list;
    }
}
