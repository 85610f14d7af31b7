using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using NodaTime;
using NodaTime.Extensions;

namespace CreatioGoogle.Sandbox.Google.Calendar;

/// <summary>What an events.instances call asked for.</summary>
internal sealed record InstancesQuery(
    bool ShowDeleted, Instant? TimeMin, Instant? TimeMax, string? OriginalStart, int MaxResults, int? MaxAttendees, DateTimeZone? ResponseZone, string? PageToken, string PageKey);

/// <summary>
/// The reading half of the store: events.list (full and incremental, paged), events.get, events.instances, and the
/// expansion of recurring events into instances with their exceptions laid over them.
/// </summary>
internal sealed partial class CalendarStore
{
    private readonly Dictionary<string, SyncTokenState> _syncTokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PageState> _pages = new(StringComparer.Ordinal);

    public JsonObject List(SandboxAccount account, ListQuery q)
    {
        lock (_gate)
        {
            var cal = CalendarOf(account);
            var page = q.PageToken is null ? StartListing(cal, q) : ContinueListing(cal, q.PageToken, q.PageKey);
            return Page(cal, page, q.MaxResults);
        }
    }

    public JsonObject Instances(SandboxAccount account, string eventId, InstancesQuery q)
    {
        lock (_gate)
        {
            var cal = CalendarOf(account);
            PageState page;
            if (q.PageToken is not null)
            {
                page = ContinueListing(cal, q.PageToken, q.PageKey);
            }
            else
            {
                var master = Find(cal, eventId) ?? throw CalendarApiError.NotFound();
                if (!master.IsMaster)
                {
                    throw CalendarApiError.BadRequest("The event is not a recurring event.", reason: "eventNotRecurring");
                }

                var zone = q.ResponseZone ?? cal.Zone;

                // events.instances: timeMin is an inclusive bound on the end here (calendar.v3.json), unlike events.list.
                var items = master.Cancelled ? [] : InstancesOf(cal, master, q.TimeMin is { } min ? min - Duration.Epsilon : null, q.TimeMax, q.ShowDeleted)
                    .Where(v => q.OriginalStart is null || (v.OriginalStart is { } o && Same(o, q.OriginalStart)))
                    .Select(v => Render(v, zone, q.MaxAttendees, minimal: false))
                    .ToList();
                page = new PageState(cal.Sub, items, 0, 0, q.PageKey, null, Etag(cal));
            }

            return Page(cal, page, q.MaxResults);
        }
    }

    /// <summary>events.get: stored events (cancelled ones too: "The get method always returns them") and instances by id.</summary>
    public JsonObject Get(SandboxAccount account, string eventId, DateTimeZone? zone, int? maxAttendees)
    {
        lock (_gate)
        {
            var cal = CalendarOf(account);
            var version = Find(cal, eventId) ?? throw CalendarApiError.NotFound();
            return Render(version, zone ?? cal.Zone, maxAttendees, minimal: false);
        }
    }

    /// <summary>Test-only: every sync token issued for the account answers 410 fullSyncRequired from now on.</summary>
    public void ExpireSyncTokens(SandboxAccount account)
    {
        lock (_gate)
        {
            foreach (var key in _syncTokens.Where(t => t.Value.Sub == account.Sub).Select(t => t.Key).ToList())
            {
                _syncTokens.Remove(key);
            }
        }
    }

