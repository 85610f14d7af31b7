using System.Text.Json.Serialization;

namespace CreatioGoogle.Broker.Google.People;

// The People API resources the sync maps (https://developers.google.com/people/api/rest/v1/people#Person), typed where
// the sync reads them. Property names follow Google's JSON (camelCase via JsonSerializerDefaults.Web); nulls are not sent.

/// <summary>
/// Every People object keeps the JSON members it has no property for, exactly as Google sent them, and sends them back:
/// updateContact replaces each field in its mask whole, so a sub-field the model dropped would be erased at Google
/// (an organization's dates and location, a name's phonetic forms, an e-mail's type...).
/// </summary>
public abstract class PeopleObject
{
    [JsonExtensionData]
    public Dictionary<string, System.Text.Json.JsonElement>? Unmapped { get; set; }
}

public sealed class Person : PeopleObject
{
    public string? ResourceName { get; set; }

    /// <summary>Required on updates and must be current, else 400 FAILED_PRECONDITION (facts §0 trap 5).</summary>
    public string? Etag { get; set; }

    public PersonMetadata? Metadata { get; set; }

    public List<Name>? Names { get; set; }

    public List<EmailAddress>? EmailAddresses { get; set; }

    public List<PhoneNumber>? PhoneNumbers { get; set; }

    public List<Organization>? Organizations { get; set; }

    public List<Birthday>? Birthdays { get; set; }

    /// <summary>Notes.</summary>
    public List<Biography>? Biographies { get; set; }

    public List<Membership>? Memberships { get; set; }

    /// <summary>Arbitrary key/value pairs an app stores on the contact (the sync stamps the linked Creatio id here).</summary>
    public List<ClientData>? ClientData { get; set; }

    /// <summary>True for a person an incremental sync reports as deleted.</summary>
    [JsonIgnore] public bool IsDeleted => Metadata?.Deleted == true;
}

public sealed class PersonMetadata : PeopleObject
{
    public List<Source>? Sources { get; set; }

    public bool? Deleted { get; set; }

    public string? ObjectType { get; set; }

    /// <summary>Former resource names of this person (only on sync-token listings): the resource name can change (facts §9).</summary>
    public List<string>? PreviousResourceNames { get; set; }
}

public sealed class Source : PeopleObject
{
    public string? Type { get; set; }

    public string? Id { get; set; }

    public string? Etag { get; set; }

    public DateTimeOffset? UpdateTime { get; set; }
}

/// <summary>Per-field metadata. <see cref="Primary"/> is output only; <see cref="SourcePrimary"/> is what a client sets.</summary>
public sealed class FieldMetadata : PeopleObject
{
    public bool? Primary { get; set; }

    public bool? SourcePrimary { get; set; }

    public Source? Source { get; set; }
}

public sealed class Name : PeopleObject
{
    public string? DisplayName { get; set; }

    public string? GivenName { get; set; }

    public string? MiddleName { get; set; }

    public string? FamilyName { get; set; }

    public string? HonorificPrefix { get; set; }

    public string? HonorificSuffix { get; set; }

    public string? UnstructuredName { get; set; }

    public FieldMetadata? Metadata { get; set; }
}

public sealed class EmailAddress : PeopleObject
{
    public string? Value { get; set; }

    public string? Type { get; set; }

    public string? DisplayName { get; set; }

    public FieldMetadata? Metadata { get; set; }
}

public sealed class PhoneNumber : PeopleObject
{
    public string? Value { get; set; }

    /// <summary>E.164, output only.</summary>
    public string? CanonicalForm { get; set; }

    public string? Type { get; set; }

    public FieldMetadata? Metadata { get; set; }
}

public sealed class Organization : PeopleObject
{
    public string? Name { get; set; }

    public string? Title { get; set; }

    public string? Department { get; set; }

    public FieldMetadata? Metadata { get; set; }
}

public sealed class Birthday : PeopleObject
{
    public GoogleDate? Date { get; set; }

    public string? Text { get; set; }

    public FieldMetadata? Metadata { get; set; }
}

/// <summary>google.type.Date: year may be 0/absent for birthdays without a year.</summary>
public sealed class GoogleDate : PeopleObject
{
    public int? Year { get; set; }

    public int? Month { get; set; }

    public int? Day { get; set; }
}

public sealed class Biography : PeopleObject
{
    public string? Value { get; set; }

    /// <summary>TEXT_PLAIN or TEXT_HTML.</summary>
    public string? ContentType { get; set; }

    public FieldMetadata? Metadata { get; set; }
}

public sealed class ClientData : PeopleObject
{
    public string? Key { get; set; }

    public string? Value { get; set; }

    public FieldMetadata? Metadata { get; set; }
}

public sealed class Membership : PeopleObject
{
    public ContactGroupMembership? ContactGroupMembership { get; set; }

    public FieldMetadata? Metadata { get; set; }

    public static Membership Of(string contactGroupResourceName) =>
        new() { ContactGroupMembership = new ContactGroupMembership { ContactGroupResourceName = contactGroupResourceName } };
}

public sealed class ContactGroupMembership : PeopleObject
{
    public string? ContactGroupId { get; set; }

    public string? ContactGroupResourceName { get; set; }
}

public sealed class ContactGroup : PeopleObject
{
    public string? ResourceName { get; set; }

    public string? Etag { get; set; }

    public string? Name { get; set; }

    public string? FormattedName { get; set; }

    /// <summary>USER_CONTACT_GROUP or SYSTEM_CONTACT_GROUP.</summary>
    public string? GroupType { get; set; }

    public int? MemberCount { get; set; }

    /// <summary>Output only: members' resource names, on a get with maxMembers.</summary>
    public List<string>? MemberResourceNames { get; set; }
}

/// <summary>One connections.list page. <see cref="NextSyncToken"/> is only on the last page (facts §1.1).</summary>
public sealed record PeopleConnectionsPage(IReadOnlyList<Person> Connections, string? NextPageToken, string? NextSyncToken, int TotalItems);

public sealed record ModifyContactGroupMembersResult(IReadOnlyList<string> NotFoundResourceNames, IReadOnlyList<string> CanNotRemoveLastContactGroupResourceNames);
