using CreatioGoogle.Broker.Creatio;
using CreatioGoogle.Broker.Google;
using CreatioGoogle.Broker.Google.Calendar;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CreatioGoogle.Broker.Sync.Calendar;

/// <summary>
/// Two-way sync of the connected user's primary Google calendar with the Creatio meetings the user owns or takes part in:
/// a feature on the <see cref="SyncEngine"/>, which does the pairing, deciding, writing and crash safety. This class only puts
/// the pieces together: its state (<see cref="CalendarState"/>), its two sides (<see cref="GoogleEvents"/>,
/// <see cref="CreatioMeetings"/>), the mapping they share (<see cref="MeetingMapping"/>, with the run's
/// <see cref="CalendarAddressBook"/>) and its policy.
/// </summary>
internal sealed class CalendarSync(
    SyncEngine engine,
    GoogleCalendarClient calendar,
    ICreatioClientFactory creatioClients,
    IOptions<CalendarSyncOptions> options,
    TimeProvider clock,
    ILogger<CalendarSync> logger) : ISyncFeature
{
    public string Feature => Features.Calendar;

    public async Task<string> SyncAsync(SyncContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = options.Value;
        var state = context.Cursor.ReadState<CalendarState>();
        var creatio = creatioClients.ForTenant(context.Tenant.Id);
        state.CreatioOwnerId ??= await CreatioUsers.ContactOfAsync(creatio, context.Connection.CreatioUserId, cancellationToken);

        var startedAt = clock.GetUtcNow();
        state.RunZone = CalendarState.ZoneOf(state.CalendarTimeZone);
        state.RunWindowStart = state.WindowStart ?? startedAt - settings.SyncPast;
        var book = new CalendarAddressBook(creatio, state.CreatioOwnerId.Value, context.Connection.GoogleEmail);
        var google = new GoogleEvents(calendar, context, state, settings, book, startedAt, logger);
        var meetings = new CreatioMeetings(creatio, context, state, settings.CreatioPageSize, book, startedAt, logger);
        return await engine.RunAsync(context, Feature, state, google, meetings, settings.Policy, cancellationToken);
    }
}
