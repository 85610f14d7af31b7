using System.Net;
using System.Text.Json.Nodes;
using CreatioGoogle.Broker.Google;
using CreatioGoogle.Broker.Google.Calendar;
using Microsoft.Extensions.Logging;

namespace CreatioGoogle.Broker.Sync.Calendar;

/// <summary>
/// The Google side of the calendar sync: the events of the user's primary calendar, recurring events expanded into their
/// instances (<c>singleEvents=true</c>), from the window's start (events that ended earlier are not synced) to, for a full
/// listing, <see cref="CalendarSyncOptions.SyncFuture"/> ahead. Event ids are derived from the Creatio meeting, so a create
/// that died is found by its id (409 duplicate); every event made here also carries the meeting's id in its extended
/// properties. Events organized by someone else are read, never written: the organizer owns them.
/// </summary>
internal sealed class GoogleEvents(GoogleCalendarClient calendar, SyncContext context, CalendarState state, CalendarSyncOptions options,
    CalendarAddressBook book, DateTimeOffset startedAt, ILogger logger) : ISyncSide<CalendarEvent, CreatioMeeting>
{
    /// <summary>Event types the sync maps to meetings: not out-of-office, focus time, working location or birthdays.</summary>
    private static readonly HashSet<string> SyncedTypes = new(StringComparer.Ordinal) { "default", "fromGmail" };

    private GoogleConnection Connection { get; } = new(context.Tenant.Id, context.Connection.ConnectionId);

    /// <summary>Events are written one call each (Calendar has no batch write the sandbox or the sync use); links are saved per 100.</summary>
    public SideBatchLimits Limits { get; } = new(100, 100, 100);

    public bool AssignsIds => false;

    /// <summary>An update sends the attendees whole (patch replaces arrays), so it needs the event as Google holds it.</summary>
    public bool UpdatesNeedCurrent => true;

    private string ZoneName => state.CalendarTimeZone ?? "UTC";

    public async Task<SideChanges<CalendarEvent>> ListChangesAsync(bool full, CancellationToken cancellationToken)
    {
        var token = full ? null : state.GoogleSyncToken;
        try
        {
            return await ListAsync(token, cancellationToken);
        }
        catch (GoogleApiException e) when (token is not null && e.IsFullSyncRequired)
        {
            // 410 fullSyncRequired / updatedMinTooLongAgo: list everything again; links and stamps relink, nothing is duplicated.
            logger.LogInformation("Calendar refused the sync token of {Connection} ({Reason}): full resync", Connection.ConnectionId, e.Reason ?? "410");
            return await ListAsync(null, cancellationToken);
        }
    }

    private async Task<SideChanges<CalendarEvent>> ListAsync(string? syncToken, CancellationToken ct)
    {
        var windowStart = syncToken is null ? startedAt - options.SyncPast : state.WindowStart ?? startedAt - options.SyncPast;
        var windowEnd = syncToken is null ? startedAt + options.SyncFuture : state.WindowEnd ?? startedAt + options.SyncFuture;
        state.RunWindowStart = windowStart;

        var events = new Dictionary<string, CalendarEvent>(StringComparer.Ordinal);
        string? next = null, zone = null;
        await foreach (var page in calendar.ListEventsAsync(Connection, syncToken, windowStart, windowEnd, ct))
        {
            foreach (var ev in page.Items.Where(e => e.Id is not null))
            {
                // A later page can report the same event again: the last word counts.
                events[ev.Id!] = ev;
            }

            next = page.NextSyncToken ?? next;
            zone = page.TimeZone ?? zone;
            await context.RenewLeaseAsync(ct);
        }

        UseZone(zone ?? state.CalendarTimeZone);
        await book.ResolveEmailsAsync(events.Values.SelectMany(Emails), ct);
        var items = new List<SyncItem<CalendarEvent>>();
        var gone = new Dictionary<string, Gone>(StringComparer.Ordinal);
        foreach (var ev in events.Values)
        {
            if (ev.IsCancelled)
            {
                gone[ev.Id!] = Gone.Deleted; // a deleted event, or a cancelled instance of a series
            }
            else if (SyncedTypes.Contains(ev.EventType ?? "default"))
            {
                var item = Item(ev);
                if (item.InScope)
                {
                    items.Add(item);
                }
                else
                {
                    gone[ev.Id!] = Gone.LeftScope; // moved to before the window
                }
            }
        }

        return new SideChanges<CalendarEvent>
        {
            Full = syncToken is null,
            Items = items,
            Gone = gone,
            Commit = () =>
            {
                state.GoogleSyncToken = next;
                state.CalendarTimeZone = zone ?? state.CalendarTimeZone;
                if (syncToken is null)
                {
                    (state.WindowStart, state.WindowEnd) = (windowStart, windowEnd);
                }
            },
        };
    }

    public async Task<IReadOnlyDictionary<string, SyncItem<CalendarEvent>>> GetManyAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        var events = new List<CalendarEvent>();
        foreach (var id in ids.Where(IsEventId).Distinct(StringComparer.Ordinal))
        {
            // A cancelled event is deleted as far as the sync is concerned.
            if (await calendar.GetEventAsync(Connection, id, cancellationToken) is { IsCancelled: false } ev)
            {
                events.Add(ev);
            }
        }

        await book.ResolveEmailsAsync(events.SelectMany(Emails), cancellationToken);
        return events.Select(Item).ToDictionary(i => i.Id, StringComparer.Ordinal);
    }

    public Task<IReadOnlyDictionary<string, SyncItem<CalendarEvent>>> FindByStampAsync(IReadOnlyCollection<string> otherIds, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, SyncItem<CalendarEvent>>>(new Dictionary<string, SyncItem<CalendarEvent>>());

    public string? DerivedIdFor(SyncItem<CreatioMeeting> source) => Guid.TryParse(source.Id, out var id) ? CalendarIds.GoogleEventIdFor(id) : null;

    public async Task<IReadOnlyList<WriteResult<CalendarEvent>>> CreateAsync(IReadOnlyList<SyncItem<CreatioMeeting>> sources, CancellationToken cancellationToken)
    {
        var results = new List<WriteResult<CalendarEvent>>(sources.Count);
        foreach (var source in sources)
        {
            if (source.Native.OwnerId != book.OwnerContactId)
            {
                // "Synchronization runs by the Organizer field": the owner's sync puts it in Google, and Google invites this user.
                results.Add(new(source.Id, WriteOutcome.Skipped, Error: "the meeting's owner is another Creatio user: their sync puts it in Google"));
                continue;
            }

            var id = DerivedIdFor(source)!;
            var fields = MeetingMapping.FromCreatio(source.Native, state.RunZone, book);
            var body = MeetingMapping.GoogleFields(fields, ZoneName, current: null, book);
            body["id"] = id;
            body["extendedProperties"] = new JsonObject
            {
                ["private"] = new JsonObject { [MeetingMapping.StampKey] = source.Id },
                ["shared"] = new JsonObject { [MeetingMapping.StampKey] = source.Id },
            };
            try
            {
                results.Add(new(source.Id, WriteOutcome.Done, await ItemAsync(await calendar.InsertEventAsync(Connection, body, options.SendUpdates, cancellationToken), cancellationToken)));
            }
            catch (GoogleApiException e) when (e.IsDuplicate)
            {
                results.Add(await ExistingAsync(source, id, body, cancellationToken));
            }
            catch (GoogleApiException e)
            {
                results.Add(new(source.Id, WriteOutcome.Failed, Error: e.Message));
            }
        }

        return results;
    }

    /// <summary>
    /// The event's id is taken (409 duplicate): made by a run that died before linking it, or deleted since (a deleted event
    /// keeps its id). The first is linked as it is; the second is brought back with the meeting's content.
    /// </summary>
    private async Task<WriteResult<CalendarEvent>> ExistingAsync(SyncItem<CreatioMeeting> source, string id, JsonObject body, CancellationToken ct)
    {
        var existing = await calendar.GetEventAsync(Connection, id, ct);
        if (existing is null)
        {
            return new(source.Id, WriteOutcome.Failed, Error: $"event {id} is a duplicate, yet Google cannot find it");
        }

        if (!existing.IsCancelled)
        {
            return new(source.Id, WriteOutcome.AlreadyExists, await ItemAsync(existing, ct));
        }

        body.Remove("id");
        body["status"] = "confirmed";
        try
        {
            return new(source.Id, WriteOutcome.Done, await ItemAsync(await calendar.PatchEventAsync(Connection, id, body, existing.Etag, options.SendUpdates, ct), ct));
        }
        catch (GoogleApiException e)
        {
            return new(source.Id, WriteOutcome.Failed, Error: $"event {id} was deleted and could not be restored: {e.Message}");
        }
    }

    public async Task<IReadOnlyList<WriteResult<CalendarEvent>>> UpdateAsync(IReadOnlyList<SideUpdate<CalendarEvent, CreatioMeeting>> updates, CancellationToken cancellationToken)
    {
        var results = new List<WriteResult<CalendarEvent>>(updates.Count);
        foreach (var (current, source) in updates)
        {
            var ev = current.Native;
            if (ev.Organizer?.Self != true)
            {
                // Someone else's meeting: their changes come into Creatio, edits made in Creatio stay there (never sent to the organizer).
                results.Add(new(current.Id, WriteOutcome.Skipped, Error: $"organized by {ev.Organizer?.Email ?? "someone else"}: Google is not written"));
                continue;
            }

            var fields = MeetingMapping.FromCreatio(source.Native, state.RunZone, book);
            try
            {
                var patched = await calendar.PatchEventAsync(Connection, current.Id, MeetingMapping.GoogleFields(fields, ZoneName, ev, book), ev.Etag,
                    options.SendUpdates, cancellationToken);
                results.Add(new(current.Id, WriteOutcome.Done, await ItemAsync(patched, cancellationToken)));
            }
            catch (GoogleApiException e) when (e.IsConditionNotMet)
            {
                results.Add(new(current.Id, WriteOutcome.ChangedMeanwhile, Error: e.Message)); // read again and decided again
            }
            catch (GoogleApiException e) when (e.StatusCode == HttpStatusCode.NotFound || e.IsAlreadyDeleted)
            {
                results.Add(new(current.Id, WriteOutcome.Gone, Error: e.Message));
            }
            catch (GoogleApiException e) when (e.IsForbiddenForNonOrganizer)
            {
                results.Add(new(current.Id, WriteOutcome.Skipped, Error: e.Message));
            }
            catch (GoogleApiException e)
            {
                results.Add(new(current.Id, WriteOutcome.Failed, Error: e.Message));
            }
        }

        return results;
    }

    public async Task<IReadOnlyList<WriteResult<CalendarEvent>>> DeleteAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var results = new List<WriteResult<CalendarEvent>>(ids.Count);
        foreach (var id in ids)
        {
            var ev = IsEventId(id) ? await calendar.GetEventAsync(Connection, id, cancellationToken) : null;
            if (ev is null or { IsCancelled: true })
            {
                results.Add(new(id, WriteOutcome.Gone));
                continue;
            }

            if (ev.Organizer?.Self != true)
            {
                results.Add(new(id, WriteOutcome.Skipped, Error: $"organized by {ev.Organizer?.Email ?? "someone else"}: not deleted from Google"));
                continue;
            }

            try
            {
                await calendar.DeleteEventAsync(Connection, id, options.SendUpdates, cancellationToken);
                results.Add(new(id, WriteOutcome.Done));
            }
            catch (GoogleApiException e) when (e.IsAlreadyDeleted || e.StatusCode == HttpStatusCode.NotFound)
            {
                results.Add(new(id, WriteOutcome.Gone)); // 410 deleted: deleted already, which is what was wanted
            }
            catch (GoogleApiException e)
            {
                results.Add(new(id, WriteOutcome.Failed, Error: e.Message));
            }
        }

        return results;
    }

    private async Task<SyncItem<CalendarEvent>> ItemAsync(CalendarEvent ev, CancellationToken ct)
    {
        await book.ResolveEmailsAsync(Emails(ev), ct);
        return Item(ev);
    }

    private SyncItem<CalendarEvent> Item(CalendarEvent ev) => new()
    {
        Id = ev.Id!,
        Etag = ev.Etag,
        ModifiedAt = ev.Updated,
        Hash = MeetingMapping.FromGoogle(ev, book).Hash(),
        Stamp = MeetingMapping.StampOf(ev),
        InScope = SyncedTypes.Contains(ev.EventType ?? "default") && EndOf(ev) > state.RunWindowStart,
        Native = ev,
    };

    /// <summary>When the event ends (an all-day one at midnight after its last day, in the calendar's zone).</summary>
    private DateTimeOffset EndOf(CalendarEvent ev)
    {
        var fields = MeetingMapping.FromGoogle(ev, book);
        return fields.AllDay
            ? new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(fields.EndDay.ToDateTime(TimeOnly.MinValue), state.RunZone), TimeSpan.Zero)
            : fields.End;
    }

    private void UseZone(string? name)
    {
        state.RunZone = CalendarState.ZoneOf(name);
        if (name is not null && state.RunZone == TimeZoneInfo.Utc && name != "UTC")
        {
            logger.LogWarning("Calendar time zone {Zone} of {Connection} is unknown here: UTC is used for all-day meetings", name, Connection.ConnectionId);
        }
    }

    private static IEnumerable<string?> Emails(CalendarEvent ev) => (ev.Attendees ?? []).Select(a => a.Email).Append(ev.Organizer?.Email);

    /// <summary>Only event ids are sent to Google: pending ids and anything else malformed are not.</summary>
    private static bool IsEventId(string id) => id.Length is >= 5 and <= 1024 && id.All(c => c is (>= 'a' and <= 'v') or (>= '0' and <= '9') or '_' or 'T' or 'Z');
}
