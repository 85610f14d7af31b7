using System.Globalization;
using System.Text.Json.Nodes;

namespace CreatioGoogle.Sandbox.Google.People;

/// <summary>What a connections.list call asked for. <see cref="SyncKey"/> must match along a sync-token chain, <see cref="PageKey"/> across pages.</summary>
internal sealed record ListRequest(
    IReadOnlySet<string> PersonFields,
    int PageSize,
    string? PageToken,
    string? SyncToken,
    bool RequestSyncToken,
    string SortOrder,
    string SyncKey,
    string PageKey);

/// <summary>
/// The contacts of every simulated account. Every write appends a version with a sequence number and the time it
/// becomes visible to connections.list (write time + propagation delay, facts §0 trap 6). Reads of single people
/// (get, batchGet, the etag check) see the newest version at once.
/// One lock guards everything: calls are short and ordering matters more than throughput.
/// </summary>
internal sealed class PeopleStore(TimeProvider clock)
{
    public const int MaxPageSize = 1000;
    public const int DefaultPageSize = 100;
    public const string MyContacts = "myContacts";
    public const string Starred = "starred";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, AccountData> _accounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SyncTokenState> _syncTokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PageState> _pages = new(StringComparer.Ordinal);
    private long _seq;
    private long _ids;
    private long _propagationTicks;
    private long _syncTokenLifetimeTicks = TimeSpan.FromDays(7).Ticks;

