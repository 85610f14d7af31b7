using Azure;
using Azure.Data.Tables;
using CreatioGoogle.Broker.Storage;

namespace CreatioGoogle.Broker.Sync;

/// <summary>The <c>links</c> table: each link under both ids, both rows written in one transaction.</summary>
public sealed class LinkStore(BrokerTables tables) : ISyncStateStore
{
    public async Task<Link?> FindByGoogleIdAsync(string connectionId, string feature, string googleId, CancellationToken cancellationToken) =>
        await FindAsync(connectionId, Link.GoogleKey(feature, googleId), cancellationToken);

    public async Task<Link?> FindByCreatioIdAsync(string connectionId, string feature, string creatioId, CancellationToken cancellationToken) =>
        await FindAsync(connectionId, Link.CreatioKey(feature, creatioId), cancellationToken);

    /// <summary>
    /// All links of a feature (for a full resync), one entry per link; with <paramref name="googleIdPrefix"/>, only
    /// links whose Google id starts with it.
    /// </summary>
    public async Task<List<Link>> ListAsync(string connectionId, string feature, CancellationToken cancellationToken, string googleIdPrefix = "")
    {
        var table = await tables.GetAsync(BrokerTables.Links, cancellationToken);
        var prefix = Link.GoogleKey(feature, googleIdPrefix);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {connectionId} and RowKey ge {prefix} and RowKey lt {prefix + '\uffff'}");
        var links = new List<Link>();
        await foreach (var link in table.QueryAsync<Link>(filter, cancellationToken: cancellationToken))
        {
            links.Add(link);
        }

        return links;
    }

    /// <summary>Creates or replaces a link under both ids; removes the rows of ids it no longer has.</summary>
    public async Task SaveAsync(Link link, Link? previous, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Links, cancellationToken);
        await table.SubmitTransactionAsync(SaveActions(link, previous), cancellationToken);
    }

    /// <summary>
    /// Saves many links (each with its previous version, or null) in as few transactions as the 100-action limit
    /// allows. Every link's rows stay in one transaction, so both lookups of a link always agree.
    /// </summary>
    public async Task SaveManyAsync(IReadOnlyCollection<(Link Link, Link? Previous)> links, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Links, cancellationToken);
        await SubmitGroupedAsync(table, links.Select(l => SaveActions(l.Link, l.Previous)), cancellationToken);
    }

    /// <summary>Deletes many links, both rows of each in one transaction.</summary>
    public async Task DeleteManyAsync(IReadOnlyCollection<Link> links, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Links, cancellationToken);
        await SubmitGroupedAsync(table, links.Select(DeleteActions), cancellationToken);
    }

    private static async Task SubmitGroupedAsync(TableClient table, IEnumerable<List<TableTransactionAction>> perLink, CancellationToken cancellationToken)
    {
        const int MaxActions = 100;
        var batch = new List<TableTransactionAction>(MaxActions);
        foreach (var actions in perLink)
        {
            if (batch.Count + actions.Count > MaxActions)
            {
                await table.SubmitTransactionAsync(batch, cancellationToken);
                batch = new List<TableTransactionAction>(MaxActions);
            }

            batch.AddRange(actions);
        }

        if (batch.Count > 0)
        {
            await table.SubmitTransactionAsync(batch, cancellationToken);
        }
    }

    private static List<TableTransactionAction> SaveActions(Link link, Link? previous)
    {
        var actions = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.UpsertReplace, Copy(link, Link.GoogleKey(link.Feature, link.GoogleId))),
            new(TableTransactionActionType.UpsertReplace, Copy(link, Link.CreatioKey(link.Feature, link.CreatioId))),
        };
        if (previous is not null && previous.GoogleId != link.GoogleId)
        {
            actions.Add(new(TableTransactionActionType.Delete, Keys(link.PartitionKey, Link.GoogleKey(previous.Feature, previous.GoogleId))));
        }

        if (previous is not null && previous.CreatioId != link.CreatioId)
        {
            actions.Add(new(TableTransactionActionType.Delete, Keys(link.PartitionKey, Link.CreatioKey(previous.Feature, previous.CreatioId))));
        }

        return actions;
    }

    private static List<TableTransactionAction> DeleteActions(Link link) =>
    [
        new(TableTransactionActionType.Delete, Keys(link.PartitionKey, Link.GoogleKey(link.Feature, link.GoogleId))),
        new(TableTransactionActionType.Delete, Keys(link.PartitionKey, Link.CreatioKey(link.Feature, link.CreatioId))),
    ];

    public async Task DeleteAsync(Link link, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Links, cancellationToken);
        await table.SubmitTransactionAsync(DeleteActions(link), cancellationToken);
    }

    public async Task DeleteConnectionAsync(string connectionId, CancellationToken cancellationToken) =>
        await ISyncStateStore.DeletePartitionAsync(await tables.GetAsync(BrokerTables.Links, cancellationToken), connectionId, cancellationToken);

    private async Task<Link?> FindAsync(string connectionId, string rowKey, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Links, cancellationToken);
        var found = await table.GetEntityIfExistsAsync<Link>(connectionId, rowKey, cancellationToken: cancellationToken);
        return found.HasValue ? found.Value : null;
    }

    private static Link Copy(Link link, string rowKey) => new()
    {
        PartitionKey = link.PartitionKey,
        RowKey = rowKey,
        Feature = link.Feature,
        GoogleId = link.GoogleId,
        CreatioId = link.CreatioId,
        GoogleEtag = link.GoogleEtag,
        CreatioModifiedOn = link.CreatioModifiedOn,
        ContentHash = link.ContentHash,
        LastSyncedAt = link.LastSyncedAt,
        GoneSide = link.GoneSide,
    };

    private static TableEntity Keys(string partitionKey, string rowKey) => new(partitionKey, rowKey) { ETag = ETag.All };
}
