using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace CreatioGoogle.Broker.Google.People;

/// <summary>
/// Typed HttpClient for the Google People API (v1), on the Google API pipeline (<see cref="GoogleApiServiceCollectionExtensions.AddGoogleApiClient{TClient}"/>).
/// The NuGet Google.Apis.PeopleService client is not available to us, and this covers what the contact sync needs. Every
/// call names the connection it acts for; the pipeline attaches its token, retries reads (honouring Retry-After) but not
/// writes (a lost answer to a create would duplicate the contact), and turns errors into <see cref="GoogleApiException"/>
/// (People's own cases: <see cref="PeopleErrors"/>).
/// </summary>
public sealed class GooglePeopleClient
{
    /// <summary>Fields the sync reads. metadata is needed to see deletions and source etags (facts §1.1).</summary>
    public const string PersonFields = "names,emailAddresses,phoneNumbers,organizations,birthdays,biographies,memberships,clientData,metadata";

    /// <summary>Fields the sync writes (all of them are replaced by an update, facts §1.2).</summary>
    public const string UpdatePersonFields = "names,emailAddresses,phoneNumbers,organizations,birthdays,biographies,memberships";

    public const int MaxBatchCreate = 200;
    public const int MaxBatchUpdate = 200;
    public const int MaxBatchDelete = 500;
    public const int MaxBatchGet = 200;

    private const int GroupPageSize = 1000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly HttpClient _http;
    private readonly int _pageSize;