    private PageState StartListing(CalendarData cal, ListQuery q)
    {
        var now = clock.GetUtcNow();
        List<EventVersion> versions;
        SyncShape shape;
        bool minimalDeleted;
        if (q.SyncToken is not null)
        {
            // Unknown (tampered), foreign or expired tokens all mean the same to a client: start over.
            if (!_syncTokens.TryGetValue(q.SyncToken, out var state) || state.Sub != cal.Sub || now - state.IssuedAt > SyncTokenLifetime)
            {
                throw CalendarApiError.FullSyncRequired();
            }

            if (state.Shape.SingleEvents != q.SingleEvents || state.Shape.EventTypes != string.Join(',', q.EventTypes))
            {
                throw CalendarApiError.BadRequest("singleEvents and eventTypes must be the same as in the request that returned the sync token.", "syncToken");
            }

            shape = state.Shape;
            versions = Incremental(cal, state);
            minimalDeleted = !q.ShowDeleted;
        }
        else
        {
            if (q.UpdatedMin is { } updatedMin && now.ToInstant() - updatedMin > Duration.FromTimeSpan(UpdatedMinLimit))
            {
                throw CalendarApiError.UpdatedMinTooLongAgo();
            }

            shape = new SyncShape(q.SingleEvents, q.TimeMin, q.TimeMax, string.Join(',', q.EventTypes));
            versions = Full(cal, q);
            minimalDeleted = !q.ShowDeleted;
        }

        var zone = q.ResponseZone ?? cal.Zone;
        var items = versions.Select(v => Render(v, zone, q.MaxAttendees, minimalDeleted)).ToList();
        string? nextSyncToken = null;
        if (q.SyncToken is not null || q.Syncable)
        {
            // The cut-off is everything stored now: later writes are in the next incremental list.
            nextSyncToken = SecureTokens.New("sbx-cst-", 18);
            _syncTokens[nextSyncToken] = new SyncTokenState(cal.Sub, _seq, now, shape);
        }

        return new PageState(cal.Sub, items, 0, 0, q.PageKey, nextSyncToken, Etag(cal));
    }

    private PageState ContinueListing(CalendarData cal, string pageToken, string pageKey)
    {
        if (!_pages.TryGetValue(pageToken, out var page) || page.Sub != cal.Sub)
        {
            throw CalendarApiError.BadRequest("Invalid Value", "pageToken");
        }

        if (page.PageKey != pageKey)
        {
            // The sync guide: repeat "the exact same query" with the pageToken.
            throw CalendarApiError.BadRequest("The parameters of a request with a pageToken must be the same as those of the request that returned it.", "pageToken");
        }

        return page;
    }

    private JsonObject Page(CalendarData cal, PageState page, int maxResults)
    {
        // "The number of events in the resulting page may be less than this value, or none at all": with ShortPages,
        // every third page is empty and the next one half full.
        var size = !ShortPages ? maxResults : (page.PageIndex % 3) switch { 1 => 0, 2 => Math.Max(1, maxResults / 2), _ => maxResults };
        var slice = page.Items.Skip(page.Offset).Take(size).Select(i => i.DeepClone()).ToArray();
        var response = new JsonObject
        {
            ["kind"] = "calendar#events",
            ["etag"] = page.Etag,
            ["summary"] = cal.Email,
            ["description"] = "",
            ["updated"] = EventTime.FormatTimestamp(cal.LastChange),
            ["timeZone"] = cal.TimeZone,
            ["accessRole"] = "owner",
            ["defaultReminders"] = new JsonArray(new JsonObject { ["method"] = "popup", ["minutes"] = 10 }),
        };

        var next = page.Offset + slice.Length;
        if (next < page.Items.Count || (size == 0 && page.Items.Count > page.Offset))
        {
            var token = SecureTokens.New("sbx-cpt-", 18);
            _pages[token] = page with { Offset = next, PageIndex = page.PageIndex + 1 };
            response["nextPageToken"] = token;
        }
        else if (page.NextSyncToken is not null)
        {
            // nextSyncToken only on the last page: "Omitted if further results are available".
            response["nextSyncToken"] = page.NextSyncToken;
        }

        response["items"] = new JsonArray(slice);
        return response;
    }

