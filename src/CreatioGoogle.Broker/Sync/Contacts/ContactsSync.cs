using CreatioGoogle.Broker.Creatio;
using CreatioGoogle.Broker.Google;
using CreatioGoogle.Broker.Google.People;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CreatioGoogle.Broker.Sync.Contacts;

/// <summary>
/// Two-way sync of the Google contacts in one contact group (default "Creatio") with the Creatio contacts the connected
/// user owns: a feature on the <see cref="SyncEngine"/>, which does the pairing, deciding, writing and crash safety. This
/// class only puts the pieces together: its state (<see cref="ContactsState"/>), its two sides (<see cref="PeopleContacts"/>,
/// <see cref="CreatioContacts"/>), the mapping they share (<see cref="ContactMapping"/>) and its policy.
/// </summary>
internal sealed class ContactsSync(
    SyncEngine engine,
    GooglePeopleClient people,
    ICreatioClientFactory creatioClients,
    IOptions<ContactsSyncOptions> options,
    TimeProvider clock,
    ILogger<ContactsSync> logger) : ISyncFeature
{
    public string Feature => Features.Contacts;

    public Task<string> SyncAsync(SyncContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = options.Value;
        var state = context.Cursor.ReadState<ContactsState>();
        var google = new PeopleContacts(people, context, state, settings.GroupName, logger);
        var creatio = new CreatioContacts(creatioClients.ForTenant(context.Tenant.Id), context, state, settings.CreatioPageSize, clock.GetUtcNow(), logger);
        return engine.RunAsync(context, Feature, state, google, creatio, settings.Policy, cancellationToken);
    }
}