    public GooglePeopleClient(HttpClient http, IOptions<GooglePeopleOptions> options)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _pageSize = options.Value.PageSize;
    }

    /// <summary>
    /// Pages of people/me/connections. Without <paramref name="syncToken"/>: a full listing; with it: only people changed
    /// since, deleted ones marked <see cref="Person.IsDeleted"/>. The last page carries the token for the next sync.
    /// A token Google no longer takes fails with 400 (<see cref="PeopleErrors"/>: expired, or invalid): start again without one.
    /// </summary>
    public async IAsyncEnumerable<PeopleConnectionsPage> ListConnectionsAsync(
        string tenantId, string connectionId, string? syncToken, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? pageToken = null;
        do
        {
            // Every page repeats the first call's parameters: Google rejects a page token with different ones.
            var query = new List<KeyValuePair<string, string>>
            {
                new("personFields", PersonFields),
                new("pageSize", _pageSize.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new("requestSyncToken", "true"),
            };
            if (syncToken is not null)
            {
                query.Add(new("syncToken", syncToken));
            }

            if (pageToken is not null)
            {
                query.Add(new("pageToken", pageToken));
            }

            var page = await SendAsync<ListConnectionsResponse>(tenantId, connectionId, "people.connections.list", HttpMethod.Get, Url("v1/people/me/connections", query), null, cancellationToken);
            pageToken = string.IsNullOrEmpty(page.NextPageToken) ? null : page.NextPageToken;
            yield return new PeopleConnectionsPage(page.Connections ?? [], pageToken, page.NextSyncToken, page.TotalItems ?? 0);
        }
        while (pageToken is not null);
    }

    public Task<Person> GetAsync(string tenantId, string connectionId, string resourceName, CancellationToken cancellationToken = default) =>
        SendAsync<Person>(tenantId, connectionId, "people.get", HttpMethod.Get, Url($"v1/{PersonName(resourceName)}", [new("personFields", PersonFields)]), null, cancellationToken);

    /// <summary>
    /// Up to 200 people by resource name in one call, keyed by the name asked for. A person Google renamed comes back
    /// under its new <see cref="Person.ResourceName"/> (<c>requestedResourceName</c> keeps the old one); people that no
    /// longer exist are left out.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, Person>> BatchGetAsync(
        string tenantId, string connectionId, IReadOnlyList<string> resourceNames, CancellationToken cancellationToken = default)
    {
        CheckBatch(resourceNames, MaxBatchGet);
        var query = resourceNames.Select(r => new KeyValuePair<string, string>("resourceNames", PersonName(r)))
            .Append(new("personFields", PersonFields));
        var response = await SendAsync<BatchGetResponse>(tenantId, connectionId, "people.getBatchGet", HttpMethod.Get, Url("v1/people:batchGet", query), null, cancellationToken);
        var found = new Dictionary<string, Person>(StringComparer.Ordinal);
        foreach (var r in response.Responses ?? [])
        {
            if (r.Person?.ResourceName is { } name)
            {
                found[r.RequestedResourceName ?? name] = r.Person;
            }
        }

        return found;
    }

    public Task<Person> CreateContactAsync(string tenantId, string connectionId, Person person, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(person);
        return SendAsync<Person>(tenantId, connectionId, "people.createContact", HttpMethod.Post, Url("v1/people:createContact", [new("personFields", PersonFields)]), person, cancellationToken);
    }

    /// <summary>
    /// Replaces the fields in <paramref name="updatePersonFields"/>. <paramref name="person"/> must carry its resource name and
    /// current etag; a stale etag fails with <see cref="PeopleErrors"/>' IsEtagMismatch. Use the returned etag next time.
    /// </summary>
    public Task<Person> UpdateContactAsync(
        string tenantId, string connectionId, Person person, string updatePersonFields = UpdatePersonFields, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(person);
        ArgumentException.ThrowIfNullOrEmpty(person.Etag, nameof(person) + ".Etag");
        ArgumentException.ThrowIfNullOrEmpty(updatePersonFields);
        var url = Url($"v1/{PersonName(person.ResourceName)}:updateContact", [new("updatePersonFields", updatePersonFields), new("personFields", PersonFields)]);
        return SendAsync<Person>(tenantId, connectionId, "people.updateContact", HttpMethod.Patch, url, person, cancellationToken);
    }

    public Task DeleteContactAsync(string tenantId, string connectionId, string resourceName, CancellationToken cancellationToken = default) =>
        SendAsync<JsonElement>(tenantId, connectionId, "people.deleteContact", HttpMethod.Delete, $"v1/{PersonName(resourceName)}:deleteContact", null, cancellationToken);

    /// <summary>
    /// Creates up to 200 contacts in one call (all or nothing). Google does not document the order of the answer: match
    /// the people returned to the requests by something you sent (the sync stamps clientData), never by position.
    /// </summary>
    public async Task<IReadOnlyList<Person>> BatchCreateContactsAsync(
        string tenantId, string connectionId, IReadOnlyList<Person> people, CancellationToken cancellationToken = default)
    {
        CheckBatch(people, MaxBatchCreate);
        var body = new BatchCreateRequest([.. people.Select(p => new ContactToCreate(p))], PersonFields);
        var response = await SendAsync<BatchCreateResponse>(tenantId, connectionId, "people.batchCreateContacts", HttpMethod.Post, "v1/people:batchCreateContacts", body, cancellationToken);
        return [.. (response.CreatedPeople ?? []).Select(r => r.Person ?? throw new GoogleApiException("batchCreateContacts answered without a person."))];
    }

    /// <summary>Updates up to 200 contacts (each with resource name and current etag); returns them by resource name.</summary>
    public async Task<IReadOnlyDictionary<string, Person>> BatchUpdateContactsAsync(
        string tenantId, string connectionId, IReadOnlyList<Person> people, string updateMask = UpdatePersonFields, CancellationToken cancellationToken = default)
    {
        CheckBatch(people, MaxBatchUpdate);
        var contacts = new Dictionary<string, Person>(StringComparer.Ordinal);
        foreach (var p in people)
        {
            ArgumentException.ThrowIfNullOrEmpty(p.Etag, nameof(people) + "[].Etag");
            contacts.Add(PersonName(p.ResourceName), p);
        }

        var body = new BatchUpdateRequest(contacts, updateMask, PersonFields);
        var response = await SendAsync<BatchUpdateResponse>(tenantId, connectionId, "people.batchUpdateContacts", HttpMethod.Post, "v1/people:batchUpdateContacts", body, cancellationToken);
        return (response.UpdateResult ?? []).Where(kv => kv.Value.Person is not null).ToDictionary(kv => kv.Key, kv => kv.Value.Person!, StringComparer.Ordinal);
    }

    public Task BatchDeleteContactsAsync(string tenantId, string connectionId, IReadOnlyList<string> resourceNames, CancellationToken cancellationToken = default)
    {
        CheckBatch(resourceNames, MaxBatchDelete);
        var body = new BatchDeleteRequest([.. resourceNames.Select(PersonName)]);
        return SendAsync<JsonElement>(tenantId, connectionId, "people.batchDeleteContacts", HttpMethod.Post, "v1/people:batchDeleteContacts", body, cancellationToken);
    }

    public async Task<IReadOnlyList<ContactGroup>> ListContactGroupsAsync(string tenantId, string connectionId, CancellationToken cancellationToken = default)
    {
        var groups = new List<ContactGroup>();
        string? pageToken = null;
        do
        {
            var query = new List<KeyValuePair<string, string>> { new("pageSize", GroupPageSize.ToString(System.Globalization.CultureInfo.InvariantCulture)) };
            if (pageToken is not null)
            {
                query.Add(new("pageToken", pageToken));
            }

            var page = await SendAsync<ListContactGroupsResponse>(tenantId, connectionId, "contactGroups.list", HttpMethod.Get, Url("v1/contactGroups", query), null, cancellationToken);
            groups.AddRange(page.ContactGroups ?? []);
            pageToken = string.IsNullOrEmpty(page.NextPageToken) ? null : page.NextPageToken;
        }
        while (pageToken is not null);

        return groups;
    }

    /// <summary>
    /// One contact group with the resource names of up to <paramref name="maxMembers"/> members (a plain read, not a sync
    /// listing: it sees a contact created a moment ago).
    /// </summary>
    public Task<ContactGroup> GetContactGroupAsync(string tenantId, string connectionId, string contactGroupResourceName, int maxMembers,
        CancellationToken cancellationToken = default)
    {
        CheckGroupName(contactGroupResourceName);
        var query = new KeyValuePair<string, string>[]
        {
            new("maxMembers", maxMembers.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("groupFields", "name,groupType,memberCount,metadata"),
        };
        return SendAsync<ContactGroup>(tenantId, connectionId, "contactGroups.get", HttpMethod.Get, Url($"v1/{contactGroupResourceName}", query), null,
            cancellationToken);
    }

    /// <summary>The user's contact group with this name, created when missing (group names are unique per user, facts §1.3).</summary>
    public async Task<ContactGroup> FindOrCreateContactGroupAsync(string tenantId, string connectionId, string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (await FindUserGroupAsync(tenantId, connectionId, name, cancellationToken) is { } existing)
        {
            return existing;
        }

        try
        {
            return await SendAsync<ContactGroup>(tenantId, connectionId, "contactGroups.create", HttpMethod.Post, "v1/contactGroups",
                new CreateContactGroupRequest(new ContactGroup { Name = name }), cancellationToken);
        }
        catch (GoogleApiException e) when (e.StatusCode == HttpStatusCode.Conflict && e.Status == "ALREADY_EXISTS")
        {
            // Someone else created it between our list and create.
            if (await FindUserGroupAsync(tenantId, connectionId, name, cancellationToken) is { } raced)
            {
                return raced;
            }

            throw;
        }
    }

    /// <summary>Adds/removes contacts (≤1000 in total) to/from a group. Only user groups, myContacts and starred accept additions.</summary>
    public async Task<ModifyContactGroupMembersResult> ModifyContactGroupMembersAsync(
        string tenantId, string connectionId, string contactGroupResourceName, IReadOnlyCollection<string> add, IReadOnlyCollection<string> remove,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(add);
        ArgumentNullException.ThrowIfNull(remove);
        CheckGroupName(contactGroupResourceName);
        var body = new ModifyMembersRequest([.. add.Select(PersonName)], [.. remove.Select(PersonName)]);
        var response = await SendAsync<ModifyMembersResponse>(tenantId, connectionId, "contactGroups.members.modify", HttpMethod.Post,
            $"v1/{contactGroupResourceName}/members:modify", body, cancellationToken);
        return new ModifyContactGroupMembersResult(response.NotFoundResourceNames ?? [], response.CanNotRemoveLastContactGroupResourceNames ?? []);
    }

    private async Task<ContactGroup?> FindUserGroupAsync(string tenantId, string connectionId, string name, CancellationToken cancellationToken)
    {
        var groups = (await ListContactGroupsAsync(tenantId, connectionId, cancellationToken)).Where(g => g.GroupType == "USER_CONTACT_GROUP").ToList();
        return groups.FirstOrDefault(g => string.Equals(g.Name, name, StringComparison.Ordinal))
            ?? groups.FirstOrDefault(g => string.Equals(g.Name, name, StringComparison.OrdinalIgnoreCase));
    }

    private async Task<T> SendAsync<T>(string tenantId, string connectionId, string operation, HttpMethod method, string url, object? body,
        CancellationToken cancellationToken)
    {
        using var request = GoogleApiRequest.Create(method, url, new GoogleConnection(tenantId, connectionId), operation);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        }

        // The pipeline answers with a success or throws GoogleApiException.
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (typeof(T) == typeof(JsonElement))
        {
            // Calls without a result (delete): Google sends "{}", nothing to read.
            return default!;
        }

        return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken)
            ?? throw new GoogleApiException($"People API answered {operation} with an empty body.");
    }

    private static void CheckGroupName(string contactGroupResourceName)
    {
        if (contactGroupResourceName is null || !contactGroupResourceName.StartsWith("contactGroups/", StringComparison.Ordinal)
            || contactGroupResourceName.Length <= "contactGroups/".Length || contactGroupResourceName.IndexOfAny(['?', '#'], 0) >= 0)
        {
            throw new ArgumentException("Expected a contact group resource name (contactGroups/...).", nameof(contactGroupResourceName));
        }
    }

    /// <summary>Only contact people ("people/c…") can be written; anything else is a caller bug, caught before the call.</summary>
    private static string PersonName(string? resourceName)
    {
        if (resourceName is null || !resourceName.StartsWith("people/", StringComparison.Ordinal) || resourceName.Length <= "people/".Length
            || resourceName.IndexOfAny(['/', '?', '#', ':'], "people/".Length) >= 0)
        {
            throw new ArgumentException("Expected a person resource name (people/...).", nameof(resourceName));
        }

        return resourceName;
    }

    private static void CheckBatch<T>(IReadOnlyCollection<T> items, int max)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentOutOfRangeException.ThrowIfZero(items.Count, nameof(items) + ".Count");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(items.Count, max, nameof(items) + ".Count");
    }

    private static string Url(string path, IEnumerable<KeyValuePair<string, string>> query) =>
        path + "?" + string.Join('&', query.Select(kv => Uri.EscapeDataString(kv.Key) + "=" + Uri.EscapeDataString(kv.Value)));

    // ---- wire shapes ---------------------------------------------------------------------------------

    private sealed record ListConnectionsResponse(List<Person>? Connections, string? NextPageToken, string? NextSyncToken, int? TotalItems);

    private sealed record ContactToCreate(Person ContactPerson);

    private sealed record BatchCreateRequest(List<ContactToCreate> Contacts, string ReadMask);

    private sealed record PersonResponse(Person? Person, int? HttpStatusCode, string? RequestedResourceName);

    private sealed record BatchCreateResponse(List<PersonResponse>? CreatedPeople);

    private sealed record BatchGetResponse(List<PersonResponse>? Responses);

    private sealed record BatchUpdateRequest(Dictionary<string, Person> Contacts, string UpdateMask, string ReadMask);

    private sealed record BatchUpdateResponse(Dictionary<string, PersonResponse>? UpdateResult);

    private sealed record BatchDeleteRequest(List<string> ResourceNames);

    private sealed record ListContactGroupsResponse(List<ContactGroup>? ContactGroups, string? NextPageToken, int? TotalItems);

    private sealed record CreateContactGroupRequest(ContactGroup ContactGroup);

    private sealed record ModifyMembersRequest(List<string> ResourceNamesToAdd, List<string> ResourceNamesToRemove);

    private sealed record ModifyMembersResponse(List<string>? NotFoundResourceNames, List<string>? CanNotRemoveLastContactGroupResourceNames);

}