    public TimeSpan PropagationDelay
    {
        get => TimeSpan.FromTicks(Volatile.Read(ref _propagationTicks));
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            Volatile.Write(ref _propagationTicks, value.Ticks);
        }
    }

    /// <summary>"Sync tokens expire 7 days after the full sync" (connections.list reference): counted from the full sync that started the chain.</summary>
    public TimeSpan SyncTokenLifetime
    {
        get => TimeSpan.FromTicks(Volatile.Read(ref _syncTokenLifetimeTicks));
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
            Volatile.Write(ref _syncTokenLifetimeTicks, value.Ticks);
        }
    }

    // ---- connections.list ------------------------------------------------------------------------

    public JsonObject ListConnections(string sub, ListRequest request)
    {
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            PageState page;
            if (request.PageToken is not null)
            {
                if (!_pages.TryGetValue(request.PageToken, out var existing) || existing.Sub != sub)
                {
                    throw GoogleApiError.InvalidArgument("Request contains an invalid argument.");
                }

                if (existing.PageKey != request.PageKey)
                {
                    // "all other request parameters provided to people.connections.list must match the first call".
                    throw GoogleApiError.InvalidArgument("Parameters provided with a page token must match the call that provided the page token.");
                }

                page = existing;
            }
            else
            {
                page = StartListing(sub, request, now);
            }

            var slice = page.Items.Skip(page.Offset).Take(page.PageSize).Select(i => i.DeepClone()).ToArray();
            var nextOffset = page.Offset + slice.Length;
            var response = new JsonObject();
            if (slice.Length > 0)
            {
                response["connections"] = new JsonArray(slice);
            }

            if (nextOffset < page.Items.Count)
            {
                var token = SecureTokens.New("sbx-pt-", 18);
                _pages[token] = page with { Offset = nextOffset };
                response["nextPageToken"] = token;
            }
            else if (page.NextSyncToken is not null)
            {
                // Only the last page carries nextSyncToken (facts §1.1).
                response["nextSyncToken"] = page.NextSyncToken;
            }

            response["totalPeople"] = page.Items.Count;
            response["totalItems"] = page.Items.Count;
            return response;
        }
    }

    private PageState StartListing(string sub, ListRequest request, DateTimeOffset now)
    {
        var account = Account(sub);
        var fullSyncAt = now;
        List<(ContactRecord Contact, ContactVersion Version)> rows;
        if (request.SyncToken is not null)
        {
            if (!_syncTokens.TryGetValue(request.SyncToken, out var since) || since.Sub != sub)
            {
                throw GoogleApiError.InvalidArgument("Request contains an invalid argument.");
            }

            if (now - since.FullSyncAt > SyncTokenLifetime)
            {
                throw GoogleApiError.FailedPrecondition("Sync token is expired. Clear local cache and retry call without the sync token.", "EXPIRED_SYNC_TOKEN");
            }

            if (since.SyncKey != request.SyncKey)
            {
                throw GoogleApiError.InvalidArgument("Parameters provided with a sync token must match the call that provided the sync token.");
            }

            fullSyncAt = since.FullSyncAt;

            // Changed since the token: any version that became visible after the token's cut-off and is visible now.
            rows = [.. account.Contacts.Values
                .Where(c => c.Versions.Any(v => v.VisibleAt <= now && IsAfter(v, since.CutoffTime, since.CutoffSeq)))
                .Select(c => (c, c.LatestVisible(now)!))
                .OrderBy(r => r.Item2.VisibleAt).ThenBy(r => r.Item2.Seq)];
        }
        else
        {
            rows = [.. account.Contacts.Values
                .Select(c => (Contact: c, Version: c.LatestVisible(now)))
                .Where(r => r.Version is { Deleted: false })
                .Select(r => (r.Contact, r.Version!))];
            rows = request.SortOrder switch
            {
                "LAST_MODIFIED_DESCENDING" => [.. rows.OrderByDescending(r => r.Item2.VisibleAt).ThenByDescending(r => r.Item2.Seq)],
                "FIRST_NAME_ASCENDING" => [.. rows.OrderBy(r => NamePart(r.Item2, "givenName"), StringComparer.OrdinalIgnoreCase)],
                "LAST_NAME_ASCENDING" => [.. rows.OrderBy(r => NamePart(r.Item2, "familyName"), StringComparer.OrdinalIgnoreCase)],
                _ => [.. rows.OrderBy(r => r.Item2.VisibleAt).ThenBy(r => r.Item2.Seq)],
            };
        }

        string? nextSyncToken = null;
        if (request.RequestSyncToken)
        {
            // Cut-off (now, current seq): versions not yet visible sort after it and show up in the next incremental sync.
            nextSyncToken = SecureTokens.New("sbx-st-", 18);
            _syncTokens[nextSyncToken] = new SyncTokenState(sub, now, _seq, fullSyncAt, request.SyncKey);
        }

        var items = rows.Select(r => Render(r.Item1, r.Item2, request.PersonFields, syncList: request.SyncToken is not null)).ToList();
        return new PageState(sub, items, 0, request.PageSize, request.PageKey, nextSyncToken);
    }

    private static bool IsAfter(ContactVersion v, DateTimeOffset time, long seq) => v.VisibleAt > time || (v.VisibleAt == time && v.Seq > seq);

    private static string NamePart(ContactVersion v, string part) =>
        v.Person?["names"]?.AsArray().FirstOrDefault()?[part]?.GetValue<string>() ?? string.Empty;

    // ---- single people -----------------------------------------------------------------------------

    public JsonObject Get(string sub, string resourceName, IReadOnlySet<string> fields)
    {
        lock (_gate)
        {
            var (contact, latest) = Live(Account(sub), resourceName, followRenames: true);
            return Render(contact, latest, fields);
        }
    }

    /// <summary>For batchGet: null when the person does not exist.</summary>
    public JsonObject? TryGet(string sub, string resourceName, IReadOnlySet<string> fields)
    {
        lock (_gate)
        {
            var account = Account(sub);
            return Find(account, resourceName, followRenames: true) is { Latest: { Deleted: false } v } c ? Render(c, v, fields) : null;
        }
    }

    public JsonObject Create(string sub, JsonObject person, IReadOnlySet<string> fields) => CreateMany(sub, [person], fields)[0];

    /// <summary>All or nothing: every person is validated before any is stored.</summary>
    public IReadOnlyList<JsonObject> CreateMany(string sub, IReadOnlyList<JsonObject> people, IReadOnlySet<string> fields)
    {
        lock (_gate)
        {
            var account = Account(sub);
            var contents = people.Select(p => Content(account, p, PersonFields.Updatable, creating: true)).ToList();
            var result = new List<JsonObject>(contents.Count);
            foreach (var content in contents)
            {
                var contact = new ContactRecord("c" + (Interlocked.Increment(ref _ids) + 7_000_000_000_000_000_000L).ToString(CultureInfo.InvariantCulture));
                account.Contacts[contact.Id] = contact;
                result.Add(Render(contact, Append(contact, content), fields));
            }

            return result;
        }
    }

    public JsonObject Update(string sub, string resourceName, JsonObject person, IReadOnlySet<string> updateFields, IReadOnlySet<string> fields) =>
        UpdateMany(sub, [(resourceName, person)], updateFields, fields)[0];

    /// <summary>All or nothing, like batchUpdateContacts; the first failing contact's error is thrown.</summary>
    public IReadOnlyList<JsonObject> UpdateMany(string sub, IReadOnlyList<(string ResourceName, JsonObject Person)> updates, IReadOnlySet<string> updateFields, IReadOnlySet<string> fields)
    {
        lock (_gate)
        {
            var account = Account(sub);
            var planned = new List<(ContactRecord Contact, JsonObject Content)>(updates.Count);
            foreach (var (resourceName, person) in updates)
            {
                var (contact, latest) = Live(account, resourceName);
                CheckEtag(person, latest);
                var content = (JsonObject)latest.Person!.DeepClone();
                var patch = Content(account, person, updateFields, creating: false);
                foreach (var field in updateFields)
                {
                    // "All fields in the mask are replaced" (updateContact reference): absent means cleared.
                    content.Remove(field);
                    if (patch[field] is { } value)
                    {
                        content[field] = value.DeepClone();
                    }
                }

                planned.Add((contact, content));
            }

            return [.. planned.Select(p => Render(p.Contact, Append(p.Contact, p.Content), fields))];
        }
    }

    public void Delete(string sub, IReadOnlyList<string> resourceNames)
    {
        lock (_gate)
        {
            var account = Account(sub);
            var contacts = resourceNames.Select(r => Live(account, r).Contact).ToList();
            foreach (var c in contacts)
            {
                Append(c, null);
            }
        }
    }

    // ---- contact groups ------------------------------------------------------------------------------

    public IReadOnlyList<JsonObject> ListGroups(string sub)
    {
        lock (_gate)
        {
            var account = Account(sub);
            return [.. account.Groups.Values.OrderBy(g => g.System ? 0 : 1).ThenBy(g => g.Created).Select(g => RenderGroup(account, g))];
        }
    }

    public JsonObject CreateGroup(string sub, string name)
    {
        lock (_gate)
        {
            var account = Account(sub);
            if (account.Groups.Values.Any(g => string.Equals(g.Name, name, StringComparison.OrdinalIgnoreCase)))
            {
                // Names are unique per user (facts §1.3); Google answers ALREADY_EXISTS (⚠ exact wording unverified).
                throw new GoogleApiError(409, "ALREADY_EXISTS", "Contact group name already exists.");
            }

            var group = new GroupRecord(Convert.ToHexStringLower(BitConverter.GetBytes(Interlocked.Increment(ref _ids) * 2654435761L)), name, false, clock.GetUtcNow());
            account.Groups[group.Id] = group;
            return RenderGroup(account, group);
        }
    }

    public JsonObject ModifyMembers(string sub, string groupId, IReadOnlyList<string> add, IReadOnlyList<string> remove)
    {
        lock (_gate)
        {
            var account = Account(sub);
            if (!account.Groups.TryGetValue(groupId, out var group))
            {
                throw GoogleApiError.NotFound("Requested entity was not found.");
            }

            if (add.Count > 0 && group.System && group.Id is not (MyContacts or Starred))
            {
                // Only myContacts and starred accept added members among system groups (facts §1.3).
                throw GoogleApiError.InvalidArgument("Cannot add contacts to deprecated system contact group.");
            }

            var notFound = new JsonArray();
            var cannotRemove = new JsonArray();
            var changed = new Dictionary<string, (ContactRecord Contact, JsonObject Content)>(StringComparer.Ordinal);
            JsonObject ContentOf(ContactRecord c) =>
                changed.TryGetValue(c.Id, out var e) ? e.Content : (changed[c.Id] = (c, (JsonObject)c.Latest!.Person!.DeepClone())).Content;

            foreach (var resourceName in add)
            {
                if (!TryLive(account, resourceName, out var contact))
                {
                    notFound.Add(resourceName);
                    continue;
                }

                var content = ContentOf(contact);
                var memberships = content["memberships"] as JsonArray ?? [];
                if (!memberships.Any(m => GroupIdOf(m) == group.Id))
                {
                    memberships.Add(Membership(group.Id));
                }

                content["memberships"] = memberships;
            }

            foreach (var resourceName in remove)
            {
                if (!TryLive(account, resourceName, out var contact))
                {
                    notFound.Add(resourceName);
                    continue;
                }

                var content = ContentOf(contact);
                if (content["memberships"] is not JsonArray memberships || memberships.FirstOrDefault(m => GroupIdOf(m) == group.Id) is not { } existing)
                {
                    continue;
                }

                if (memberships.Count(m => GroupIdOf(m) is not null) == 1)
                {
                    cannotRemove.Add(resourceName);
                    continue;
                }

                memberships.Remove(existing);
            }

            foreach (var (contact, content) in changed.Values)
            {
                if (!JsonNode.DeepEquals(content, contact.Latest!.Person))
                {
                    Append(contact, content);
                }
            }

            var response = new JsonObject();
            if (notFound.Count > 0)
            {
                response["notFoundResourceNames"] = notFound;
            }

            if (cannotRemove.Count > 0)
            {
                response["canNotRemoveLastContactGroupResourceNames"] = cannotRemove;
            }

            return response;
        }
    }

    // ---- test controls -------------------------------------------------------------------------------

    /// <summary>Test-only: stores contacts as if created long ago (visible at once). Returns their resource names.</summary>
    public IReadOnlyList<string> Seed(string sub, IEnumerable<JsonObject> people)
    {
        lock (_gate)
        {
            var delay = PropagationDelay;
            PropagationDelay = TimeSpan.Zero;
            try
            {
                return [.. CreateMany(sub, [.. people], PersonFields.Readable).Select(p => p["resourceName"]!.GetValue<string>())];
            }
            finally
            {
                PropagationDelay = delay;
            }
        }
    }

    /// <summary>
    /// Test-only: gives a contact a new resource name, as Google does when a contact gets linked to a profile (a verified
    /// e-mail, say). The change is a new version (new etag); sync-token listings name the old one in previousResourceNames.
    /// </summary>
    public string Rename(string sub, string resourceName)
    {
        lock (_gate)
        {
            var account = Account(sub);
            var (contact, latest) = Live(account, resourceName);
            var oldId = contact.Id;
            var newId = "c" + (Interlocked.Increment(ref _ids) + 7_000_000_000_000_000_000L).ToString(CultureInfo.InvariantCulture);
            account.Contacts.Remove(oldId);
            contact.Id = newId;
            contact.PreviousIds.Add(oldId);
            account.Contacts[newId] = contact;
            account.Renamed[oldId] = contact;
            Append(contact, (JsonObject)latest.Person!.DeepClone());
            return "people/" + newId;
        }
    }

    /// <summary>contactGroups.get: like Google's plain reads, it sees the newest state of every member (no propagation delay).</summary>
    public JsonObject GetGroup(string sub, string groupId, int maxMembers)
    {
        lock (_gate)
        {
            var account = Account(sub);
            if (!account.Groups.TryGetValue(groupId, out var group))
            {
                throw GoogleApiError.NotFound("Requested entity was not found.");
            }

            var json = RenderGroup(account, group);
            var members = account.Contacts.Values
                .Where(c => c.Latest is { Deleted: false } v && v.Person!["memberships"] is JsonArray ms && ms.Any(m => GroupIdOf(m) == group.Id))
                .Select(c => (JsonNode)("people/" + c.Id)).Take(maxMembers).ToArray();
            if (members.Length > 0)
            {
                json["memberResourceNames"] = new JsonArray(members);
            }

            return json;
        }
    }

    /// <summary>Test-only: the contact as Google would return it from people.get with every field, or null.</summary>
    public JsonObject? Peek(string sub, string resourceName) => TryGet(sub, resourceName, PersonFields.Readable);

    public int CountLive(string sub)
    {
        lock (_gate)
        {
            return Account(sub).Contacts.Values.Count(c => c.Latest is { Deleted: false });
        }
    }

    // ---- internals -----------------------------------------------------------------------------------

    private AccountData Account(string sub)
    {
        if (!_accounts.TryGetValue(sub, out var account))
        {
            account = new AccountData();
            var epoch = DateTimeOffset.UnixEpoch;
            account.Groups[MyContacts] = new GroupRecord(MyContacts, "myContacts", true, epoch);
            account.Groups[Starred] = new GroupRecord(Starred, "starred", true, epoch);
            _accounts[sub] = account;
        }

        return account;
    }

    private ContactVersion Append(ContactRecord contact, JsonObject? content)
    {
        var now = clock.GetUtcNow();
        var version = new ContactVersion(++_seq, now, now + PropagationDelay, content, SecureTokens.New("%Eg", 12));
        contact.Versions.Add(version);
        return version;
    }

    /// <summary>
    /// A live contact by resource name. Reads follow a rename (batchGet answers with the new name and the old one as
    /// requestedResourceName); writes to a former name are 404, so a client must have followed the rename.
    /// </summary>
    private static (ContactRecord Contact, ContactVersion Latest) Live(AccountData account, string resourceName, bool followRenames = false)
    {
        if (IdOf(resourceName) is null)
        {
            throw GoogleApiError.InvalidArgument($"Resource name \"{resourceName}\" is not a valid contact resource name (people/c...).");
        }

        if (Find(account, resourceName, followRenames) is not { Latest: { Deleted: false } latest } contact)
        {
            throw GoogleApiError.NotFound("Requested entity was not found.");
        }

        return (contact, latest);
    }

    private static ContactRecord? Find(AccountData account, string resourceName, bool followRenames) =>
        IdOf(resourceName) is not { } id ? null
        : account.Contacts.TryGetValue(id, out var contact) ? contact
        : followRenames && account.Renamed.TryGetValue(id, out var renamed) ? renamed
        : null;

    private static bool TryLive(AccountData account, string resourceName, out ContactRecord contact)
    {
        contact = null!;
        return IdOf(resourceName) is { } id && account.Contacts.TryGetValue(id, out contact!) && contact.Latest is { Deleted: false };
    }

    /// <summary>Only contact people ("people/c…") can be written; people/me and account ids cannot (facts §1.2).</summary>
    private static string? IdOf(string resourceName) =>
        resourceName.StartsWith("people/c", StringComparison.Ordinal) && resourceName.Length > 8 && !resourceName[7..].Contains('/', StringComparison.Ordinal)
            ? resourceName[7..]
            : null;

    private static void CheckEtag(JsonObject person, ContactVersion latest)
    {
        var etag = person["etag"]?.GetValue<string>()
            ?? (person["metadata"]?["sources"] as JsonArray)?.FirstOrDefault(s => s?["type"]?.GetValue<string>() == "CONTACT")?["etag"]?.GetValue<string>();
        if (string.IsNullOrEmpty(etag))
        {
            throw GoogleApiError.InvalidArgument("Request must set person.etag or person.metadata.sources.etag for the source that is being updated.");
        }

        if (!string.Equals(etag, latest.Etag, StringComparison.Ordinal))
        {
            // 400 failedPrecondition, not 412 (facts §0 trap 5).
            throw GoogleApiError.FailedPrecondition("Request person.etag is different than the current person.etag. Clear local cache and get the latest person.");
        }
    }

    /// <summary>The stored data fields of a written person: only the writable fields, validated like Google.</summary>
    private static JsonObject Content(AccountData account, JsonObject person, IReadOnlySet<string> allowed, bool creating)
    {
        var content = new JsonObject();
        foreach (var (name, value) in person)
        {
            if (value is null || !allowed.Contains(name))
            {
                continue;
            }

            if (value is not JsonArray array)
            {
                throw GoogleApiError.InvalidArgument($"Invalid value at 'person.{name}': expected a list.");
            }

            if (PersonFields.Singletons.Contains(name) && array.Count > 1)
            {
                throw GoogleApiError.InvalidArgument($"Only one {name} value is allowed per contact.");
            }

            var items = new JsonArray();
            foreach (var item in array)
            {
                if (item is not JsonObject obj)
                {
                    throw GoogleApiError.InvalidArgument($"Invalid value at 'person.{name}'.");
                }

                var copy = (JsonObject)obj.DeepClone();

                // Field metadata is output only but for sourcePrimary (the client's choice of primary); derived values are recomputed.
                var sourcePrimary = obj["metadata"]?["sourcePrimary"] is JsonValue sp && sp.TryGetValue<bool>(out var isPrimary) && isPrimary;
                copy.Remove("metadata");
                if (sourcePrimary)
                {
                    copy["metadata"] = new JsonObject { ["sourcePrimary"] = true };
                }

                foreach (var outputOnly in OutputOnlySubFields)
                {
                    copy.Remove(outputOnly);
                }

                items.Add(copy);
            }

            content[name] = items;
        }

        if (content["memberships"] is JsonArray memberships)
        {
            var normalized = new JsonArray();
            foreach (var m in memberships)
            {
                var id = GroupIdOf(m) ?? throw GoogleApiError.InvalidArgument("A membership must name a contact group (contactGroupMembership.contactGroupResourceName).");
                if (!account.Groups.TryGetValue(id, out var group))
                {
                    throw GoogleApiError.InvalidArgument($"Contact group \"contactGroups/{id}\" does not exist.");
                }

                if (group.System && group.Id is not (MyContacts or Starred))
                {
                    throw GoogleApiError.InvalidArgument("Cannot add contacts to deprecated system contact group.");
                }

                normalized.Add(Membership(id));
            }

            if (normalized.Count == 0)
            {
                // updateContact: "400 if updating memberships without any contact-group membership" (facts §1.2).
                throw GoogleApiError.InvalidArgument("A contact must be a member of at least one contact group.");
            }

            content["memberships"] = normalized;
        }
        else if (creating)
        {
            // ⚠ unverified (facts §8): new contacts are placed in myContacts, as in the Contacts UI.
            content["memberships"] = new JsonArray(Membership(MyContacts));
        }

        return content;
    }

    private static string? GroupIdOf(JsonNode? membership)
    {
        var m = membership?["contactGroupMembership"];
        var resourceName = m?["contactGroupResourceName"]?.GetValue<string>();
        if (resourceName is not null)
        {
            return resourceName.StartsWith("contactGroups/", StringComparison.Ordinal) ? resourceName["contactGroups/".Length..] : null;
        }

        return m?["contactGroupId"]?.GetValue<string>();
    }

    private static JsonObject Membership(string groupId) => new()
    {
        ["contactGroupMembership"] = new JsonObject
        {
            ["contactGroupId"] = groupId,
            ["contactGroupResourceName"] = "contactGroups/" + groupId,
        },
    };

    /// <summary>Sub-fields Google computes (readOnly in the discovery document): what a client sends for them is dropped.</summary>
    private static readonly string[] OutputOnlySubFields = ["displayName", "displayNameLastFirst", "canonicalForm", "formattedType", "formattedValue", "formattedProtocol"];

    private static JsonObject Render(ContactRecord contact, ContactVersion version, IReadOnlySet<string> fields, bool syncList = false)
    {
        var person = new JsonObject { ["resourceName"] = "people/" + contact.Id, ["etag"] = version.Etag };
        var source = new JsonObject { ["type"] = "CONTACT", ["id"] = contact.Id };
        if (version.Person is { } content)
        {
            foreach (var (name, value) in content)
            {
                if (!fields.Contains(name) || value is not JsonArray array)
                {
                    continue;
                }

                var items = new JsonArray();

                // "Each non-empty field is guaranteed to have exactly one field with metadata.primary": the client's sourcePrimary, else the first.
                var primary = Math.Max(0, array.Select((n, i) => n?["metadata"]?["sourcePrimary"] is not null ? i : -1).FirstOrDefault(i => i >= 0, -1));
                for (var i = 0; i < array.Count; i++)
                {
                    var item = (JsonObject)array[i]!.DeepClone();
                    var itemMetadata = new JsonObject { ["source"] = source.DeepClone() };
                    if (name != "memberships")
                    {
                        itemMetadata["primary"] = i == primary;
                        if (item["metadata"]?["sourcePrimary"] is not null)
                        {
                            itemMetadata["sourcePrimary"] = true;
                        }
                    }

                    item["metadata"] = itemMetadata;
                    if (name == "names" && item["displayName"] is null)
                    {
                        item["displayName"] = string.Join(' ', new[] { item["givenName"], item["familyName"] }.Select(n => n?.GetValue<string>()).Where(n => !string.IsNullOrEmpty(n)));
                    }

                    items.Add(item);
                }

                person[name] = items;
            }
        }

        if (fields.Contains("metadata"))
        {
            var sourceWithEtag = (JsonObject)source.DeepClone();
            sourceWithEtag["etag"] = version.Etag;
            sourceWithEtag["updateTime"] = version.WrittenAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            var metadata = new JsonObject { ["sources"] = new JsonArray(sourceWithEtag), ["objectType"] = "PERSON" };
            if (version.Deleted)
            {
                metadata["deleted"] = true;
            }

            if (syncList && contact.PreviousIds.Count > 0)
            {
                // "Populated only for people.connections.list requests that include a sync token."
                metadata["previousResourceNames"] = new JsonArray([.. contact.PreviousIds.Select(id => (JsonNode)("people/" + id))]);
            }

            person["metadata"] = metadata;
        }

        return person;
    }

    private static JsonObject RenderGroup(AccountData account, GroupRecord group)
    {
        var members = account.Contacts.Values.Count(c => c.Latest is { Deleted: false } v && v.Person!["memberships"] is JsonArray ms && ms.Any(m => GroupIdOf(m) == group.Id));
        var json = new JsonObject
        {
            ["resourceName"] = "contactGroups/" + group.Id,
            ["etag"] = "sbx-g-" + group.Id,
            ["metadata"] = new JsonObject { ["updateTime"] = group.Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) },
            ["groupType"] = group.System ? "SYSTEM_CONTACT_GROUP" : "USER_CONTACT_GROUP",
            ["name"] = group.Name,
            ["formattedName"] = group.System ? (group.Id == MyContacts ? "My Contacts" : "Starred") : group.Name,
        };
        if (members > 0)
        {
            json["memberCount"] = members;
        }

        return json;
    }

    private sealed class AccountData
    {
        public Dictionary<string, ContactRecord> Contacts { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, GroupRecord> Groups { get; } = new(StringComparer.Ordinal);

        /// <summary>Former ids of renamed contacts.</summary>
        public Dictionary<string, ContactRecord> Renamed { get; } = new(StringComparer.Ordinal);
    }

    private sealed class ContactRecord(string id)
    {
        public string Id { get; set; } = id;

        /// <summary>Ids it had before a rename, oldest first.</summary>
        public List<string> PreviousIds { get; } = [];

        public List<ContactVersion> Versions { get; } = [];

        public ContactVersion? Latest => Versions.Count > 0 ? Versions[^1] : null;

        public ContactVersion? LatestVisible(DateTimeOffset now) => Versions.LastOrDefault(v => v.VisibleAt <= now);
    }

    /// <summary>One write. <see cref="Person"/> is null for a deletion.</summary>
    private sealed record ContactVersion(long Seq, DateTimeOffset WrittenAt, DateTimeOffset VisibleAt, JsonObject? Person, string Etag)
    {
        public bool Deleted => Person is null;
    }

    private sealed record GroupRecord(string Id, string Name, bool System, DateTimeOffset Created);

    private sealed record SyncTokenState(string Sub, DateTimeOffset CutoffTime, long CutoffSeq, DateTimeOffset FullSyncAt, string SyncKey);

    private sealed record PageState(string Sub, List<JsonObject> Items, int Offset, int PageSize, string PageKey, string? NextSyncToken);
}