    private List<EventVersion> Full(CalendarData cal, ListQuery q)
    {
        var zone = cal.Zone;
        var result = new List<EventVersion>();
        foreach (var stored in cal.Events.Values.OrderBy(e => e.Id, StringComparer.Ordinal))
        {
            var v = stored.Latest;
            if (!MatchesFilters(v, q))
            {
                continue;
            }

            var deletedSinceUpdatedMin = q.UpdatedMin is { } since && v.Cancelled && v.Updated.ToInstant() >= since;
            var exceptionOfLiveSeries = v.RecurringEventId is { } masterId && cal.Events.TryGetValue(masterId, out var m) && !m.Latest.Cancelled;
            if (q.SingleEvents)
            {
                if (v.IsMaster)
                {
                    if (!v.Cancelled)
                    {
                        result.AddRange(InstancesOf(cal, v, q.TimeMin, q.TimeMax, includeCancelled: q.ShowDeleted || q.UpdatedMin is not null)
                            .Where(i => q.UpdatedMin is null || i.Updated.ToInstant() >= q.UpdatedMin));
                    }
                }
                else if (v.RecurringEventId is null
                    && (!v.Cancelled || q.ShowDeleted || deletedSinceUpdatedMin)
                    && Overlaps(v, q.TimeMin, q.TimeMax, zone))
                {
                    result.Add(v);
                }

                continue;
            }

            if (v.Cancelled)
            {
                // Cancelled instances still show when showDeleted and singleEvents are both false; deleted events need showDeleted.
                var shown = q.ShowDeleted || deletedSinceUpdatedMin || exceptionOfLiveSeries;
                if (shown && (v.RecurringEventId is not null || !v.IsMaster ? Overlaps(v, q.TimeMin, q.TimeMax, zone) : SeriesOverlaps(cal, v, q.TimeMin, q.TimeMax)))
                {
                    result.Add(v);
                }

                continue;
            }

            if (v.RecurringEventId is not null && !exceptionOfLiveSeries)
            {
                continue;
            }

            if (v.IsMaster ? SeriesOverlaps(cal, v, q.TimeMin, q.TimeMax) : Overlaps(v, q.TimeMin, q.TimeMax, zone))
            {
                result.Add(v);
            }
        }

        return q.OrderBy switch
        {
            "startTime" => [.. result.OrderBy(v => v.Start!.ToInstant(zone)).ThenBy(v => v.Id, StringComparer.Ordinal)],
            "updated" => [.. result.OrderBy(v => v.Updated).ThenBy(v => v.Id, StringComparer.Ordinal)],
            _ => result,
        };
    }

    /// <summary>
    /// Everything that changed after the token's cut-off, seen through the query shape baked into it. Deleted events
    /// always come back (as "cancelled"); an event that left the token's time window comes back too, so a client
    /// learns it moved away. With singleEvents, a changed series yields its instances, and instances it no longer has
    /// come back cancelled.
    /// </summary>
    private List<EventVersion> Incremental(CalendarData cal, SyncTokenState state)
    {
        var zone = cal.Zone;
        var shape = state.Shape;
        var result = new Dictionary<string, EventVersion>(StringComparer.Ordinal);
        foreach (var stored in cal.Events.Values.Where(e => e.Latest.Seq > state.CutoffSeq).OrderBy(e => e.Latest.Seq))
        {
            var now = stored.Latest;
            var then = stored.At(state.CutoffSeq);
            if (shape.EventTypes.Length > 0 && !shape.EventTypes.Split(',').Contains(now.EventType))
            {
                continue;
            }

            if (shape.SingleEvents && (now.IsMaster || then?.IsMaster == true))
            {
                var current = now.Cancelled || !now.IsMaster ? [] : InstancesOf(cal, now, shape.TimeMin, shape.TimeMax, includeCancelled: true);
                foreach (var instance in current)
                {
                    result[instance.Id] = instance;
                }

                if (then is { Cancelled: false, IsMaster: true })
                {
                    foreach (var gone in InstancesOf(cal, then, shape.TimeMin, shape.TimeMax, includeCancelled: false).Where(i => !result.ContainsKey(i.Id)))
                    {
                        result[gone.Id] = gone with { Resource = Cancel(gone.Resource) };
                    }
                }

                continue;
            }

            if (shape.SingleEvents && now.RecurringEventId is { } masterId && cal.Events.TryGetValue(masterId, out var master) && master.Latest.Seq > state.CutoffSeq)
            {
                continue; // Already emitted through its changed series.
            }

            var inWindow = now.IsMaster ? SeriesOverlaps(cal, now, shape.TimeMin, shape.TimeMax) : Overlaps(now, shape.TimeMin, shape.TimeMax, zone);
            var wasInWindow = then is { Cancelled: false } && (then.IsMaster ? SeriesOverlaps(cal, then, shape.TimeMin, shape.TimeMax) : Overlaps(then, shape.TimeMin, shape.TimeMax, zone));
            if (now.Cancelled || inWindow || wasInWindow)
            {
                result[now.Id] = now;
            }
        }

        return [.. result.Values];
    }

