using System.Net;
using System.Text.Json.Nodes;
using CreatioGoogle.Broker.Google;
using CreatioGoogle.Broker.Google.People;
using Microsoft.Extensions.Logging;

namespace CreatioGoogle.Broker.Sync.Contacts;

/// <summary>
/// The Google side of the contacts sync: the members of one contact group, through the People API. Google assigns
/// resource names, so every contact this side creates carries the Creatio id in clientData (the stamp), and resource
/// names can change (followed through <c>previousResourceNames</c> and batchGet's <c>requestedResourceName</c>).
/// </summary>
internal sealed class PeopleContacts(GooglePeopleClient people, SyncContext context, ContactsState state, string groupName, ILogger logger)
    : ISyncSide<Person, JsonObject>
{
    /// <summary>The most members one group read returns (the stamp lookup after a crash). ⚠ Google's own cap is not documented.</summary>
    private const int MaxGroupMembers = 100_000;

    private readonly HashSet<string> _listed = new(StringComparer.Ordinal);
    private string TenantId => context.Tenant.Id;
    private string ConnectionId => context.Connection.ConnectionId;

    public SideBatchLimits Limits { get; } = new(GooglePeopleClient.MaxBatchCreate, GooglePeopleClient.MaxBatchUpdate, GooglePeopleClient.MaxBatchDelete);

    public bool UpdatesNeedCurrent => true;

    public bool AssignsIds => true;

    public async Task<SideChanges<Person>> ListChangesAsync(bool full, CancellationToken cancellationToken)
    {
        var group = await GroupAsync(cancellationToken);
        var token = full ? null : state.GoogleSyncToken;
        try
        {
            return await ListAsync(group, token, cancellationToken);
        }
        catch (GoogleApiException e) when (token is not null && e.IsRejectedSyncToken)
        {
            // 400 EXPIRED_SYNC_TOKEN (not 410, facts §0 trap 1), or a 400 Google does not explain (INVALID_ARGUMENT after a
            // token outlived what issued it): the token is dropped once and everything listed; the links prevent duplicates.
            // A full listing that fails too is an error, not another retry.
            logger.LogInformation("People refused the sync token of {Connection} ({Reason}): full resync", ConnectionId, e.Reason ?? e.Status);
            return await ListAsync(group, null, cancellationToken);
        }
    }

    private async Task<SideChanges<Person>> ListAsync(string group, string? syncToken, CancellationToken ct)
    {
        var items = new Dictionary<string, SyncItem<Person>>(StringComparer.Ordinal);
        var gone = new Dictionary<string, Gone>(StringComparer.Ordinal);
        string? next = null;
        await foreach (var page in people.ListConnectionsAsync(TenantId, ConnectionId, syncToken, ct))
        {
            foreach (var person in page.Connections)
            {
                if (person.ResourceName is not { } id)
                {
                    continue;
                }

                // A later page can report the same person again: the last word counts.
                items.Remove(id);
                gone.Remove(id);
                if (person.IsDeleted)
                {
                    gone[id] = Gone.Deleted;
                }
                else if (InGroup(person, group))
                {
                    items[id] = Item(person, group);
                }
                else
                {
                    gone[id] = Gone.LeftScope;
                }
            }

            next = page.NextSyncToken ?? next;
            await context.RenewLeaseAsync(ct);
        }

        // A renamed person's old name is followed, never reported as deleted.
        foreach (var previous in items.Values.SelectMany(i => i.PreviousIds))
        {
            gone.Remove(previous);
        }

        _listed.UnionWith(items.Keys);
        return new SideChanges<Person>
        {
            Full = syncToken is null,
            Items = [.. items.Values],
            Gone = gone,
            Commit = () => state.GoogleSyncToken = next,
        };
    }

    public async Task<IReadOnlyDictionary<string, SyncItem<Person>>> GetManyAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        var group = await GroupAsync(cancellationToken);
        var found = new Dictionary<string, SyncItem<Person>>(StringComparer.Ordinal);
        foreach (var chunk in ids.Where(IsPersonName).Distinct(StringComparer.Ordinal).Chunk(GooglePeopleClient.MaxBatchGet))
        {
            foreach (var (requested, person) in await people.BatchGetAsync(TenantId, ConnectionId, chunk, cancellationToken))
            {
                found[requested] = Item(person, group);
            }
        }

        return found;
    }

    /// <summary>
    /// The group's members as they are now (a plain read, which sees a contact created a moment ago, unlike a sync listing),
    /// those this run has not listed read with batchGet, matched by their clientData stamp.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, SyncItem<Person>>> FindByStampAsync(IReadOnlyCollection<string> otherIds, CancellationToken cancellationToken)
    {
        var group = await GroupAsync(cancellationToken);
        var members = (await people.GetContactGroupAsync(TenantId, ConnectionId, group, MaxGroupMembers, cancellationToken)).MemberResourceNames ?? [];
        var wanted = otherIds.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var found = new Dictionary<string, SyncItem<Person>>(StringComparer.OrdinalIgnoreCase);
        foreach (var item in (await GetManyAsync([.. members.Where(m => !_listed.Contains(m))], cancellationToken)).Values)
        {
            if (item is { InScope: true, Stamp: { } stamp } && wanted.Contains(stamp))
            {
                found[stamp] = item;
            }
        }

        return found;
    }

    public string? DerivedIdFor(SyncItem<JsonObject> source) => null;

    public async Task<IReadOnlyList<WriteResult<Person>>> CreateAsync(IReadOnlyList<SyncItem<JsonObject>> sources, CancellationToken cancellationToken)
    {
        var group = await GroupAsync(cancellationToken);
        IReadOnlyList<Person> created;
        try
        {
            created = await people.BatchCreateContactsAsync(TenantId, ConnectionId,
                [.. sources.Select(s => ContactMapping.NewGooglePerson(ContactMapping.FromCreatio(s.Native), group, Guid.Parse(s.Id)))], cancellationToken);
        }
        catch (GoogleApiException e)
        {
            // Google answered with an error: batchCreate is all or nothing, so none was made.
            return [.. sources.Select(s => new WriteResult<Person>(s.Id, WriteOutcome.Failed, Error: e.Message))];
        }

        // The answer's order is not documented: each person is matched to its request by the Creatio id it was stamped with.
        return [.. created.Where(p => ContactMapping.StampedCreatioId(p) is not null)
            .Select(p => new WriteResult<Person>(ContactMapping.StampedCreatioId(p)!.Value.ToString("D"), WriteOutcome.Done, Item(p, group)))];
    }

    public async Task<IReadOnlyList<WriteResult<Person>>> UpdateAsync(IReadOnlyList<SideUpdate<Person, JsonObject>> updates, CancellationToken cancellationToken)
    {
        var group = await GroupAsync(cancellationToken);
        IReadOnlyDictionary<string, Person> updated;
        try
        {
            updated = await people.BatchUpdateContactsAsync(TenantId, ConnectionId,
                [.. updates.Select(u => ContactMapping.ToGoogle(ContactMapping.FromCreatio(u.Source.Native), u.Current.Native))],
                ContactMapping.GoogleUpdateMask, cancellationToken);
        }
        catch (GoogleApiException e) when (e.IsEtagMismatch || e.StatusCode == HttpStatusCode.NotFound)
        {
            // One person changed or went since it was read, and the batch is all or nothing: every item is read again and re-decided.
            return [.. updates.Select(u => new WriteResult<Person>(u.Current.Id, WriteOutcome.ChangedMeanwhile, Error: e.Message))];
        }
        catch (GoogleApiException e)
        {
            return [.. updates.Select(u => new WriteResult<Person>(u.Current.Id, WriteOutcome.Failed, Error: e.Message))];
        }

        return [.. updates.Select(u => updated.TryGetValue(u.Current.Id, out var person)
            ? new WriteResult<Person>(u.Current.Id, WriteOutcome.Done, Item(person, group))
            : new WriteResult<Person>(u.Current.Id, WriteOutcome.Failed, Error: "batchUpdateContacts answered without it"))];
    }

    public async Task<IReadOnlyList<WriteResult<Person>>> DeleteAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        try
        {
            await people.BatchDeleteContactsAsync(TenantId, ConnectionId, ids, cancellationToken);
            return [.. ids.Select(id => new WriteResult<Person>(id, WriteOutcome.Done))];
        }
        catch (GoogleApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            // One of them is already gone (a re-run after a crash): the rest one by one.
        }

        var results = new List<WriteResult<Person>>(ids.Count);
        foreach (var id in ids)
        {
            try
            {
                await people.DeleteContactAsync(TenantId, ConnectionId, id, cancellationToken);
                results.Add(new(id, WriteOutcome.Done));
            }
            catch (GoogleApiException gone) when (gone.StatusCode == HttpStatusCode.NotFound)
            {
                results.Add(new(id, WriteOutcome.Gone));
            }
            catch (GoogleApiException e)
            {
                results.Add(new(id, WriteOutcome.Failed, Error: e.Message));
            }
        }

        return results;
    }

    private async Task<string> GroupAsync(CancellationToken ct)
    {
        if (state.GoogleGroupResourceName is { } known && state.GoogleGroupName == groupName)
        {
            return known;
        }

        var group = await people.FindOrCreateContactGroupAsync(TenantId, ConnectionId, groupName, ct);
        state.GoogleGroupResourceName = group.ResourceName ?? throw new GoogleApiException("The contact group has no resource name.");
        state.GoogleGroupName = groupName;
        return group.ResourceName;
    }

    private static SyncItem<Person> Item(Person person, string group)
    {
        var source = person.Metadata?.Sources?.FirstOrDefault(s => s.Type == "CONTACT") ?? person.Metadata?.Sources?.FirstOrDefault();
        return new SyncItem<Person>
        {
            Id = person.ResourceName!,
            Etag = person.Etag ?? source?.Etag,
            ModifiedAt = source?.UpdateTime,
            Hash = ContactMapping.FromGoogle(person).Hash(),
            Stamp = ContactMapping.StampedCreatioId(person)?.ToString("D"),
            PreviousIds = person.Metadata?.PreviousResourceNames ?? [],
            InScope = InGroup(person, group),
            Native = person,
        };
    }

    private static bool InGroup(Person person, string group) =>
        person.Memberships?.Any(m => m.ContactGroupMembership?.ContactGroupResourceName == group
            || "contactGroups/" + m.ContactGroupMembership?.ContactGroupId == group) == true;

    /// <summary>Pending ids ("pending:…") and anything else that is no contact resource name are never sent to Google.</summary>
    private static bool IsPersonName(string id) => id.StartsWith("people/", StringComparison.Ordinal) && id.IndexOfAny(['?', '#', ':'], 7) < 0;
}
