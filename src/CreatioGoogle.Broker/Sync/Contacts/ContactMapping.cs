using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CreatioGoogle.Broker.Creatio;
using CreatioGoogle.Broker.Google.People;

namespace CreatioGoogle.Broker.Sync.Contacts;

/// <summary>
/// The fields both sides share, normalized (trimmed, inner whitespace collapsed, e-mail lower-cased, notes with
/// "\n" line ends) so that two sides holding the same contact hash the same.
/// </summary>
public sealed record ContactFields
{
    public string GivenName { get; init; } = "";
    public string MiddleName { get; init; } = "";
    public string Surname { get; init; } = "";
    public string Email { get; init; } = "";

    /// <summary>Google: the first phone of type "work"; Creatio: Phone (business phone).</summary>
    public string Phone { get; init; } = "";

    /// <summary>Google: the first phone of type "mobile"; Creatio: MobilePhone.</summary>
    public string MobilePhone { get; init; } = "";

    public string JobTitle { get; init; } = "";

    /// <summary>Date only; a Google birthday without a year has no Creatio form and reads as none.</summary>
    public DateOnly? BirthDate { get; init; }

    public string Notes { get; init; } = "";

    public ContactFields Normalized() => this with
    {
        GivenName = Text(GivenName),
        MiddleName = Text(MiddleName),
        Surname = Text(Surname),
        Email = Text(Email).ToLowerInvariant(),
        Phone = Text(Phone),
        MobilePhone = Text(MobilePhone),
        JobTitle = Text(JobTitle),
        Notes = (Notes ?? "").Replace("\r\n", "\n", StringComparison.Ordinal).Trim(),
    };