    private static bool MatchesFilters(EventVersion v, ListQuery q)
    {
        if (q.ICalUid is not null && v.ICalUid != q.ICalUid)
        {
            return false;
        }

        if (q.EventTypes.Count > 0 && !q.EventTypes.Contains(v.EventType))
        {
            return false;
        }

        if (q.UpdatedMin is { } since && v.Updated.ToInstant() < since && !v.IsMaster)
        {
            return false;
        }

        if (!Has(v.Resource["extendedProperties"]?["private"], q.PrivateProperties) || !Has(v.Resource["extendedProperties"]?["shared"], q.SharedProperties))
        {
            return false;
        }

        if (q.Q is { } text)
        {
            var haystack = string.Join('\n', new[] { "summary", "description", "location" }.Select(f => v.Resource[f]?.GetValue<string>())
                .Concat((v.Resource["attendees"] as JsonArray ?? []).SelectMany(a => new[] { a?["email"]?.GetValue<string>(), a?["displayName"]?.GetValue<string>() }))
                .Append(v.Resource["organizer"]?["email"]?.GetValue<string>())
                .Append(v.Resource["organizer"]?["displayName"]?.GetValue<string>()));
            return text.Split(' ', StringSplitOptions.RemoveEmptyEntries).All(t => haystack.Contains(t, StringComparison.OrdinalIgnoreCase));
        }

        return true;
    }

    private static bool Has(JsonNode? map, IReadOnlyList<KeyValuePair<string, string>> wanted) =>
        wanted.All(kv => map?[kv.Key] is JsonValue value && value.TryGetValue<string>(out var s) && s == kv.Value);

    /// <summary>timeMin is an exclusive bound on the end, timeMax an exclusive bound on the start (calendar.v3.json).</summary>
    private static bool Overlaps(EventVersion v, Instant? timeMin, Instant? timeMax, DateTimeZone zone)
    {
        if (v.Start is null || v.End is null)
        {
            return timeMin is null && timeMax is null;
        }

        return (timeMin is not { } min || v.End.ToInstant(zone) > min) && (timeMax is not { } max || v.Start.ToInstant(zone) < max);
    }

    private bool SeriesOverlaps(CalendarData cal, EventVersion master, Instant? timeMin, Instant? timeMax) =>
        (timeMin is null && timeMax is null)
        || Recurrence.Expand(master.Start!, master.End!, master.Recurrence, cal.Zone, timeMin, timeMax ?? Horizon(), 1).Count > 0
        || cal.ExceptionsOf(master.Id).Any(e => !e.Cancelled && Overlaps(e, timeMin, timeMax, cal.Zone));

    /// <summary>
    /// The instances of a series in a window, each either generated from the master or replaced by its exception
    /// (an edited instance, or a cancelled one when <paramref name="includeCancelled"/>). Unbounded rules stop at the
    /// horizon and after <see cref="MaxInstancesPerSeries"/> instances.
    /// </summary>
    private List<EventVersion> InstancesOf(CalendarData cal, EventVersion master, Instant? from, Instant? before, bool includeCancelled)
    {
        var exceptions = cal.ExceptionsOf(master.Id).ToDictionary(e => e.Id, StringComparer.Ordinal);
        var result = new List<EventVersion>();
        foreach (var occurrence in Recurrence.Expand(master.Start!, master.End!, master.Recurrence, cal.Zone, from, before ?? Horizon(), MaxInstancesPerSeries))
        {
            var id = master.Id + "_" + Recurrence.InstanceSuffix(occurrence.Start);
            if (exceptions.Remove(id, out var exception))
            {
                if (exception.Cancelled ? includeCancelled : Overlaps(exception, from, before, cal.Zone))
                {
                    result.Add(exception);
                }

                continue;
            }

            result.Add(Instance(master, occurrence));
        }

        // Exceptions moved into the window from an original time outside it.
        result.AddRange(exceptions.Values.Where(e => !e.Cancelled && Overlaps(e, from, before, cal.Zone)));
        return result;
    }

