using System.Globalization;
using System.Security.Cryptography;
using System.Text;
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
/// Google person ⇄ Creatio Contact, both directions, pure. Writes to Google are merged into the person as Google
/// holds it, so what is not mapped (home phones, other e-mails, addresses, photos, other groups) survives an update.
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

    /// <summary>The fields merged into <paramref name="current"/> (a copy; resource name and etag kept) for an update.</summary>
    public static Person ToGoogle(ContactFields fields, Person? current)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var f = fields.Normalized();
        var person = new Person { ResourceName = current?.ResourceName, Etag = current?.Etag };

        var oldName = current?.Names?.FirstOrDefault();
        person.Names = f.GivenName.Length + f.MiddleName.Length + f.Surname.Length == 0
            ? []
            : [new Name
            {
                GivenName = NullIfEmpty(f.GivenName), MiddleName = NullIfEmpty(f.MiddleName), FamilyName = NullIfEmpty(f.Surname),
                HonorificPrefix = oldName?.HonorificPrefix, HonorificSuffix = oldName?.HonorificSuffix,
            }];

        var emails = (current?.EmailAddresses ?? []).Select(e => new EmailAddress { Value = e.Value, Type = e.Type, DisplayName = e.DisplayName }).ToList();
        var primary = current?.EmailAddresses?.FindIndex(e => e.Metadata?.Primary == true) is >= 0 and var p ? p : 0;
        if (f.Email.Length == 0)
        {
            if (emails.Count > 0)
            {
                emails.RemoveAt(primary);
            }
        }
        else if (emails.Count == 0)
        {
            emails.Add(new EmailAddress { Value = f.Email, Type = "work" });
        }
        else if (!string.Equals(emails[primary].Value?.Trim(), f.Email, StringComparison.OrdinalIgnoreCase))
        {
            emails[primary].Value = f.Email;
        }

        person.EmailAddresses = emails;

        var phones = (current?.PhoneNumbers ?? []).Select(n => new PhoneNumber { Value = n.Value, Type = n.Type }).ToList();
        SetPhone(phones, WorkPhoneType, f.Phone);
        SetPhone(phones, MobilePhoneType, f.MobilePhone);
        person.PhoneNumbers = phones;

        var organizations = (current?.Organizations ?? []).Select(o => new Organization { Name = o.Name, Title = o.Title, Department = o.Department }).ToList();
        if (organizations.Count > 0)
        {
            organizations[0].Title = NullIfEmpty(f.JobTitle);
            if (organizations[0] is { Name: null, Title: null, Department: null })
            {
                organizations.RemoveAt(0);
            }
        }
        else if (f.JobTitle.Length > 0)
        {
            organizations.Add(new Organization { Title = f.JobTitle });
        }

        person.Organizations = organizations;

        var yearless = current?.Birthdays?.FirstOrDefault(b => b.Date is not { Year: > 0 });
        person.Birthdays = f.BirthDate is { } birth
            ? [new Birthday { Date = new GoogleDate { Year = birth.Year, Month = birth.Month, Day = birth.Day } }]
            // A birthday without a year cannot come from Creatio; keep it rather than erase it.
            : yearless is not null ? [new Birthday { Date = yearless.Date, Text = yearless.Text }] : [];

        person.Biographies = f.Notes.Length == 0 ? [] : [new Biography { Value = f.Notes, ContentType = "TEXT_PLAIN" }];
        return person;
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
