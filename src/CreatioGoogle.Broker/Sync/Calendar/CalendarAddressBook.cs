using CreatioGoogle.Broker.Creatio;

namespace CreatioGoogle.Broker.Sync.Calendar;

/// <summary>
/// Who an e-mail address is in Creatio, for one run: Google attendees are matched to Creatio contacts by <c>Contact.Email</c>,
/// then by their <c>ContactCommunication</c> addresses. Both sides hash an attendee by its <em>canonical</em> address, so that
/// a participant and the attendee it came from compare equal even when Google knows the contact by a second address: a
/// contact's canonical address is its <c>Email</c> (else its first e-mail communication); the connected user's contact is
/// the Google account's address; an address no contact has is itself, lower-cased. Lookups are batched and cached.
/// </summary>
internal sealed class CalendarAddressBook(ICreatioClient creatio, Guid ownerContactId, string ownerEmail)
{
    /// <summary>Addresses per OData query: <c>eq … or eq …</c> filters make long URLs.</summary>
    private const int Chunk = 25;

    private readonly Dictionary<string, Guid?> _contactOfEmail = new(StringComparer.Ordinal) { [Normalize(ownerEmail)] = ownerContactId };
    private readonly Dictionary<Guid, string?> _emailOfContact = new() { [ownerContactId] = Normalize(ownerEmail) };

    public Guid OwnerContactId => ownerContactId;

    public static string Normalize(string? email) => (email ?? "").Trim().ToLowerInvariant();

    /// <summary>Looks up the contacts of addresses not seen yet in this run.</summary>
    public async Task ResolveEmailsAsync(IEnumerable<string?> emails, CancellationToken cancellationToken)
    {
        var unknown = emails.Select(Normalize).Where(e => e.Contains('@', StringComparison.Ordinal) && !_contactOfEmail.ContainsKey(e))
            .Distinct(StringComparer.Ordinal).ToList();
        if (unknown.Count == 0)
        {
            return;
        }

        foreach (var chunk in unknown.Chunk(Chunk))
        {
            var query = new CreatioQuery("Contact") { Filter = CreatioFilter.AnyOf("Email", chunk), Select = ["Id", "Email"], OrderBy = "Id asc" };
            await foreach (var page in creatio.QueryPagesAsync(query, cancellationToken))
            {
                foreach (var row in page.Rows)
                {
                    var email = Normalize(row.GetText("Email"));
                    if (!_contactOfEmail.ContainsKey(email) || _contactOfEmail[email] is null)
                    {
                        _contactOfEmail[email] = row.GetGuid("Id");
                        _emailOfContact.TryAdd(row.GetGuid("Id"), email);
                    }
                }
            }
        }

        // Not a contact's main address: maybe one of its communication options.
        var rest = unknown.Where(e => !_contactOfEmail.ContainsKey(e)).ToList();
        foreach (var chunk in rest.Chunk(Chunk))
        {
            var query = new CreatioQuery("ContactCommunication") { Filter = CreatioFilter.AnyOf("Number", chunk), Select = ["Id", "ContactId", "Number"], OrderBy = "Id asc" };
            await foreach (var page in creatio.QueryPagesAsync(query, cancellationToken))
            {
                foreach (var row in page.Rows)
                {
                    _contactOfEmail.TryAdd(Normalize(row.GetText("Number")), row.GetGuid("ContactId"));
                }
            }
        }

        foreach (var email in unknown)
        {
            _contactOfEmail.TryAdd(email, null);
        }

        await ResolveContactsAsync(unknown.Select(e => _contactOfEmail[e]).OfType<Guid>(), cancellationToken);
    }

    /// <summary>Looks up the canonical addresses of contacts not seen yet in this run.</summary>
    public async Task ResolveContactsAsync(IEnumerable<Guid> contactIds, CancellationToken cancellationToken)
    {
        var unknown = contactIds.Where(id => id != Guid.Empty && !_emailOfContact.ContainsKey(id)).Distinct().ToList();
        foreach (var chunk in unknown.Chunk(Chunk))
        {
            var query = new CreatioQuery("Contact") { Filter = CreatioFilter.AnyOf("Id", chunk), Select = ["Id", "Email"], OrderBy = "Id asc" };
            await foreach (var page in creatio.QueryPagesAsync(query, cancellationToken))
            {
                foreach (var row in page.Rows)
                {
                    var email = Normalize(row.GetText("Email"));
                    _emailOfContact[row.GetGuid("Id")] = email.Length > 0 ? email : null;
                    if (email.Length > 0)
                    {
                        _contactOfEmail.TryAdd(email, row.GetGuid("Id")); // a canonical address always names a contact
                    }
                }
            }
        }

        // A contact without Email: its first e-mail communication option, if any.
        var bare = unknown.Where(id => _emailOfContact.GetValueOrDefault(id) is null).ToList();
        foreach (var chunk in bare.Chunk(Chunk))
        {
            var query = new CreatioQuery("ContactCommunication") { Filter = CreatioFilter.AnyOf("ContactId", chunk), Select = ["Id", "ContactId", "Number"], OrderBy = "Number asc" };
            await foreach (var page in creatio.QueryPagesAsync(query, cancellationToken))
            {
                foreach (var row in page.Rows.Where(r => r.GetText("Number").Contains('@', StringComparison.Ordinal)))
                {
                    if (_emailOfContact.GetValueOrDefault(row.GetGuid("ContactId")) is null)
                    {
                        _emailOfContact[row.GetGuid("ContactId")] = Normalize(row.GetText("Number"));
                        _contactOfEmail.TryAdd(Normalize(row.GetText("Number")), row.GetGuid("ContactId"));
                    }
                }
            }
        }

        foreach (var id in unknown)
        {
            _emailOfContact.TryAdd(id, null);
        }
    }

    /// <summary>The contact an address belongs to, or null (resolved addresses only).</summary>
    public Guid? ContactOf(string email) => _contactOfEmail.GetValueOrDefault(Normalize(email));

    /// <summary>How an attendee address is compared: its contact's canonical address, or itself.</summary>
    public string CanonicalOfEmail(string email) =>
        ContactOf(email) is { } contact && CanonicalOfContact(contact) is { } canonical ? canonical : Normalize(email);

    /// <summary>A contact's canonical address, or null when it has none (such a participant stays in Creatio only).</summary>
    public string? CanonicalOfContact(Guid contactId) => _emailOfContact.GetValueOrDefault(contactId);
}
