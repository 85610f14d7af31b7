using System.Text.Json.Nodes;
using CreatioGoogle.Broker.Creatio;
using CreatioGoogle.Broker.Google.Calendar;
using Microsoft.Extensions.Logging;

namespace CreatioGoogle.Broker.Sync.Calendar;

/// <summary>
/// The Creatio side of the calendar sync: meetings (Activity of type Task, category Meeting, shown in the calendar) that
/// the connected user's contact owns or takes part in (<c>ActivityParticipant</c>), ending after the window's start. A
/// Canceled meeting counts as deleted. A meeting made from Google gets an id derived from the event, its owner is the
/// user; a sync never changes a meeting's owner, organizer or status, except that a meeting the user owns is set to
/// Canceled when its Google event was cancelled and copies are kept (<see cref="RetireAsync"/>).
/// </summary>
internal sealed class CreatioMeetings(ICreatioClient creatio, SyncContext context, CalendarState state, int pageSize, CalendarAddressBook book,
    DateTimeOffset startedAt, ILogger logger) : ISyncSide<CreatioMeeting, CalendarEvent>
{
    /// <summary>
    /// Meetings per write call. A call's operations (a meeting and its participant rows each) go out in $batch requests of 100
    /// in order, so a bigger call packs them full: 1000 meetings with 100 participants make 11 requests, not 20.
    /// </summary>
    private const int BatchSize = 1000;

    /// <summary>Ids per OData query (<c>Id eq … or …</c>): URLs have a length limit.</summary>
    private const int IdsPerQuery = 25;

    /// <summary>Creatio's clock and ours differ; a cursor that has seen no row starts this far back.</summary>
    private static readonly TimeSpan ClockSkewMargin = TimeSpan.FromMinutes(5);

    private Guid Owner => book.OwnerContactId;

    public SideBatchLimits Limits { get; } = new(BatchSize, BatchSize, BatchSize);

    public bool UpdatesNeedCurrent => false;

    public bool AssignsIds => false;

    public async Task<SideChanges<CreatioMeeting>> ListChangesAsync(bool full, CancellationToken cancellationToken)
    {
        var since = full ? null : state.CreatioModifiedSince;
        var meetings = new Dictionary<Guid, CreatioMeeting>();
        DateTimeOffset? max = null;
        void Seen(DateTimeOffset? at) => max = at > max || max is null ? at ?? max : max;

        // 1. The meetings the user owns.
        await foreach (var meeting in QueryAsync(CreatioFilter.And(CreatioFilter.Equal("OwnerId", Owner), MeetingFilter, Since(since)), cancellationToken))
        {
            meetings[meeting.Id] = meeting;
            Seen(meeting.Version);
        }

        // 2. Participant rows: in full, where the user takes part; else every row changed since (the user's own answer or invitation,
        //    and other participants' answers on the user's meetings: an answer moves only its row's ModifiedOn).
        var participantFilter = since is { } s ? CreatioFilter.ModifiedSince(s) : CreatioFilter.Equal("ParticipantId", Owner);
        var joined = new HashSet<Guid>();
        var others = new HashSet<Guid>();
        var rows = new CreatioQuery(CreatioMeeting.ParticipantCollection) { Filter = participantFilter, Select = CreatioMeeting.ParticipantColumns, PageSize = pageSize };
        await foreach (var page in creatio.QueryPagesAsync(rows, cancellationToken))
        {
            foreach (var row in page.Rows)
            {
                (row.GetGuid("ParticipantId") == Owner ? joined : others).Add(row.GetGuid("ActivityId"));
                Seen(row.GetDateTime("ModifiedOn"));
            }

            await context.RenewLeaseAsync(cancellationToken);
        }

        // 3. Those meetings, unless listed: the user's invitations, and other rows' meetings only when the user owns them.
        foreach (var meeting in await ByIdsAsync(joined.Where(id => !meetings.ContainsKey(id)), MeetingFilter, cancellationToken))
        {
            meetings[meeting.Id] = meeting;
        }

        var ownedFilter = CreatioFilter.And(CreatioFilter.Equal("OwnerId", Owner), MeetingFilter);
        foreach (var meeting in await ByIdsAsync(others.Where(id => !meetings.ContainsKey(id) && !joined.Contains(id)), ownedFilter, cancellationToken))
        {
            meetings[meeting.Id] = meeting;
        }

        await ResolveAsync(meetings.Values, cancellationToken);
        var items = new List<SyncItem<CreatioMeeting>>();
        var gone = new Dictionary<string, Gone>(StringComparer.OrdinalIgnoreCase);
        foreach (var meeting in meetings.Values.Where(IsMine))
        {
            if (meeting.IsCanceled)
            {
                gone[meeting.Id.ToString("D")] = Gone.Deleted; // Canceled in Creatio: deleted, as far as the sync is concerned
            }
            else
            {
                items.Add(Item(meeting));
            }
        }

        // Deletions are invisible to a ModifiedOn query: a full listing shows them by absence.
        return new SideChanges<CreatioMeeting>
        {
            Full = since is null,
            Items = items,
            Gone = gone,
            Commit = () => state.CreatioModifiedSince = max ?? state.CreatioModifiedSince ?? startedAt - ClockSkewMargin,
        };
    }

    public async Task<IReadOnlyDictionary<string, SyncItem<CreatioMeeting>>> GetManyAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        var meetings = await ByIdsAsync(Guids(ids), filter: null, cancellationToken);
        await ResolveAsync(meetings, cancellationToken);

        // A Canceled meeting is deleted as far as the sync is concerned.
        return meetings.Where(m => !m.IsCanceled).Select(Item).ToDictionary(i => i.Id, StringComparer.OrdinalIgnoreCase);
    }

    public Task<IReadOnlyDictionary<string, SyncItem<CreatioMeeting>>> FindByStampAsync(IReadOnlyCollection<string> otherIds, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, SyncItem<CreatioMeeting>>>(new Dictionary<string, SyncItem<CreatioMeeting>>());

    public string? DerivedIdFor(SyncItem<CalendarEvent> source) => CalendarIds.CreatioIdFor(context.Tenant.Id, source.Id).ToString("D");

    public async Task<IReadOnlyList<WriteResult<CreatioMeeting>>> CreateAsync(IReadOnlyList<SyncItem<CalendarEvent>> sources, CancellationToken cancellationToken)
    {
        var operations = new List<(CreatioBatchOperation Operation, Guid Meeting)>();
        var bySource = new List<(SyncItem<CalendarEvent> Source, Guid Id)>();
        foreach (var source in sources)
        {
            var id = CalendarIds.CreatioIdFor(context.Tenant.Id, source.Id);
            var fields = MeetingMapping.FromGoogle(source.Native, book);
            var row = MeetingMapping.CreatioColumns(fields, state.RunZone, book);
            row["OwnerId"] = Owner.ToString("D");
            row["AuthorId"] = Owner.ToString("D");
            row["TypeId"] = ActivityLookups.TypeTask.ToString("D");
            row["ActivityCategoryId"] = ActivityLookups.CategoryMeeting.ToString("D");
            row["ShowInScheduler"] = true;
            row["StatusId"] = ActivityLookups.StatusNotStarted.ToString("D");
            if (OrganizerOf(source.Native) is { } organizer)
            {
                row["OrganizerId"] = organizer.ToString("D");
            }

            // The meeting first, then its participant rows (Creatio runs a batch in order).
            operations.Add((CreatioBatchOperation.Create(CreatioMeeting.Collection, row, id), id));
            operations.AddRange(MeetingMapping.Participants(fields, book).Select(p => (NewParticipant(id, p.ContactId, p.InviteResponseId), id)));
            bySource.Add((source, id));
        }

        var results = await ExecuteAsync(operations, cancellationToken);
        var answers = new List<WriteResult<CreatioMeeting>>(sources.Count);
        foreach (var (source, id) in bySource)
        {
            var own = results[id];
            var activity = own[0];
            if (activity.Succeeded)
            {
                var failed = own.FirstOrDefault(r => !r.Succeeded);
                answers.Add(failed is null
                    ? new(source.Id, WriteOutcome.Done, Item(Answered(activity, own.Skip(1))))
                    // The meeting is there, a participant is not: the next run finds the meeting ("already exists") and completes it.
                    : new(source.Id, WriteOutcome.Failed, Error: $"Creatio participant of meeting {id}: HTTP {failed.StatusCode} {failed.ErrorMessage}"));
                continue;
            }

            answers.Add(await ExistingAsync(source.Id, id, activity, cancellationToken));
        }

        return answers;
    }

    /// <summary>Runs the operations in $batch requests; the results of each meeting's operations, its own first (results come in input order).</summary>
    private async Task<Dictionary<Guid, List<CreatioBatchResult>>> ExecuteAsync(List<(CreatioBatchOperation Operation, Guid Meeting)> operations, CancellationToken ct)
    {
        var results = await creatio.ExecuteBatchAsync([.. operations.Select(o => o.Operation)], ct);
        var byMeeting = new Dictionary<Guid, List<CreatioBatchResult>>();
        for (var i = 0; i < operations.Count; i++)
        {
            if (!byMeeting.TryGetValue(operations[i].Meeting, out var list))
            {
                byMeeting[operations[i].Meeting] = list = [];
            }

            list.Add(results[i]);
        }

        return byMeeting;
    }

    /// <summary>The meeting's id is taken: made by a run that died before linking it (link it), or a meeting the sync no longer covers (leave it).</summary>
    private async Task<WriteResult<CreatioMeeting>> ExistingAsync(string sourceId, Guid id, CreatioBatchResult failed, CancellationToken ct)
    {
        var found = (await ByIdsAsync([id], filter: null, ct)).SingleOrDefault();
        if (found is null)
        {
            return new(sourceId, WriteOutcome.Failed, Error: $"Creatio create {id}: HTTP {failed.StatusCode} {failed.ErrorMessage}");
        }

        await ResolveAsync([found], ct);
        return found.IsCanceled || !IsMine(found)
            ? new(sourceId, WriteOutcome.Skipped, Error: $"Creatio meeting {id} for this event exists, Canceled or no longer the user's: left as it is")
            : new(sourceId, WriteOutcome.AlreadyExists, Item(found));
    }

    public async Task<IReadOnlyList<WriteResult<CreatioMeeting>>> UpdateAsync(IReadOnlyList<SideUpdate<CreatioMeeting, CalendarEvent>> updates, CancellationToken cancellationToken)
    {
        var ids = updates.Select(u => Guid.Parse(u.Current.Id)).ToList();
        var current = await ParticipantsOfAsync(ids, cancellationToken);
        var operations = new List<(CreatioBatchOperation Operation, Guid Meeting)>();
        foreach (var (target, source) in updates)
        {
            var id = Guid.Parse(target.Id);
            var fields = MeetingMapping.FromGoogle(source.Native, book);
            operations.Add((CreatioBatchOperation.Update(CreatioMeeting.Collection, id, MeetingMapping.CreatioColumns(fields, state.RunZone, book)), id));
            operations.AddRange(ParticipantChanges(id, MeetingMapping.Participants(fields, book), current.GetValueOrDefault(id) ?? []).Select(o => (o, id)));
        }

        // A PATCH answers 204 without ModifiedOn: no item, the engine keeps the version it had (the echo refreshes it).
        var results = await ExecuteAsync(operations, cancellationToken);
        return [.. ids.Select(id =>
        {
            var own = results[id];
            var failed = own.FirstOrDefault(r => !r.Succeeded);
            return own[0].StatusCode == 404 ? new WriteResult<CreatioMeeting>(id.ToString("D"), WriteOutcome.Gone)
                : failed is null ? new WriteResult<CreatioMeeting>(id.ToString("D"), WriteOutcome.Done)
                : new WriteResult<CreatioMeeting>(id.ToString("D"), WriteOutcome.Failed, Error: $"HTTP {failed.StatusCode} {failed.ErrorMessage}");
        })];
    }

    /// <summary>
    /// Participant rows to add, re-answer or remove. A row stands for an attendee when its contact has the attendee's canonical
    /// address (another contact with the same address is not swapped in); a participant without an e-mail address cannot be on
    /// Google, so it is left alone.
    /// </summary>
    private IEnumerable<CreatioBatchOperation> ParticipantChanges(Guid activityId, IReadOnlyList<(string Email, Guid ContactId, Guid InviteResponseId)> wanted,
        IReadOnlyList<CreatioParticipant> current)
    {
        var matched = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in current)
        {
            var email = book.CanonicalOfContact(row.ContactId);
            if (email is null)
            {
                continue;
            }

            var match = wanted.FirstOrDefault(w => w.Email == email);
            if (match.Email is null || !matched.Add(email))
            {
                yield return CreatioBatchOperation.Delete(CreatioMeeting.ParticipantCollection, row.Id);
            }
            else if (match.InviteResponseId != row.InviteResponseId)
            {
                yield return CreatioBatchOperation.Update(CreatioMeeting.ParticipantCollection, row.Id,
                    new JsonObject { ["InviteResponseId"] = match.InviteResponseId.ToString("D") });
            }
        }

        foreach (var (_, contact, response) in wanted.Where(w => !matched.Contains(w.Email)))
        {
            yield return NewParticipant(activityId, contact, response);
        }
    }

    public async Task<IReadOnlyList<WriteResult<CreatioMeeting>>> DeleteAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var found = (await ByIdsAsync(Guids(ids), filter: null, cancellationToken)).ToDictionary(m => m.Id);
        var operations = new List<CreatioBatchOperation>();
        var results = new List<WriteResult<CreatioMeeting>>();
        foreach (var id in ids)
        {
            if (!Guid.TryParse(id, out var guid) || !found.TryGetValue(guid, out var meeting))
            {
                results.Add(new(id, WriteOutcome.Gone));
            }
            else if (meeting.OwnerId != Owner)
            {
                results.Add(new(id, WriteOutcome.Skipped, Error: "owned by another Creatio user: not deleted"));
            }
            else
            {
                operations.Add(CreatioBatchOperation.Delete(CreatioMeeting.Collection, guid));
            }
        }

        results.AddRange((await creatio.ExecuteBatchAsync(operations, cancellationToken)).Select(r => new WriteResult<CreatioMeeting>(r.Operation.Id.ToString("D"),
            r.Succeeded ? WriteOutcome.Done : r.StatusCode == 404 ? WriteOutcome.Gone : WriteOutcome.Failed,
            Error: r.Succeeded ? null : $"HTTP {r.StatusCode} {r.ErrorMessage}")));
        return results;
    }

    /// <summary>The Google event was cancelled and copies are kept: a meeting the user owns is set to Canceled; others are left alone.</summary>
    public async Task<IReadOnlyList<WriteResult<CreatioMeeting>>> RetireAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        var found = (await ByIdsAsync(Guids(ids), filter: null, cancellationToken)).ToDictionary(m => m.Id);
        var cancel = found.Values.Where(m => m.OwnerId == Owner && !m.IsCanceled).ToList();
        var results = (await creatio.ExecuteBatchAsync([.. cancel.Select(m => CreatioBatchOperation.Update(CreatioMeeting.Collection, m.Id,
                new JsonObject { ["StatusId"] = ActivityLookups.StatusCanceled.ToString("D") }))], cancellationToken))
            .Select(r => new WriteResult<CreatioMeeting>(r.Operation.Id.ToString("D"),
                r.Succeeded ? WriteOutcome.Done : r.StatusCode == 404 ? WriteOutcome.Gone : WriteOutcome.Failed,
                Error: r.Succeeded ? null : $"HTTP {r.StatusCode} {r.ErrorMessage}"))
            .ToList();
        results.AddRange(ids.Where(id => !results.Any(r => string.Equals(r.Key, id, StringComparison.OrdinalIgnoreCase)))
            .Select(id => new WriteResult<CreatioMeeting>(id, WriteOutcome.Skipped, Error: "not the user's, or Canceled already")));
        if (cancel.Count > 0)
        {
            logger.LogInformation("{Count} Creatio meetings of {Connection} set to Canceled: their Google events were cancelled", cancel.Count,
                context.Connection.ConnectionId);
        }

        return results;
    }

    // ---- reading ------------------------------------------------------------------------------------------------

    /// <summary>A meeting, shown in the calendar, not ended before the window.</summary>
    private string MeetingFilter => CreatioFilter.And(
        CreatioFilter.Equal("TypeId", ActivityLookups.TypeTask),
        CreatioFilter.Equal("ActivityCategoryId", ActivityLookups.CategoryMeeting),
        "ShowInScheduler eq true",
        $"DueDate gt {CreatioFilter.Literal(state.RunWindowStart)}");

    private static string? Since(DateTimeOffset? since) => since is { } s ? CreatioFilter.ModifiedSince(s) : null;

    private async IAsyncEnumerable<CreatioMeeting> QueryAsync(string filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var query = new CreatioQuery(CreatioMeeting.Collection) { Filter = filter, Select = CreatioMeeting.Columns, Expand = CreatioMeeting.Expand, PageSize = pageSize };
        await foreach (var page in creatio.QueryPagesAsync(query, ct))
        {
            foreach (var row in page.Rows)
            {
                yield return CreatioMeeting.FromRow(row);
            }

            await context.RenewLeaseAsync(ct);
        }
    }

    private async Task<List<CreatioMeeting>> ByIdsAsync(IEnumerable<Guid> ids, string? filter, CancellationToken ct)
    {
        var meetings = new List<CreatioMeeting>();
        foreach (var chunk in ids.Distinct().Chunk(IdsPerQuery))
        {
            await foreach (var meeting in QueryAsync(CreatioFilter.And(CreatioFilter.AnyOf("Id", chunk), filter), ct))
            {
                meetings.Add(meeting);
            }
        }

        return meetings;
    }

    private async Task<Dictionary<Guid, List<CreatioParticipant>>> ParticipantsOfAsync(IEnumerable<Guid> activityIds, CancellationToken ct)
    {
        var byActivity = new Dictionary<Guid, List<CreatioParticipant>>();
        foreach (var chunk in activityIds.Distinct().Chunk(IdsPerQuery))
        {
            var query = new CreatioQuery(CreatioMeeting.ParticipantCollection) { Filter = CreatioFilter.AnyOf("ActivityId", chunk), Select = CreatioMeeting.ParticipantColumns, PageSize = pageSize };
            await foreach (var page in creatio.QueryPagesAsync(query, ct))
            {
                foreach (var row in page.Rows)
                {
                    var activity = row.GetGuid("ActivityId");
                    if (!byActivity.TryGetValue(activity, out var list))
                    {
                        byActivity[activity] = list = [];
                    }

                    list.Add(CreatioMeeting.ParticipantFrom(row));
                }
            }
        }

        return byActivity;
    }

    /// <summary>Canonical addresses of every participant and of every address listed in Recepient, before anything is hashed.</summary>
    private async Task ResolveAsync(IEnumerable<CreatioMeeting> meetings, CancellationToken ct)
    {
        var list = meetings.ToList();
        await book.ResolveContactsAsync(list.SelectMany(m => m.Participants.Select(p => p.ContactId)), ct);
        await book.ResolveEmailsAsync(list.SelectMany(m => MeetingMapping.ParseRecipients(m.Row.GetText("Recepient")).Select(a => a.Email)), ct);
    }

    /// <summary>The user owns it or takes part in it, and it is a meeting that did not end before the window.</summary>
    private bool IsMine(CreatioMeeting meeting) =>
        meeting.IsMeeting && (meeting.OwnerId == Owner || meeting.Participants.Any(p => p.ContactId == Owner))
        && meeting.Row.GetDateTime("DueDate") > state.RunWindowStart;

    private SyncItem<CreatioMeeting> Item(CreatioMeeting meeting) => new()
    {
        Id = meeting.Id.ToString("D"),
        ModifiedAt = meeting.Version,
        Hash = MeetingMapping.FromCreatio(meeting, state.RunZone, book).Hash(),
        InScope = IsMine(meeting),
        Native = meeting,
    };

    /// <summary>The meeting as this run wrote it (Creatio's answers where it gave them).</summary>
    private static CreatioMeeting Answered(CreatioBatchResult activity, IEnumerable<CreatioBatchResult> participants)
    {
        var row = activity.Entity is { } entity ? (JsonObject)entity.DeepClone() : (JsonObject)activity.Operation.Body!.DeepClone();
        row["Id"] = activity.Operation.Id.ToString("D");
        row.Remove(CreatioMeeting.ParticipantsDetail);
        return new CreatioMeeting(row, [.. participants.Select(r => CreatioMeeting.ParticipantFrom(r.Entity ?? (JsonObject)r.Operation.Body!))]);
    }

    /// <summary>The organizer as a Creatio contact: the user for their own events, else the contact with the organizer's address.</summary>
    private Guid? OrganizerOf(CalendarEvent ev) =>
        ev.Organizer?.Self == true ? Owner : ev.Organizer?.Email is { } email ? book.ContactOf(email) : null;

    private static CreatioBatchOperation NewParticipant(Guid activityId, Guid contactId, Guid inviteResponseId)
    {
        var row = new JsonObject { ["ActivityId"] = activityId.ToString("D"), ["ParticipantId"] = contactId.ToString("D") };
        if (inviteResponseId != Guid.Empty)
        {
            row["InviteResponseId"] = inviteResponseId.ToString("D");
        }

        return CreatioBatchOperation.Create(CreatioMeeting.ParticipantCollection, row, CalendarIds.ParticipantIdFor(activityId, contactId));
    }

    private static IEnumerable<Guid> Guids(IEnumerable<string> ids) => ids.Select(id => Guid.TryParse(id, out var g) ? g : Guid.Empty).Where(g => g != Guid.Empty);
}