    /// <summary>An unedited instance: the master's data at the occurrence's time, with Google's instance id.</summary>
    private static EventVersion Instance(EventVersion master, Recurrence.Occurrence occurrence)
    {
        var id = master.Id + "_" + Recurrence.InstanceSuffix(occurrence.Start);
        var resource = (JsonObject)master.Resource.DeepClone();
        resource.Remove("recurrence");
        resource["id"] = id;
        resource["recurringEventId"] = master.Id;
        resource["originalStartTime"] = occurrence.Start.ToJson(DateTimeZone.Utc); // kept by the exception an edit makes of it
        resource["etag"] = "\"" + (BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes(master.Etag + id))) % 9_000_000_000_000_000UL).ToString(CultureInfo.InvariantCulture) + "\"";
        resource["htmlLink"] = master.Resource["htmlLink"]?.DeepClone();
        return master with
        {
            Resource = resource,
            Start = occurrence.Start,
            End = occurrence.End,
            OriginalStart = occurrence.Start,
            Recurrence = [],
        };
    }

    /// <summary>A stored event, or an instance of a series by its id (<c>master_20250106T090000Z</c>).</summary>
    private EventVersion? Find(CalendarData cal, string eventId)
    {
        if (cal.Events.TryGetValue(eventId, out var stored))
        {
            return stored.Latest;
        }

        var underscore = eventId.LastIndexOf('_');
        if (underscore <= 0 || !cal.Events.TryGetValue(eventId[..underscore], out var masterEvent) || masterEvent.Latest is not { IsMaster: true, Cancelled: false } master)
        {
            return null;
        }

        var suffix = eventId[(underscore + 1)..];
        Instant? at = DateTime.TryParseExact(suffix, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var utc)
            ? Instant.FromDateTimeUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc))
            : DateOnly.TryParseExact(suffix, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
                ? LocalDate.FromDateOnly(date).AtStartOfDayInZone(cal.Zone).ToInstant()
                : null;
        if (at is null)
        {
            return null;
        }

        return Recurrence.Expand(master.Start!, master.End!, master.Recurrence, cal.Zone, null, at.Value + Duration.FromSeconds(1), int.MaxValue)
            .Where(o => Recurrence.InstanceSuffix(o.Start) == suffix)
            .Select(o => Instance(master, o))
            .FirstOrDefault();
    }

    /// <summary>
    /// The resource as the API answers it: times in <paramref name="zone"/>; cancelled exceptions (always) and deleted
    /// events in lists without showDeleted (<paramref name="minimal"/>) only with what Google guarantees for them.
    /// </summary>
    private static JsonObject Render(EventVersion v, DateTimeZone zone, int? maxAttendees, bool minimal)
    {
        if (v.Cancelled && (minimal || v.RecurringEventId is not null))
        {
            var tombstone = new JsonObject { ["kind"] = "calendar#event", ["etag"] = v.Etag, ["id"] = v.Id, ["status"] = "cancelled" };
            if (v.RecurringEventId is not null)
            {
                tombstone["recurringEventId"] = v.RecurringEventId;
                tombstone["originalStartTime"] = v.OriginalStart?.ToJson(zone);
            }

            return tombstone;
        }

        var json = (JsonObject)v.Resource.DeepClone();
        json["start"] = v.Start?.ToJson(zone);
        json["end"] = v.End?.ToJson(zone);
        if (v.OriginalStart is not null)
        {
            json["originalStartTime"] = v.OriginalStart.ToJson(zone);
        }

        if (maxAttendees is { } max && json["attendees"] is JsonArray attendees && attendees.Count > max)
        {
            // "If there are more than the specified number of attendees, only the participant is returned."
            json["attendees"] = new JsonArray([.. attendees.Where(a => a?["self"]?.GetValue<bool>() == true).Select(a => a!.DeepClone())]);
            json["attendeesOmitted"] = true;
        }

        return json;
    }

    private static bool Same(EventTime original, string requested)
    {
        if (original.Date is { } d)
        {
            return requested == d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        }

        return EventTime.ParseQueryTime(requested, "originalStart") == original.Instant;
    }

    private Instant Horizon() => clock.GetUtcNow().ToInstant() + Duration.FromTimeSpan(RecurrenceHorizon);

    private static string Etag(CalendarData cal) => "\"p" + cal.LastChangeSeq.ToString(CultureInfo.InvariantCulture) + "\"";
}
