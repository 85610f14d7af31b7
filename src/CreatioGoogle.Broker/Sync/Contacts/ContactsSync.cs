using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CreatioGoogle.Broker.Creatio;
using CreatioGoogle.Broker.Google;
using CreatioGoogle.Broker.Google.People;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CreatioGoogle.Broker.Sync.Contacts;

/// <summary>
/// Two-way sync of Google contacts in one contact group (default "Creatio") with the Creatio contacts the connected
/// user owns. Read top to bottom: load cursor state → pull Google changes → pull Creatio changes → pair them through
/// the link table → decide each pair (<see cref="ContactSyncDecision"/>) → write Google, then Creatio, each write
/// followed by its links → move the cursor in memory (the runner saves it last).
/// <para>
/// Crash safety: a run can die between any two writes and the next run ends consistent, without duplicates. Before a
/// Google create, a pending link (an intent) is saved and the new contact carries the Creatio id in clientData, so a
/// re-run finds and links it instead of creating it again. A Creatio contact created from Google gets an id derived
/// from the Google resource name, so a re-run finds it by id. Updates are idempotent and the cursor only moves on
/// success, so a re-run sees the same changes again; hashes equal to what it wrote make them no-ops.
/// </para>
/// </summary>
public sealed class ContactsSync(
    GooglePeopleClient people,
    ICreatioClientFactory creatioClients,
    LinkStore links,
    IOptions<ContactsSyncOptions> options,
    TimeProvider clock,
    ILogger<ContactsSync> logger) : ISyncFeature
{
    private const string ContactCollection = "Contact";
    private const int CreatioBatchSize = 100;

    /// <summary>Creatio's clock and ours differ; a cursor that has seen no row starts this far back.</summary>
    private static readonly TimeSpan ClockSkewMargin = TimeSpan.FromMinutes(5);

    public string Feature => Features.Contacts;

    public async Task<string> SyncAsync(SyncContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = options.Value;
        var run = new Run(context, creatioClients.ForTenant(context.Tenant.Id), clock.GetUtcNow());

        // 1. Where we stand: the group, the owner, and whether this run must list everything.
        var group = await GoogleGroupAsync(run, settings.GroupName, cancellationToken);
        var owner = await CreatioOwnerAsync(run, cancellationToken);
        var cursor = context.Cursor;
        var full = cursor.GoogleSyncToken is null || cursor.CreatioModifiedSince is null || cursor.LastFullSyncAt is null
            || run.StartedAt - cursor.LastFullSyncAt >= settings.FullResyncAfter;

        // 2. Google changes (an expired sync token turns the run into a full one).
        var google = await PullGoogleAsync(run, group, full ? null : cursor.GoogleSyncToken, cancellationToken);
        full |= google.Full;

        // 3. Creatio changes: ModifiedOn at or after the cursor, in a stable order; everything the owner has when full.
        var creatio = await PullCreatioAsync(run, owner, full ? null : cursor.CreatioModifiedSince, cancellationToken);

        // 4. Pair both sides through the links, and decide.
        var pairs = await PairAsync(run, google, creatio, full, cancellationToken);
        var plan = pairs.Select(p => (Pair: p, Action: ContactSyncDecision.Decide(p, settings, run.StartedAt))).ToList();

        // 5. Act: Google first (sequential writes, batched), then Creatio ($batch), each followed by its links.
        await WriteGoogleAsync(run, plan, group, cancellationToken);
        await WriteCreatioAsync(run, plan, owner, cancellationToken);
        await SaveLinkOnlyActionsAsync(run, plan, cancellationToken);

        if (run.Failures.Count > 0)
        {
            // The cursor must not move past changes that were not applied: fail the run, the queue retries it.
            throw new ContactsSyncIncompleteException(
                $"{run.Failures.Count} contact write(s) failed; first: {run.Failures[0]}. The cursor was not moved.");
        }

        // 6. Move the cursor (in memory; the runner saves it after this returns).
        cursor.GoogleSyncToken = google.NextSyncToken;
        cursor.CreatioModifiedSince = creatio.MaxModifiedOn ?? cursor.CreatioModifiedSince ?? run.StartedAt - ClockSkewMargin;
        if (full)
        {
            cursor.LastFullSyncAt = run.StartedAt;
        }

        var summary = run.Summary(full, google.Contacts.Count + google.Gone.Count, creatio.Contacts.Count, plan.Select(p => p.Action.Kind));
        logger.LogInformation("Contacts sync of {Connection}: {Summary}", context.Connection.ConnectionId, summary);
        return summary;
    }

    // ---- 1. state ------------------------------------------------------------------------------------------------

    private async Task<string> GoogleGroupAsync(Run run, string groupName, CancellationToken ct)
    {
        var cursor = run.Context.Cursor;
        if (cursor.GoogleGroupResourceName is { } known && cursor.GoogleGroupName == groupName)
        {
            return known;
        }

        var group = await people.FindOrCreateContactGroupAsync(run.TenantId, run.ConnectionId, groupName, ct);
        cursor.GoogleGroupResourceName = group.ResourceName ?? throw new PeopleApiException("The contact group has no resource name.");
        cursor.GoogleGroupName = groupName;
        return group.ResourceName;
    }

    private async Task<Guid> CreatioOwnerAsync(Run run, CancellationToken ct)
    {
        var cursor = run.Context.Cursor;
        if (cursor.CreatioOwnerId is { } known && known != Guid.Empty)
        {
            return known;
        }

        if (!Guid.TryParse(run.Context.Connection.CreatioUserId, out var userId))
        {
            throw new InvalidOperationException("The connection's Creatio user id is not a GUID (SysAdminUnit.Id).");
        }

        var user = await run.Creatio.GetByIdAsync("SysAdminUnit", userId, ["Id", "ContactId"], ct);
        var contactId = user?.GetGuid("ContactId") ?? Guid.Empty;
        if (contactId == Guid.Empty)
        {
            throw new InvalidOperationException($"Creatio user {userId} was not found or has no contact: nobody to own synced contacts.");
        }

        cursor.CreatioOwnerId = contactId;
        return contactId;
    }

    // ---- 2./3. pull --------------------------------------------------------------------------------------------

    private sealed record GooglePull(bool Full, List<GoogleContact> Contacts, Dictionary<string, Gone> Gone, string? NextSyncToken);

    private sealed record CreatioPull(bool Full, List<CreatioContact> Contacts, DateTimeOffset? MaxModifiedOn);

    private async Task<GooglePull> PullGoogleAsync(Run run, string group, string? syncToken, CancellationToken ct)
    {
        try
        {
            return await ListGoogleAsync(run, group, syncToken, ct);
        }
        catch (PeopleSyncTokenExpiredException) when (syncToken is not null)
        {
            // 400 EXPIRED_SYNC_TOKEN (not 410, facts §0 trap 1): list everything again; the links prevent duplicates.
            logger.LogInformation("People sync token of {Connection} expired: full resync", run.ConnectionId);
            return await ListGoogleAsync(run, group, null, ct);
        }
    }

    private async Task<GooglePull> ListGoogleAsync(Run run, string group, string? syncToken, CancellationToken ct)
    {
        var contacts = new Dictionary<string, GoogleContact>(StringComparer.Ordinal);
        var gone = new Dictionary<string, Gone>(StringComparer.Ordinal);
        string? next = null;
        await foreach (var page in people.ListConnectionsAsync(run.TenantId, run.ConnectionId, syncToken, ct))
        {
            run.GoogleCalls++;
            foreach (var person in page.Connections)
            {
                if (person.ResourceName is not { } id)
                {
                    continue;
                }

                // A later page can report the same person again: the last word counts.
                contacts.Remove(id);
                gone.Remove(id);
                if (person.IsDeleted)
                {
                    gone[id] = Gone.Deleted;
                }
                else if (InGroup(person, group))
                {
                    contacts[id] = GoogleContact.From(person);
                }
                else
                {
                    gone[id] = Gone.LeftScope;
                }
            }

            next = page.NextSyncToken ?? next;
            await run.Context.RenewLeaseAsync(ct);
        }

        return new GooglePull(syncToken is null, [.. contacts.Values], gone, next);
    }

    private static bool InGroup(Person person, string group) =>
        person.Memberships?.Any(m => m.ContactGroupMembership?.ContactGroupResourceName == group
            || "contactGroups/" + m.ContactGroupMembership?.ContactGroupId == group) == true;

    private async Task<CreatioPull> PullCreatioAsync(Run run, Guid owner, DateTimeOffset? since, CancellationToken ct)
    {
        var query = new CreatioQuery(ContactCollection)
        {
            Filter = CreatioFilter.And(CreatioFilter.Equal("OwnerId", owner), since is { } s ? CreatioFilter.ModifiedSince(s) : null),
            Select = ContactMapping.CreatioColumns,
            OrderBy = "ModifiedOn asc,Id asc",
            PageSize = options.Value.CreatioPageSize,
        };
        var contacts = new Dictionary<Guid, CreatioContact>();
        DateTimeOffset? max = null;
        await foreach (var page in run.Creatio.QueryPagesAsync(query, ct))
        {
            foreach (var row in page.Rows)
            {
                var contact = CreatioContact.From(row);
                contacts[contact.Id] = contact;
                if (contact.ModifiedOn > max || max is null)
                {
                    max = contact.ModifiedOn;
                }
            }

            await run.Context.RenewLeaseAsync(ct);
        }

        return new CreatioPull(since is null, [.. contacts.Values], max);
    }

    // ---- 4. pair -------------------------------------------------------------------------------------------------

    private async Task<List<ContactPair>> PairAsync(Run run, GooglePull google, CreatioPull creatio, bool full, CancellationToken ct)
    {
        var feature = Feature;
        var byGoogle = new Dictionary<string, Link>(StringComparer.Ordinal);
        var byCreatio = new Dictionary<string, Link>(StringComparer.OrdinalIgnoreCase);
        void Know(Link link)
        {
            byGoogle[link.GoogleId] = link;
            byCreatio[link.CreatioId] = link;
        }

        // One scan instead of a lookup per item when many items moved (a Table page holds 1000 rows); a full run needs
        // the scan anyway to see which linked items are no longer there.
        const int PointLookupLimit = 500;
        if (full || google.Contacts.Count + google.Gone.Count + creatio.Contacts.Count > PointLookupLimit)
        {
            foreach (var link in await links.ListAsync(run.ConnectionId, feature, ct))
            {
                Know(link);
            }
        }
        else
        {
            foreach (var link in await links.ListAsync(run.ConnectionId, feature, ct, ContactSyncDecision.PendingPrefix))
            {
                Know(link);
            }

            foreach (var id in google.Contacts.Select(g => g.ResourceName).Concat(google.Gone.Keys))
            {
                if (await links.FindByGoogleIdAsync(run.ConnectionId, feature, id, ct) is { } link)
                {
                    Know(link);
                }
            }

            foreach (var c in creatio.Contacts)
            {
                if (!byCreatio.ContainsKey(c.Id.ToString("D")) && await links.FindByCreatioIdAsync(run.ConnectionId, feature, c.Id.ToString("D"), ct) is { } link)
                {
                    Know(link);
                }
            }
        }

        // Pairs are keyed by the Creatio id when there is one (linked, stamped or derived), else by the Google id.
        var pairs = new Dictionary<string, ContactPair>(StringComparer.OrdinalIgnoreCase);
        var creatioSeen = creatio.Contacts.ToDictionary(c => c.Id);
        var paired = new HashSet<Guid>();

        foreach (var g in google.Contacts)
        {
            if (byGoogle.TryGetValue(g.ResourceName, out var link))
            {
                pairs["c:" + link.CreatioId] = new ContactPair { Link = link, Google = g };
                continue;
            }

            // Our own copy from a run that died before linking it: stamped with the Creatio id, pending link waiting.
            if (g.StampedCreatioId is { } stamped && byCreatio.TryGetValue(stamped.ToString("D"), out var pending) && ContactSyncDecision.IsPending(pending))
            {
                pairs["c:" + pending.CreatioId] = new ContactPair { Link = pending, Google = g };
                continue;
            }

            // Unlinked: its Creatio twin, if a run made one (derived id) or it was stamped, and that twin is not linked.
            var twin = new[] { g.StampedCreatioId, CreatioIdFor(run.ConnectionId, g.ResourceName) }
                .FirstOrDefault(id => id is { } t && creatioSeen.ContainsKey(t) && !byCreatio.ContainsKey(t.ToString("D")) && !paired.Contains(t));
            if (twin is { } t2)
            {
                paired.Add(t2);
                pairs["c:" + t2.ToString("D")] = new ContactPair { Google = g, Creatio = creatioSeen[t2] };
            }
            else
            {
                pairs["g:" + g.ResourceName] = new ContactPair { Google = g };
            }
        }

        foreach (var (id, why) in google.Gone)
        {
            if (byGoogle.TryGetValue(id, out var link))
            {
                var key = "c:" + link.CreatioId;
                pairs[key] = (pairs.GetValueOrDefault(key) ?? new ContactPair { Link = link }) with { GoogleGone = why };
            }
        }

        foreach (var c in creatio.Contacts)
        {
            if (paired.Contains(c.Id))
            {
                continue;
            }

            var key = "c:" + c.Id.ToString("D");
            var link = byCreatio.GetValueOrDefault(c.Id.ToString("D"));
            pairs[key] = (pairs.GetValueOrDefault(key) ?? new ContactPair { Link = link }) with { Creatio = c };
        }

        var googleSeen = google.Contacts.Select(g => g.ResourceName).Concat(google.Gone.Keys).ToHashSet(StringComparer.Ordinal);
        foreach (var link in byCreatio.Values)
        {
            var key = "c:" + link.CreatioId;
            var pair = pairs.GetValueOrDefault(key) ?? new ContactPair { Link = link };
            var pending = ContactSyncDecision.IsPending(link);
            if (full && !pending && !googleSeen.Contains(link.GoogleId))
            {
                // Not in a full listing: deleted in Google.
                pair = pair with { GoogleGone = Gone.Deleted };
            }

            if (full && pair.Creatio is null && Guid.TryParse(link.CreatioId, out var creatioId))
            {
                // Not among the owner's contacts: deleted, or handed to another owner (only a delete may propagate).
                pair = pair with { CreatioGone = await CreatioGoneAsync(run, creatioId, ct) };
            }

            if (pair != pairs.GetValueOrDefault(key) && (pending || pair.GoogleGone != Gone.No || pair.CreatioGone != Gone.No))
            {
                pairs[key] = pair;
            }
        }

        return [.. pairs.Values];
    }

    private async Task<Gone> CreatioGoneAsync(Run run, Guid id, CancellationToken ct)
    {
        if (options.Value.DeletePolicy != ContactDeletePolicy.Propagate)
        {
            // Either way only the link changes: spare the lookup.
            return Gone.Deleted;
        }

        return await run.Creatio.GetByIdAsync(ContactCollection, id, ["Id", "OwnerId"], ct) is null ? Gone.Deleted : Gone.LeftScope;
    }

    /// <summary>
    /// The id a Creatio contact created from this Google contact gets: derived, so a re-run after a crash between the
    /// Creatio create and the link finds the contact instead of creating another.
    /// </summary>
    public static Guid CreatioIdFor(string connectionId, string googleResourceName)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"contacts|{connectionId}|{googleResourceName}"));
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x50); // version 5 (name-based)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes);
    }

    // ---- 5. act: Google ----------------------------------------------------------------------------------------

    private async Task WriteGoogleAsync(Run run, List<(ContactPair Pair, ContactAction Action)> plan, string group, CancellationToken ct)
    {
        // Creates: intent first, then the batch, then the links.
        var creates = new List<(ContactPair Pair, CreatioContact Source)>();
        foreach (var (pair, action) in plan.Where(p => p.Action.Kind == ContactActionKind.CreateInGoogle))
        {
            var source = pair.Creatio ?? await ReadCreatioAsync(run, Guid.Parse(pair.Link!.CreatioId), ct);
            if (source is not null)
            {
                creates.Add((pair, source));
            }
        }

        foreach (var chunk in creates.Chunk(GooglePeopleClient.MaxBatchCreate))
        {
            var intents = chunk.Select(x => (Link: NewLink(run, ContactSyncDecision.PendingGoogleId(x.Source.Id), x.Source.Id, null, x.Source.ModifiedOn, x.Source.Hash),
                Previous: x.Pair.Link)).ToList();
            var fresh = intents.Where(i => i.Previous is null).Select(i => i.Link).ToList();
            await links.SaveManyAsync(intents, ct);
            IReadOnlyList<Person> created;
            try
            {
                created = await people.BatchCreateContactsAsync(run.TenantId, run.ConnectionId,
                    [.. chunk.Select(x => ContactMapping.NewGooglePerson(x.Source.Fields, group, x.Source.Id))], ct);
            }
            catch (PeopleApiException)
            {
                // Google answered with an error: batchCreate is all or nothing, so nothing was created; take back our intents.
                await links.DeleteManyAsync(fresh, ct);
                throw;
            }

            run.GoogleCalls++;
            var linked = chunk.Zip(created, (x, person) => (
                Link: NewLink(run, person.ResourceName!, x.Source.Id, person.Etag, x.Source.ModifiedOn, x.Source.Hash),
                Previous: (Link?)intents.First(i => i.Link.CreatioId == x.Source.Id.ToString("D")).Link)).ToList();
            await links.SaveManyAsync(linked, ct);
            run.GoogleCreated += linked.Count;
        }

        // Updates: read the current person (etag, unmapped fields) unless this run already has it, then batch.
        var updates = plan.Where(p => p.Action.Kind == ContactActionKind.UpdateGoogle).Select(p => p.Pair).ToList();
        foreach (var chunk in updates.Chunk(GooglePeopleClient.MaxBatchUpdate))
        {
            var current = chunk.Where(p => p.Google is not null).ToDictionary(p => p.Google!.ResourceName, p => p.Google!.Person, StringComparer.Ordinal);
            var missing = chunk.Where(p => p.Google is null).Select(p => p.Link!.GoogleId).ToList();
            if (missing.Count > 0)
            {
                foreach (var (name, person) in await people.BatchGetAsync(run.TenantId, run.ConnectionId, missing, ct))
                {
                    current[name] = person;
                }

                run.GoogleCalls++;
            }

            var writable = chunk.Where(p => current.ContainsKey(GoogleIdOf(p))).ToList();
            if (writable.Count == 0)
            {
                continue;
            }

            var updated = await people.BatchUpdateContactsAsync(run.TenantId, run.ConnectionId,
                [.. writable.Select(p => ContactMapping.ToGoogle(p.Creatio?.Fields ?? FieldsOfLinkSource(p), current[GoogleIdOf(p)]))],
                ContactMapping.GoogleUpdateMask, ct);
            run.GoogleCalls++;
            var saved = writable.Where(p => updated.ContainsKey(GoogleIdOf(p))).Select(p => (
                Link: NewLink(run, GoogleIdOf(p), p.Creatio!.Id, updated[GoogleIdOf(p)].Etag, p.Creatio.ModifiedOn, p.Creatio.Hash),
                Previous: p.Link)).ToList();
            await links.SaveManyAsync(saved, ct);
            run.GoogleUpdated += saved.Count;
        }

        // Deletes (only with DeletePolicy Propagate).
        var deletes = plan.Where(p => p.Action.Kind == ContactActionKind.DeleteInGoogle).Select(p => p.Pair.Link!).ToList();
        foreach (var chunk in deletes.Chunk(GooglePeopleClient.MaxBatchDelete))
        {
            try
            {
                await people.BatchDeleteContactsAsync(run.TenantId, run.ConnectionId, [.. chunk.Select(l => l.GoogleId)], ct);
                run.GoogleCalls++;
            }
            catch (PeopleApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                // One of them is already gone (a re-run after a crash): delete the rest one by one.
                run.GoogleCalls++;
                foreach (var link in chunk)
                {
                    try
                    {
                        await people.DeleteContactAsync(run.TenantId, run.ConnectionId, link.GoogleId, ct);
                    }
                    catch (PeopleApiException gone) when (gone.StatusCode == System.Net.HttpStatusCode.NotFound)
                    {
                    }

                    run.GoogleCalls++;
                }
            }

            await links.DeleteManyAsync(chunk, ct);
            run.GoogleDeleted += chunk.Length;
        }
    }

    /// <summary>An update that Creatio won but whose Creatio side was not read this run cannot happen; guard anyway.</summary>
    private static ContactFields FieldsOfLinkSource(ContactPair pair) =>
        throw new InvalidOperationException($"No Creatio content to update Google contact {pair.Link?.GoogleId} from.");

    private static string GoogleIdOf(ContactPair pair) => pair.Google?.ResourceName ?? pair.Link!.GoogleId;

    private async Task<CreatioContact?> ReadCreatioAsync(Run run, Guid id, CancellationToken ct) =>
        await run.Creatio.GetByIdAsync(ContactCollection, id, ContactMapping.CreatioColumns, ct) is { } row ? CreatioContact.From(row) : null;

    // ---- 5. act: Creatio ---------------------------------------------------------------------------------------

    private async Task WriteCreatioAsync(Run run, List<(ContactPair Pair, ContactAction Action)> plan, Guid owner, CancellationToken ct)
    {
        var work = plan.Where(p => p.Action.Kind is ContactActionKind.CreateInCreatio or ContactActionKind.UpdateCreatio or ContactActionKind.DeleteInCreatio)
            .ToList();
        foreach (var chunk in work.Chunk(CreatioBatchSize))
        {
            var operations = chunk.Select(x => x.Action.Kind switch
            {
                ContactActionKind.CreateInCreatio => CreatioBatchOperation.Create(ContactCollection, WithOwner(ContactMapping.ToCreatio(x.Pair.Google!.Fields), owner),
                    CreatioIdFor(run.ConnectionId, x.Pair.Google.ResourceName)),
                ContactActionKind.UpdateCreatio => CreatioBatchOperation.Update(ContactCollection, CreatioIdOf(x.Pair), ContactMapping.ToCreatio(x.Pair.Google!.Fields)),
                _ => CreatioBatchOperation.Delete(ContactCollection, CreatioIdOf(x.Pair)),
            }).ToList();
            var results = await run.Creatio.ExecuteBatchAsync(operations, ct);
            run.CreatioRequests++;

            var saved = new List<(Link, Link?)>();
            var dropped = new List<Link>();
            for (var i = 0; i < chunk.Length; i++)
            {
                var (pair, action) = chunk[i];
                var result = results[i];
                var ok = result.Succeeded || (action.Kind == ContactActionKind.DeleteInCreatio && result.StatusCode == 404);
                if (!ok && action.Kind == ContactActionKind.CreateInCreatio
                    && await ReadCreatioRowAsync(run, result.Operation.Id, ct) is { } existing)
                {
                    // It exists already: made by a run that died before linking it, but not listed this run.
                    if (existing.GetGuid("OwnerId") == owner)
                    {
                        var found = CreatioContact.From(existing);
                        saved.Add((NewLink(run, pair.Google!.ResourceName, found.Id, pair.Google.Etag, found.ModifiedOn, found.Hash), pair.Link));
                    }
                    else
                    {
                        logger.LogWarning("Creatio contact {Id} for a Google contact exists with another owner: left unlinked", result.Operation.Id);
                    }

                    continue;
                }

                if (!ok)
                {
                    run.Failures.Add($"Creatio {action.Kind} {result.Operation.Id}: HTTP {result.StatusCode} {result.ErrorMessage}");
                    continue;
                }

                switch (action.Kind)
                {
                    case ContactActionKind.CreateInCreatio:
                        saved.Add((NewLink(run, pair.Google!.ResourceName, result.Operation.Id, pair.Google.Etag,
                            result.Entity?.GetDateTime("ModifiedOn"), pair.Google.Hash), pair.Link));
                        run.CreatioCreated++;
                        break;
                    case ContactActionKind.UpdateCreatio:
                        // A PATCH answers 204 without ModifiedOn: the echo next run refreshes it (same hash, no write).
                        saved.Add((NewLink(run, pair.Google!.ResourceName, CreatioIdOf(pair), pair.Google.Etag,
                            pair.Creatio?.ModifiedOn ?? pair.Link?.CreatioModifiedOn, pair.Google.Hash), pair.Link));
                        run.CreatioUpdated++;
                        break;
                    default:
                        dropped.Add(pair.Link!);
                        run.CreatioDeleted++;
                        break;
                }
            }

            await links.SaveManyAsync(saved, ct);
            await links.DeleteManyAsync(dropped, ct);
        }
    }

    private static Guid CreatioIdOf(ContactPair pair) => pair.Creatio?.Id ?? Guid.Parse(pair.Link!.CreatioId);

    private static JsonObject WithOwner(JsonObject columns, Guid owner)
    {
        columns["OwnerId"] = owner.ToString("D");
        return columns;
    }

    private static async Task<JsonObject?> ReadCreatioRowAsync(Run run, Guid id, CancellationToken ct) =>
        await run.Creatio.GetByIdAsync(ContactCollection, id, ContactMapping.CreatioColumns, ct);

    // ---- 5. act: links only ------------------------------------------------------------------------------------

    private async Task SaveLinkOnlyActionsAsync(Run run, List<(ContactPair Pair, ContactAction Action)> plan, CancellationToken ct)
    {
        var saved = new List<(Link, Link?)>();
        var deleted = new List<Link>();
        foreach (var (pair, action) in plan)
        {
            switch (action.Kind)
            {
                case ContactActionKind.SaveLink:
                    saved.Add((NewLink(run, pair.Google?.ResourceName ?? pair.Link!.GoogleId, pair.Creatio?.Id ?? Guid.Parse(pair.Link!.CreatioId),
                        pair.Google is { } g ? g.Etag : pair.Link?.GoogleEtag, pair.Creatio?.ModifiedOn ?? pair.Link?.CreatioModifiedOn,
                        pair.Google?.Hash ?? pair.Creatio!.Hash), pair.Link));
                    break;
                case ContactActionKind.DropLink when pair.Link is { } link:
                    if (link.GoneSide is null && !ContactSyncDecision.IsPending(link) && (pair.GoogleGone == Gone.No || pair.CreatioGone == Gone.No))
                    {
                        // Keep a tombstone: the surviving copy must not be copied back as "new".
                        saved.Add((new Link
                        {
                            PartitionKey = link.PartitionKey, Feature = link.Feature, GoogleId = link.GoogleId, CreatioId = link.CreatioId,
                            GoogleEtag = link.GoogleEtag, CreatioModifiedOn = link.CreatioModifiedOn, ContentHash = link.ContentHash,
                            LastSyncedAt = run.StartedAt, GoneSide = pair.GoogleGone != Gone.No ? "google" : "creatio",
                        }, link));
                    }
                    else
                    {
                        deleted.Add(link);
                    }

                    break;
            }
        }

        await links.SaveManyAsync(saved, ct);
        await links.DeleteManyAsync(deleted, ct);
        run.LinksOnly = saved.Count + deleted.Count;
    }

    private static Link NewLink(Run run, string googleId, Guid creatioId, string? googleEtag, DateTimeOffset? creatioModifiedOn, string hash) => new()
    {
        PartitionKey = run.ConnectionId,
        Feature = Features.Contacts,
        GoogleId = googleId,
        CreatioId = creatioId.ToString("D"),
        GoogleEtag = googleEtag,
        CreatioModifiedOn = creatioModifiedOn,
        ContentHash = hash,
        LastSyncedAt = run.StartedAt,
    };

    /// <summary>One run's context and tallies.</summary>
    private sealed class Run(SyncContext context, ICreatioClient creatio, DateTimeOffset startedAt)
    {
        public SyncContext Context { get; } = context;
        public ICreatioClient Creatio { get; } = creatio;
        public DateTimeOffset StartedAt { get; } = startedAt;
        public string TenantId => Context.Tenant.Id;
        public string ConnectionId => Context.Connection.ConnectionId;
        public List<string> Failures { get; } = [];
        public int GoogleCalls { get; set; }
        public int CreatioRequests { get; set; }
        public int GoogleCreated { get; set; }
        public int GoogleUpdated { get; set; }
        public int GoogleDeleted { get; set; }
        public int CreatioCreated { get; set; }
        public int CreatioUpdated { get; set; }
        public int CreatioDeleted { get; set; }
        public int LinksOnly { get; set; }

        public string Summary(bool full, int googleRead, int creatioRead, IEnumerable<ContactActionKind> actions)
        {
            var awaiting = actions.Count(a => a == ContactActionKind.AwaitUnconfirmedCreate);
            return $"{(full ? "full" : "incremental")}; google read {googleRead}, created {GoogleCreated}, updated {GoogleUpdated}, deleted {GoogleDeleted}; "
                + $"creatio read {creatioRead}, created {CreatioCreated}, updated {CreatioUpdated}, deleted {CreatioDeleted}; "
                + $"links only {LinksOnly}" + (awaiting > 0 ? $"; awaiting {awaiting} unconfirmed Google create(s)" : "");
        }
    }
}

/// <summary>Some writes of a run failed; the rest were applied and linked, the cursor stays where it was.</summary>
public sealed class ContactsSyncIncompleteException(string message) : Exception(message);