    /// <summary>The content hash stored on the link: equal hashes mean "nothing to write" (echo suppression).</summary>
    public string Hash()
    {
        var n = Normalized();
        var canonical = string.Join('\u001f', n.GivenName, n.MiddleName, n.Surname, n.Email, n.Phone, n.MobilePhone, n.JobTitle,
            n.BirthDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "", n.Notes);
        return Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)).AsSpan(0, 18));
    }

    private static string Text(string? value) =>
        string.Join(' ', (value ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}

/// <summary>
/// Google person ⇄ Creatio Contact, both directions, pure. Writes to Google change only the mapped sub-fields that
/// differ, in a copy of the person as Google holds it, so nothing that is not mapped (home phones, other e-mails,
/// addresses, an organization's dates, phonetic names, unknown fields) is lost by an update.
/// Organization name ↔ Account is not mapped: Account is a lookup that would need matching or creating accounts.
/// </summary>
public static class ContactMapping
{
    /// <summary>Where the Google copy of a Creatio contact remembers the Creatio id (facts §6.3), for re-linking after a crash.</summary>
    public const string CreatioIdKey = "creatioContactId";

    /// <summary>Google fields a sync update replaces (memberships and clientData are left alone).</summary>
    public const string GoogleUpdateMask = "names,emailAddresses,phoneNumbers,organizations,birthdays,biographies";

    public const string WorkPhoneType = "work";
    public const string MobilePhoneType = "mobile";

    public static readonly IReadOnlyList<string> CreatioColumns =
        ["Id", "ModifiedOn", "OwnerId", "Name", "GivenName", "MiddleName", "Surname", "Email", "Phone", "MobilePhone", "JobTitle", "BirthDate", "Notes"];

    public static ContactFields FromGoogle(Person person)
    {
        ArgumentNullException.ThrowIfNull(person);
        var name = person.Names?.FirstOrDefault();
        var given = name?.GivenName ?? "";
        if (string.IsNullOrWhiteSpace(given) && string.IsNullOrWhiteSpace(name?.MiddleName) && string.IsNullOrWhiteSpace(name?.FamilyName))
        {
            given = name?.UnstructuredName ?? "";
        }

        var email = person.EmailAddresses?.FirstOrDefault(e => e.Metadata?.Primary == true) ?? person.EmailAddresses?.FirstOrDefault();
        var date = person.Birthdays?.Select(b => b.Date).FirstOrDefault(d => d is { Year: > 0, Month: > 0, Day: > 0 });
        return new ContactFields
        {
            GivenName = given,
            MiddleName = name?.MiddleName ?? "",
            Surname = name?.FamilyName ?? "",
            Email = email?.Value ?? "",
            Phone = FirstPhone(person, WorkPhoneType)?.Value ?? "",
            MobilePhone = FirstPhone(person, MobilePhoneType)?.Value ?? "",
            JobTitle = person.Organizations?.FirstOrDefault()?.Title ?? "",
            BirthDate = date is null ? null : new DateOnly(date.Year!.Value, date.Month!.Value, date.Day!.Value),
            Notes = person.Biographies?.FirstOrDefault()?.Value ?? "",
        }.Normalized();
    }

    public static ContactFields FromCreatio(JsonObject row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var given = row.GetText("GivenName");
        var middle = row.GetText("MiddleName");
        var surname = row.GetText("Surname");
        if (string.IsNullOrWhiteSpace(given) && string.IsNullOrWhiteSpace(middle) && string.IsNullOrWhiteSpace(surname))
        {
            // A contact entered with only a full name: it goes to Google as the given name.
            given = row.GetText("Name");
        }

        return new ContactFields
        {
            GivenName = given,
            MiddleName = middle,
            Surname = surname,
            Email = row.GetText("Email"),
            Phone = row.GetText("Phone"),
            MobilePhone = row.GetText("MobilePhone"),
            JobTitle = row.GetText("JobTitle"),
            BirthDate = row.GetDateTime("BirthDate") is { } d ? DateOnly.FromDateTime(d.UtcDateTime) : null,
            Notes = row.GetText("Notes"),
        }.Normalized();
    }

    /// <summary>The Creatio id a Google copy was stamped with, if any.</summary>
    public static Guid? StampedCreatioId(Person person) =>
        person.ClientData?.FirstOrDefault(c => c.Key == CreatioIdKey)?.Value is { } s && Guid.TryParse(s, out var id) ? id : null;

    /// <summary>A new Google contact: the fields, membership of the sync group, and the Creatio id stamp.</summary>
    public static Person NewGooglePerson(ContactFields fields, string groupResourceName, Guid creatioId)
    {
        var person = ToGoogle(fields, current: null);
        person.Memberships = [Membership.Of(groupResourceName)];
        person.ClientData = [new ClientData { Key = CreatioIdKey, Value = creatioId.ToString("D") }];
        return person;
    }

    /// <summary>
    /// The person to send for an update: a copy of <paramref name="current"/> in which only the mapped sub-fields that
    /// differ from <paramref name="fields"/> are changed. updateContact replaces each field of its mask whole (facts §9), so
    /// everything else — an organization's type, dates and location, a name's phonetic forms and unstructured name, which
    /// e-mail is primary, a biography's content type, fields the model has no property for — goes back exactly as read.
    /// With no <paramref name="current"/>, a new person with just the fields.
    /// </summary>
    public static Person ToGoogle(ContactFields fields, Person? current)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var f = fields.Normalized();
        var person = current is null ? new Person() : Copy(current);
        var old = FromGoogle(person);

        if ((old.GivenName, old.MiddleName, old.Surname) != (f.GivenName, f.MiddleName, f.Surname))
        {
            SetName(person, f);
        }

        if (old.Email != f.Email)
        {
            SetPrimaryEmail(person, f.Email);
        }

        var phones = person.PhoneNumbers ?? [];
        if (old.Phone != f.Phone)
        {
            SetPhone(phones, WorkPhoneType, f.Phone);
        }

        if (old.MobilePhone != f.MobilePhone)
        {
            SetPhone(phones, MobilePhoneType, f.MobilePhone);
        }

        person.PhoneNumbers = phones;

        if (old.JobTitle != f.JobTitle)
        {
            SetJobTitle(person, f.JobTitle);
        }

        if (old.BirthDate != f.BirthDate)
        {
            SetBirthDate(person, f.BirthDate);
        }

        if (old.Notes != f.Notes)
        {
            SetNotes(person, f.Notes);
        }

        // Every field of the update mask is sent, even unchanged and empty: an absent one would be cleared.
        person.Names ??= [];
        person.EmailAddresses ??= [];
        person.Organizations ??= [];
        person.Birthdays ??= [];
        person.Biographies ??= [];
        return person;
    }

    private static Person Copy(Person person) =>
        JsonSerializer.Deserialize<Person>(JsonSerializer.SerializeToUtf8Bytes(person, CopyJson), CopyJson)!;

    private static readonly JsonSerializerOptions CopyJson = new(JsonSerializerDefaults.Web);

    private static void SetName(Person person, ContactFields f)
    {
        if (f.GivenName.Length + f.MiddleName.Length + f.Surname.Length == 0)
        {
            person.Names = [];
            return;
        }

        // Only the parts Creatio has; honorifics, phonetic forms and the unstructured name stay as Google holds them.
        var name = person.Names?.FirstOrDefault() ?? new Name();
        name.GivenName = NullIfEmpty(f.GivenName);
        name.MiddleName = NullIfEmpty(f.MiddleName);
        name.FamilyName = NullIfEmpty(f.Surname);
        person.Names = [name, .. (person.Names ?? []).Skip(1)];
    }

    private static void SetPrimaryEmail(Person person, string email)
    {
        var emails = person.EmailAddresses ?? [];
        var primary = emails.FindIndex(e => e.Metadata?.Primary == true) is >= 0 and var p ? p : 0;
        if (email.Length == 0)
        {
            if (emails.Count > 0)
            {
                emails.RemoveAt(primary);
            }
        }
        else if (emails.Count == 0)
        {
            emails.Add(new EmailAddress { Value = email, Type = "work" });
        }
        else
        {
            // The value only: its type, display name and "primary" stay.
            emails[primary].Value = email;
        }

        person.EmailAddresses = emails;
    }

    private static void SetJobTitle(Person person, string title)
    {
        var organizations = person.Organizations ?? [];
        if (organizations.Count > 0)
        {
            organizations[0].Title = NullIfEmpty(title);
            if (organizations[0] is { Name: null, Title: null, Department: null, Unmapped: null or { Count: 0 } })
            {
                organizations.RemoveAt(0);
            }
        }
        else if (title.Length > 0)
        {
            organizations.Add(new Organization { Title = title });
        }

        person.Organizations = organizations;
    }

    private static void SetBirthDate(Person person, DateOnly? birth)
    {
        var birthdays = person.Birthdays ?? [];
        var dated = birthdays.FindIndex(b => b.Date is { Year: > 0, Month: > 0, Day: > 0 });
        if (birth is not { } d)
        {
            // A birthday without a year cannot come from Creatio: keep it rather than erase it.
            if (dated >= 0)
            {
                birthdays.RemoveAt(dated);
            }
        }
        else
        {
            var birthday = dated >= 0 ? birthdays[dated] : new Birthday();
            birthday.Date = new GoogleDate { Year = d.Year, Month = d.Month, Day = d.Day };
            birthday.Text = null; // it described the old date
            birthdays = [birthday]; // a singleton for contacts
        }

        person.Birthdays = birthdays;
    }

    private static void SetNotes(Person person, string notes)
    {
        if (notes.Length == 0)
        {
            person.Biographies = [];
            return;
        }

        // The content type stays as Google has it (a new note is plain text).
        var biography = person.Biographies?.FirstOrDefault() ?? new Biography { ContentType = "TEXT_PLAIN" };
        biography.Value = notes;
        person.Biographies = [biography];
    }

    /// <summary>Creatio columns for a create or an update (Name is the full name Creatio shows and requires).</summary>
    public static JsonObject ToCreatio(ContactFields fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var f = fields.Normalized();
        var fullName = string.Join(' ', new[] { f.GivenName, f.MiddleName, f.Surname }.Where(s => s.Length > 0));
        return new JsonObject
        {
            ["Name"] = fullName.Length > 0 ? fullName : f.Email.Length > 0 ? f.Email : f.MobilePhone.Length > 0 ? f.MobilePhone : f.Phone,
            ["GivenName"] = f.GivenName,
            ["MiddleName"] = f.MiddleName,
            ["Surname"] = f.Surname,
            ["Email"] = f.Email,
            ["Phone"] = f.Phone,
            ["MobilePhone"] = f.MobilePhone,
            ["JobTitle"] = f.JobTitle,
            ["BirthDate"] = f.BirthDate is { } d ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "T00:00:00Z" : null,
            ["Notes"] = f.Notes,
        };
    }

    private static PhoneNumber? FirstPhone(Person person, string type) =>
        person.PhoneNumbers?.FirstOrDefault(n => string.Equals(n.Type, type, StringComparison.OrdinalIgnoreCase));

    private static void SetPhone(List<PhoneNumber> phones, string type, string value)
    {
        var index = phones.FindIndex(n => string.Equals(n.Type, type, StringComparison.OrdinalIgnoreCase));
        if (value.Length == 0)
        {
            if (index >= 0)
            {
                phones.RemoveAt(index);
            }
        }
        else if (index >= 0)
        {
            phones[index].Value = value;
        }
        else
        {
            phones.Add(new PhoneNumber { Value = value, Type = type });
        }
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
