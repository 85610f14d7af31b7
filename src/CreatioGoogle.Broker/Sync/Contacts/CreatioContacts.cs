using System.Text.Json.Nodes;
using CreatioGoogle.Broker.Creatio;
using CreatioGoogle.Broker.Google.People;
using Microsoft.Extensions.Logging;

namespace CreatioGoogle.Broker.Sync.Contacts;

/// <summary>
/// The Creatio side of the contacts sync: the <c>Contact</c> rows the connected user owns, through OData. A contact
/// created from Google gets an id derived from the Google resource name, so a run that died after the create finds it
/// by id ("already exists") instead of creating another; no intent is needed on this side.
/// </summary>
internal sealed class CreatioContacts(ICreatioClient creatio, SyncContext context, ContactsState state, int pageSize, DateTimeOffset startedAt,
    ILogger logger) : ISyncSide<JsonObject, Person>
{
    public const string Collection = "Contact";
    private const int BatchSize = 100;

    /// <summary>Creatio's clock and ours differ; a cursor that has seen no row starts this far back.</summary>
    private static readonly TimeSpan ClockSkewMargin = TimeSpan.FromMinutes(5);

    public SideBatchLimits Limits { get; } = new(BatchSize, BatchSize, BatchSize);

    public bool UpdatesNeedCurrent => false;

    public bool AssignsIds => false;

    public async Task<SideChanges<JsonObject>> ListChangesAsync(bool full, CancellationToken cancellationToken)
    {
        var owner = await OwnerAsync(cancellationToken);
        var since = full ? null : state.CreatioModifiedSince;

        // ModifiedOn at or after the cursor, in a stable order; everything the owner has when full.
        var query = new CreatioQuery(Collection)
        {
            Filter = CreatioFilter.And(CreatioFilter.Equal("OwnerId", owner), since is { } s ? CreatioFilter.ModifiedSince(s) : null),
            Select = ContactMapping.CreatioColumns,
            OrderBy = "ModifiedOn asc,Id asc",
            PageSize = pageSize,
        };
        var items = new Dictionary<string, SyncItem<JsonObject>>(StringComparer.OrdinalIgnoreCase);
        DateTimeOffset? max = null;
        await foreach (var page in creatio.QueryPagesAsync(query, cancellationToken))
        {
            foreach (var row in page.Rows)
            {
                var item = Item(row, owner);
                items[item.Id] = item;
                if (item.ModifiedAt > max || max is null)
                {
                    max = item.ModifiedAt;
                }
            }

            await context.RenewLeaseAsync(cancellationToken);
        }

        // Deletions are invisible to a ModifiedOn query: a full listing shows them by absence.
        return new SideChanges<JsonObject>
        {
            Full = since is null,
            Items = [.. items.Values],
            Commit = () => state.CreatioModifiedSince = max ?? state.CreatioModifiedSince ?? startedAt - ClockSkewMargin,
        };
    }

    public async Task<IReadOnlyDictionary<string, SyncItem<JsonObject>>> GetManyAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        var owner = await OwnerAsync(cancellationToken);
        var found = new Dictionary<string, SyncItem<JsonObject>>(StringComparer.OrdinalIgnoreCase);
        foreach (var id in ids)
        {
            if (Guid.TryParse(id, out var guid) && await creatio.GetByIdAsync(Collection, guid, ContactMapping.CreatioColumns, cancellationToken) is { } row)
            {
                found[id] = Item(row, owner);
            }
        }

        return found;
    }

    public Task<IReadOnlyDictionary<string, SyncItem<JsonObject>>> FindByStampAsync(IReadOnlyCollection<string> otherIds, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, SyncItem<JsonObject>>>(new Dictionary<string, SyncItem<JsonObject>>());

    public string? DerivedIdFor(SyncItem<Person> source) => CreatioIdFor(context.Connection.ConnectionId, source.Id).ToString("D");

    public async Task<IReadOnlyList<WriteResult<JsonObject>>> CreateAsync(IReadOnlyList<SyncItem<Person>> sources, CancellationToken cancellationToken)
    {
        var owner = await OwnerAsync(cancellationToken);
        var byId = sources.ToDictionary(s => CreatioIdFor(context.Connection.ConnectionId, s.Id));
        var operations = byId.Select(kv => CreatioBatchOperation.Create(Collection, WithOwner(ContactMapping.ToCreatio(ContactMapping.FromGoogle(kv.Value.Native)), owner), kv.Key)).ToList();
        var results = new List<WriteResult<JsonObject>>(sources.Count);
        foreach (var result in await creatio.ExecuteBatchAsync(operations, cancellationToken))
        {
            var source = byId[result.Operation.Id];
            if (result.Succeeded)
            {
                var row = result.Entity ?? ContactMapping.ToCreatio(ContactMapping.FromGoogle(source.Native));
                row["Id"] = result.Operation.Id.ToString("D");
                results.Add(new(source.Id, WriteOutcome.Done, Item(row, owner)));
            }
            else if (await creatio.GetByIdAsync(Collection, result.Operation.Id, ContactMapping.CreatioColumns, cancellationToken) is { } existing)
            {
                // It exists already: made by a run that died before linking it, but not listed this run.
                results.Add(existing.GetGuid("OwnerId") == owner
                    ? new(source.Id, WriteOutcome.AlreadyExists, Item(existing, owner))
                    : new(source.Id, WriteOutcome.Skipped, Error: $"Creatio contact {result.Operation.Id} for a Google contact exists with another owner: left unlinked"));
            }
            else
            {
                results.Add(new(source.Id, WriteOutcome.Failed, Error: $"Creatio create {result.Operation.Id}: HTTP {result.StatusCode} {result.ErrorMessage}"));
            }
        }

        return results;
    }

    public async Task<IReadOnlyList<WriteResult<JsonObject>>> UpdateAsync(IReadOnlyList<SideUpdate<JsonObject, Person>> updates, CancellationToken cancellationToken)
    {
        var operations = updates.Select(u => CreatioBatchOperation.Update(Collection, Guid.Parse(u.Current.Id),
            ContactMapping.ToCreatio(ContactMapping.FromGoogle(u.Source.Native)))).ToList();

        // A PATCH answers 204 without ModifiedOn: no item, the engine keeps the version it read (the echo refreshes it).
        return [.. (await creatio.ExecuteBatchAsync(operations, cancellationToken)).Select(r => new WriteResult<JsonObject>(r.Operation.Id.ToString("D"),
            r.Succeeded ? WriteOutcome.Done : r.StatusCode == 404 ? WriteOutcome.Gone : WriteOutcome.Failed,
            Error: r.Succeeded ? null : $"HTTP {r.StatusCode} {r.ErrorMessage}"))];
    }

    public async Task<IReadOnlyList<WriteResult<JsonObject>>> DeleteAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var operations = ids.Select(id => CreatioBatchOperation.Delete(Collection, Guid.Parse(id))).ToList();
        return [.. (await creatio.ExecuteBatchAsync(operations, cancellationToken)).Select(r => new WriteResult<JsonObject>(r.Operation.Id.ToString("D"),
            r.Succeeded ? WriteOutcome.Done : r.StatusCode == 404 ? WriteOutcome.Gone : WriteOutcome.Failed,
            Error: r.Succeeded ? null : $"HTTP {r.StatusCode} {r.ErrorMessage}"))];
    }

    /// <summary>
    /// The id a Creatio contact created from this Google contact gets: derived, so a re-run after a crash between the
    /// Creatio create and the link finds the contact instead of creating another.
    /// </summary>
    public static Guid CreatioIdFor(string connectionId, string googleResourceName) => DerivedIds.Guid($"contacts|{connectionId}|{googleResourceName}");

    private async Task<Guid> OwnerAsync(CancellationToken ct)
    {
        if (state.CreatioOwnerId is { } known && known != Guid.Empty)
        {
            return known;
        }

        var contactId = await CreatioUsers.ContactOfAsync(creatio, context.Connection.CreatioUserId, ct);
        logger.LogDebug("Creatio owner of {Connection} is contact {Owner}", context.Connection.ConnectionId, contactId);
        state.CreatioOwnerId = contactId;
        return contactId;
    }

    private static SyncItem<JsonObject> Item(JsonObject row, Guid owner) => new()
    {
        Id = row.GetGuid("Id").ToString("D"),
        ModifiedAt = row.GetDateTime("ModifiedOn"),
        Hash = ContactMapping.FromCreatio(row).Hash(),
        // a row without OwnerId is one just written by us (its answer), hence ours
        InScope = row["OwnerId"] is null || row.GetGuid("OwnerId") == owner,
        Native = row,
    };

    private static JsonObject WithOwner(JsonObject columns, Guid owner)
    {
        columns["OwnerId"] = owner.ToString("D");
        return columns;
    }
}
