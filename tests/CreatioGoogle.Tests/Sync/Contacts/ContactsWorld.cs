using System.Text.Json.Nodes;
using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Creatio;
using CreatioGoogle.Broker.Google;
using CreatioGoogle.Broker.Google.People;
using CreatioGoogle.Broker.Sync;
using CreatioGoogle.Broker.Sync.Contacts;
using CreatioGoogle.Sandbox.Creatio;
using CreatioGoogle.Sandbox.Google.People;
using CreatioGoogle.Tests.Infrastructure;
using CreatioGoogle.Tests.Sync;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CreatioGoogle.Tests.Sync.Contacts;

/// <summary>
/// The contacts sync with its real parts: <see cref="BrokerWorld"/> (Azurite, sandbox Google with People, a connected
/// account), a sandbox Creatio over HTTP on the same fake clock, and the real <see cref="SyncRunner"/>. A
/// <see cref="WriteFault"/> sits under both HTTP clients to kill a run right after its Nth write.
/// </summary>
internal sealed class ContactsWorld : ISyncWorld
{
    public const string Email = "alice@example.com";
    public const string IntegrationUser = SyncWorldHost.IntegrationUser;
    public const string Owner = "Alice";

    private ContactsWorld(BrokerWorld broker, SandboxCreatio creatio, Connection connection, Guid ownerContactId, WriteFault fault)
    {
        Broker = broker;
        Creatio = creatio;
        Connection = connection;
        OwnerContactId = ownerContactId;
        Fault = fault;
    }

    public BrokerWorld Broker { get; }
    public SandboxCreatio Creatio { get; }
    public Connection Connection { get; }
    public Guid OwnerContactId { get; }
    public WriteFault Fault { get; }
    public SandboxPeople People => Broker.Google.People;
    public GooglePeopleClient PeopleClient => Broker.Services.GetRequiredService<GooglePeopleClient>();
    public LinkStore Links => Broker.Services.GetRequiredService<LinkStore>();

    public static async Task<ContactsWorld> StartAsync(Action<Dictionary<string, string?>>? configure = null, Action<IServiceCollection>? services = null)
    {
        var parts = await SyncWorldHost.StartAsync(Features.Contacts, Email, [Owner], configure, (collection, fault) =>
        {
            collection.AddHttpClient<GooglePeopleClient>().AddHttpMessageHandler(() => new WriteFaultHandler(fault));
            services?.Invoke(collection);
        });
        return new ContactsWorld(parts.Broker, parts.Creatio, parts.Connection, parts.Creatio.ContactIdOf(Owner), parts.Fault);
    }

    /// <summary>One queued job run by the real runner (lease, cursor saved last). Failures propagate.</summary>
    public Task<SyncRunOutcome> SyncAsync() => SyncWorldHost.RunJobAsync(Broker, Connection, Features.Contacts);

    public Task<Cursor?> CursorAsync() => SyncWorldHost.CursorAsync(Broker, Connection, Features.Contacts);

    /// <summary>The contacts feature's state as the last successful run saved it (empty before the first).</summary>
    public async Task<ContactsState> StateAsync() => (await CursorAsync())?.ReadState<ContactsState>() ?? new ContactsState();

    public async Task<List<Link>> LinksAsync() => await Links.ListAsync(Connection.ConnectionId, Features.Contacts, CancellationToken.None);

    public async Task<string> GroupAsync(string name = "Creatio") =>
        (await PeopleClient.FindOrCreateContactGroupAsync(BrokerWorld.TenantId, Connection.ConnectionId, name)).ResourceName!;

    public string SeedGoogle(string group, string given, string family, string? email = null, string? workPhone = null, string? homePhone = null)
    {
        var person = new JsonObject
        {
            ["names"] = new JsonArray(new JsonObject { ["givenName"] = given, ["familyName"] = family }),
            ["memberships"] = new JsonArray(new JsonObject { ["contactGroupMembership"] = new JsonObject { ["contactGroupResourceName"] = group } }),
        };
        var emails = new JsonArray();
        if (email is not null)
        {
            emails.Add(new JsonObject { ["value"] = email, ["type"] = "work" });
            person["emailAddresses"] = emails;
        }

        var phones = new JsonArray();
        if (workPhone is not null)
        {
            phones.Add(new JsonObject { ["value"] = workPhone, ["type"] = "work" });
        }

        if (homePhone is not null)
        {
            phones.Add(new JsonObject { ["value"] = homePhone, ["type"] = "home" });
        }

        if (phones.Count > 0)
        {
            person["phoneNumbers"] = phones;
        }

        return People.SeedContacts(Email, [person]).Single();
    }

    public Guid SeedCreatio(string given, string surname, string? email = null, Guid? owner = null)
    {
        var row = Creatio.SeedContact(new JsonObject
        {
            ["Name"] = $"{given} {surname}",
            ["GivenName"] = given,
            ["Surname"] = surname,
            ["Email"] = email ?? "",
            ["OwnerId"] = (owner ?? OwnerContactId).ToString(),
            ["ModifiedOn"] = Broker.Clock.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
        });
        return Guid.Parse(row["Id"]!.GetValue<string>());
    }

    /// <summary>The user's Creatio contacts that the sync covers (owned by the connected user, the user's own contact excluded).</summary>
    public List<JsonObject> OwnedCreatioContacts() =>
        [.. Creatio.Contacts().Where(c => c["OwnerId"]?.GetValue<string>() == OwnerContactId.ToString() && c["Id"]!.GetValue<string>() != OwnerContactId.ToString())];

    /// <summary>Every live Google contact, read through the API (counters are reset afterwards).</summary>
    public async Task<List<Person>> GoogleContactsAsync()
    {
        var all = new List<Person>();
        await foreach (var page in PeopleClient.ListConnectionsAsync(BrokerWorld.TenantId, Connection.ConnectionId, null))
        {
            all.AddRange(page.Connections);
        }

        People.ResetCounters();
        return all;
    }

    public async Task<Person> GoogleEditAsync(string resourceName, Action<Person> edit, string mask)
    {
        var person = await PeopleClient.GetAsync(BrokerWorld.TenantId, Connection.ConnectionId, resourceName);
        edit(person);
        var updated = await PeopleClient.UpdateContactAsync(BrokerWorld.TenantId, Connection.ConnectionId, person, mask);
        People.ResetCounters();
        return updated;
    }

    public async Task GoogleDeleteAsync(string resourceName)
    {
        await PeopleClient.DeleteContactAsync(BrokerWorld.TenantId, Connection.ConnectionId, resourceName);
        People.ResetCounters();
    }

    public void ResetCounters()
    {
        People.ResetCounters();
        Creatio.ResetCounters();
    }

    /// <summary>People writes (creates, updates, deletes, group changes) since the last reset.</summary>
    public int GoogleWrites() => People.Calls.Where(kv => kv.Key is not ("people.connections.list" or "people.get" or "people.getBatchGet" or "contactGroups.list"))
        .Sum(kv => kv.Value);

    public int CreatioWrites() => SyncWorldHost.CreatioWrites(Creatio);

    public async ValueTask DisposeAsync()
    {
        await Broker.DisposeAsync();
        await Creatio.DisposeAsync();
    }
}
