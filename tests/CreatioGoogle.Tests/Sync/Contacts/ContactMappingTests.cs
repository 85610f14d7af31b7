using System.Text.Json.Nodes;
using CreatioGoogle.Broker.Google.People;
using CreatioGoogle.Broker.Sync.Contacts;

namespace CreatioGoogle.Tests.Sync.Contacts;

public sealed class ContactMappingTests
{
    private static readonly ContactFields Full = new()
    {
        GivenName = "Ada", MiddleName = "King", Surname = "Lovelace", Email = "ada@example.com", Phone = "+44 20 1", MobilePhone = "+44 7700 1",
        JobTitle = "Countess", BirthDate = new DateOnly(1815, 12, 10), Notes = "first\nprogrammer",
    };

    [Fact]
    public void Every_mapped_field_survives_Creatio_to_Google_and_back()
    {
        var person = ContactMapping.NewGooglePerson(Full, "contactGroups/g1", Guid.NewGuid());
        Assert.Equal(Full, ContactMapping.FromGoogle(person));
        Assert.Equal(Full, ContactMapping.FromCreatio(ContactMapping.ToCreatio(Full)));
        Assert.Equal("Ada King Lovelace", ContactMapping.ToCreatio(Full)["Name"]!.GetValue<string>());
        Assert.Equal("1815-12-10T00:00:00Z", ContactMapping.ToCreatio(Full)["BirthDate"]!.GetValue<string>());
    }

    [Fact]
    public void The_hash_ignores_spacing_and_email_case_but_not_content()
    {
        var messy = Full with { GivenName = "  Ada ", Email = "ADA@Example.com", Notes = "first\r\nprogrammer  " };
        Assert.Equal(Full.Hash(), messy.Hash());
        Assert.NotEqual(Full.Hash(), (Full with { JobTitle = "Count" }).Hash());
        Assert.NotEqual(Full.Hash(), (Full with { BirthDate = null }).Hash());
    }

    [Fact]
    public void An_update_keeps_what_is_not_mapped_on_the_Google_person()
    {
        var current = new Person
        {
            ResourceName = "people/c1", Etag = "e1",
            PhoneNumbers = [new PhoneNumber { Value = "+1 home", Type = "home" }, new PhoneNumber { Value = "+1 old work", Type = "work" }],
            EmailAddresses = [new EmailAddress { Value = "old@example.com", Metadata = new FieldMetadata { Primary = true } }, new EmailAddress { Value = "second@example.com" }],
            Organizations = [new Organization { Name = "Analytical Engines Ltd", Title = "Old" }],
            Birthdays = [new Birthday { Date = new GoogleDate { Month = 12, Day = 10 } }],
        };

        var updated = ContactMapping.ToGoogle(Full with { BirthDate = null }, current);

        Assert.Equal(("people/c1", "e1"), (updated.ResourceName, updated.Etag));
        Assert.Contains(updated.PhoneNumbers!, n => n.Type == "home" && n.Value == "+1 home");
        Assert.Equal("+44 20 1", updated.PhoneNumbers!.Single(n => n.Type == "work").Value);
        Assert.Equal(["ada@example.com", "second@example.com"], updated.EmailAddresses!.Select(e => e.Value));
        Assert.Equal(("Analytical Engines Ltd", "Countess"), (updated.Organizations![0].Name, updated.Organizations[0].Title));
        Assert.Null(Assert.Single(updated.Birthdays!).Date!.Year); // a yearless birthday has no Creatio form: kept
    }

    [Fact]
    public void A_Creatio_contact_with_only_a_full_name_goes_to_Google_as_given_name()
    {
        var fields = ContactMapping.FromCreatio(new JsonObject { ["Name"] = "Mononymous", ["GivenName"] = "", ["Surname"] = "" });
        Assert.Equal("Mononymous", fields.GivenName);
    }
}
