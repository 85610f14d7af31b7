using Microsoft.Extensions.Logging;

namespace CreatioGoogle.Broker.Sync;

/// <summary>
/// The one sync every feature runs on (contacts, calendar, mail), shaped after vdirsyncer's <c>sync/__init__.py</c>.
/// Read top to bottom: gather both sides' changes → pair them through the link table (links by both ids, pending
/// intents, stamps, derived ids, renames) → one pure decision per pair (<see cref="SyncDecision"/>) → act: write one
/// side, then record its links; Google first, then Creatio → move both cursors and save the feature state last.
/// <para>
/// Crash safety, for every feature: a run can die between any two writes and the next run ends consistent, without
/// duplicates. Before a create on a side that assigns ids, an intent link is saved and the new item carries the source's
/// id as a stamp; the next run finds it by that stamp. A side whose ids are derived finds its item by id ("already
/// exists"). Updates are idempotent and the cursor only moves when every write succeeded, so a re-run sees the same
/// changes again; hashes equal to what it wrote make them no-ops.
/// </para>
/// <para>
/// To add a feature: implement <see cref="ISyncSide{TSelf, TOther}"/> for its Google API and for its Creatio entity, keep
/// its cursor positions in a state class of its own (saved as <see cref="Cursor.FeatureState"/>), and call
/// <see cref="RunAsync{TState, TGoogle, TCreatio}"/> from an <see cref="ISyncFeature"/> with its <see cref="SyncPolicy"/>.
/// </para>
/// </summary>
internal sealed class SyncEngine(LinkStore links, TimeProvider clock, ILogger<SyncEngine> logger)
{
    /// <summary>Above this many changed items, one scan of the feature's links is cheaper than a lookup per item (a Table page holds 1000 rows).</summary>
    private const int PointLookupLimit = 500;

    /// <summary>
    /// Runs one sync of <paramref name="feature"/>. On success, <paramref name="state"/> (which the sides moved) is written to the
    /// context's cursor for the runner to save; on any failed write it throws <see cref="SyncIncompleteException"/> after
    /// applying the rest, and the cursor stays where it was.
    /// </summary>
    public async Task<string> RunAsync<TState, TGoogle, TCreatio>(SyncContext context, string feature, TState state,
        ISyncSide<TGoogle, TCreatio> google, ISyncSide<TCreatio, TGoogle> creatio, SyncPolicy policy, CancellationToken cancellationToken)
        where TState : class
    {
        ArgumentNullException.ThrowIfNull(context);
        var run = new Run<TGoogle, TCreatio>(context, feature, google, creatio, policy, clock.GetUtcNow());
        var cursor = context.Cursor;

        // 1. Gather. A full listing when the last one is too old, or when a side cannot go on from its cursor.
        var full = cursor.LastFullSyncAt is null || run.StartedAt - cursor.LastFullSyncAt >= policy.FullResyncAfter;
        var googleChanges = await google.ListChangesAsync(full, cancellationToken);
        full |= googleChanges.Full;
        var creatioChanges = await creatio.ListChangesAsync(full, cancellationToken);
        if (creatioChanges.Full && !full)
        {
            // Creatio had to list everything (no cursor yet): pairing a full side needs the other one full too.
            full = true;
            googleChanges = await google.ListChangesAsync(true, cancellationToken);
        }

        // 2. Pair, and guard against a side that suddenly lists nothing.
        var pairs = await PairAsync(run, googleChanges, creatioChanges, full, cancellationToken);
        GuardAgainstEmptySide(run, googleChanges, creatioChanges, full, pairs);

        // 3. Decide each pair, 4. act: write a side, then its links.
        var plan = pairs.Select(p => new Planned<TGoogle, TCreatio>(p, SyncDecision.Decide(p, policy))).ToList();
        await ActAsync(run, plan, mayRedo: true, cancellationToken);
        if (run.Failures.Count > 0)
        {
            // The cursor must not move past changes that were not applied: fail the run, the queue retries it.
            throw new SyncIncompleteException(
                $"{run.Failures.Count} {feature} write(s) failed; first: {run.Failures[0]}. The cursor was not moved.");
        }

        // 5. Commit: both sides' cursors, then the feature state onto the cursor row (the runner saves it after this returns).
        googleChanges.Commit();
        creatioChanges.Commit();
        if (full)
        {
            cursor.LastFullSyncAt = run.StartedAt;
        }

        cursor.WriteState(state);
        var summary = run.Summary(full, googleChanges.Items.Count + googleChanges.Gone.Count, creatioChanges.Items.Count);
        logger.LogInformation("Sync {Feature} of {Connection}: {Summary}", feature, context.Connection.ConnectionId, summary);
        return summary;
    }

    // ---- 2. pair ------------------------------------------------------------------------------------------------

    private async Task<List<SyncPair<TG, TC>>> PairAsync<TG, TC>(Run<TG, TC> run, SideChanges<TG> google, SideChanges<TC> creatio, bool full,
        CancellationToken ct)
    {
        var known = await KnownLinksAsync(run, google, creatio, full, ct);
        var googleItems = google.Items.ToDictionary(i => i.Id, StringComparer.Ordinal);
        var creatioItems = creatio.Items.ToDictionary(i => i.Id, StringComparer.OrdinalIgnoreCase);

        // Pairs are keyed by the Creatio id when there is one (linked, stamped or derived), else by the Google id.
        var pairs = new Dictionary<string, SyncPair<TG, TC>>(StringComparer.OrdinalIgnoreCase);
        SyncPair<TG, TC> At(string creatioId, Link? link) => pairs.GetValueOrDefault("c:" + creatioId) ?? new SyncPair<TG, TC> { Link = link };
        void Put(string creatioId, SyncPair<TG, TC> pair) => pairs["c:" + creatioId] = pair;
        var twinned = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        foreach (var g in google.Items)
        {
            if ((known.ByGoogle(g.Id) ?? g.PreviousIds.Select(known.ByGoogle).FirstOrDefault(l => l is not null)) is { } link)
            {
                // linked (under its id, or under an id it had before a rename)
                Put(link.CreatioId, At(link.CreatioId, link) with { Google = g });
                continue;
            }

            if (g.Stamp is { } stamp && known.ByCreatio(stamp) is { } stamped
                && (SyncDecision.IsPending(stamped) || (full && stamped.GoneSide is null && !googleItems.ContainsKey(stamped.GoogleId))))
            {
                // our own copy: a create that died before its link (intent waiting), or renamed and seen only in a full listing
                Put(stamped.CreatioId, At(stamped.CreatioId, stamped) with { Google = g });
                continue;
            }

            // unlinked: its Creatio twin, if a run made one (derived id) or it was stamped, and that twin is not linked
            var twin = new[] { g.Stamp, run.Creatio.DerivedIdFor(g) }
                .FirstOrDefault(id => id is not null && creatioItems.ContainsKey(id) && known.ByCreatio(id) is null && !twinned.Contains(id));
            if (twin is not null)
            {
                twinned.Add(twin);
                Put(twin, new SyncPair<TG, TC> { Google = g, Creatio = creatioItems[twin] });
            }
            else
            {
                pairs["g:" + g.Id] = new SyncPair<TG, TC> { Google = g };
            }
        }

        foreach (var (id, why) in google.Gone)
        {
            if (known.ByGoogle(id) is { } link)
            {
                Put(link.CreatioId, At(link.CreatioId, link) with { GoogleGone = why });
            }
        }

        foreach (var c in creatio.Items)
        {
            if (twinned.Contains(c.Id))
            {
                continue;
            }

            var link = known.ByCreatio(c.Id);
            var pair = At(c.Id, link) with { Creatio = c };
            if (link is null && pair.Google is null && run.Google.DerivedIdFor(c) is { } derived && googleItems.TryGetValue(derived, out var g)
                && pairs.Remove("g:" + derived))
            {
                // its Google twin, made by a run that died before linking it (deterministic Google ids, e.g. calendar events)
                pair = pair with { Google = g };
            }

            Put(c.Id, pair);
        }

        foreach (var (id, why) in creatio.Gone)
        {
            if (known.ByCreatio(id) is { } link)
            {
                Put(link.CreatioId, At(link.CreatioId, link) with { CreatioGone = why });
            }
        }

        await PairStampedTwinsAsync(run, known, pairs, creatioItems, twinned, ct);

        // Every pending intent takes part, so a create that died is confirmed or made again.
        foreach (var pending in known.All.Where(SyncDecision.IsPending))
        {
            Put(pending.CreatioId, At(pending.CreatioId, pending));
        }

        if (full)
        {
            await ConfirmUnseenAsync(run, known, pairs, ct);
        }

        await ConfirmIntentsAsync(run, pairs, ct);
        return [.. pairs.Values.Select(p => p with { Full = full })];
    }

    /// <summary>
    /// Unlinked Google items stamped with a Creatio id that this run did not list: read those Creatio items and pair them,
    /// rather than copy the Google item as new. Calendar needs it for a meeting of another Creatio user that reaches this
    /// user's calendar as an invitation (its shared stamp names the meeting) while the meeting did not change here.
    /// </summary>
    private static async Task PairStampedTwinsAsync<TG, TC>(Run<TG, TC> run, LinkIndex known, Dictionary<string, SyncPair<TG, TC>> pairs,
        Dictionary<string, SyncItem<TC>> creatioItems, HashSet<string> twinned, CancellationToken ct)
    {
        var alone = pairs.Where(kv => kv.Key.StartsWith("g:", StringComparison.Ordinal)
                && kv.Value is { Link: null, Creatio: null, Google.Stamp: { } stamp }
                && !creatioItems.ContainsKey(stamp) && known.ByCreatio(stamp) is null && !twinned.Contains(stamp))
            .ToList();
        if (alone.Count == 0)
        {
            return;
        }

        var found = await run.Creatio.GetManyAsync([.. alone.Select(kv => kv.Value.Google!.Stamp!).Distinct(StringComparer.OrdinalIgnoreCase)], ct);
        foreach (var (key, pair) in alone)
        {
            if (found.TryGetValue(pair.Google!.Stamp!, out var twin) && twin.InScope && twinned.Add(twin.Id) && !pairs.ContainsKey("c:" + twin.Id))
            {
                pairs.Remove(key);
                pairs["c:" + twin.Id] = pair with { Creatio = twin };
            }
        }
    }

    /// <summary>
    /// A full listing did not show a linked item: ask its side before calling it deleted. Google may have renamed it
    /// (the lookup answers under the new id) or it left the scope; Creatio's answer only matters when deletes propagate.
    /// </summary>
    private static async Task ConfirmUnseenAsync<TG, TC>(Run<TG, TC> run, LinkIndex known, Dictionary<string, SyncPair<TG, TC>> pairs, CancellationToken ct)
    {
        SyncPair<TG, TC> PairOf(Link link) => pairs.GetValueOrDefault("c:" + link.CreatioId) ?? new SyncPair<TG, TC> { Link = link };

        var googleUnseen = known.All.Where(l => !SyncDecision.IsPending(l) && PairOf(l) is { Google: null, GoogleGone: Gone.No }).ToList();
        var stillThere = googleUnseen.Count == 0 ? new Dictionary<string, SyncItem<TG>>()
            : await run.Google.GetManyAsync([.. googleUnseen.Where(l => l.GoneSide != "google").Select(l => l.GoogleId)], ct);
        foreach (var link in googleUnseen)
        {
            var pair = PairOf(link);
            if (stillThere.TryGetValue(link.GoogleId, out var item))
            {
                if (item.InScope)
                {
                    // Renamed: the lookup answered under its new id, which the listing showed as if new.
                    pairs.Remove("g:" + item.Id);
                }

                pair = item.InScope ? pair with { Google = item } : pair with { GoogleGone = Gone.LeftScope };
            }
            else
            {
                pair = pair with { GoogleGone = Gone.Deleted };
            }

            pairs["c:" + link.CreatioId] = pair;
        }

        var creatioUnseen = known.All.Where(l => PairOf(l) is { Creatio: null, CreatioGone: Gone.No }).ToList();
        var creatioThere = creatioUnseen.Count == 0 || run.Policy.Delete != DeletePolicy.Propagate
            // Without propagation either way only the link changes: spare the lookup.
            ? new Dictionary<string, SyncItem<TC>>()
            : await run.Creatio.GetManyAsync([.. creatioUnseen.Where(l => l.GoneSide != "creatio").Select(l => l.CreatioId)], ct);
        foreach (var link in creatioUnseen)
        {
            var pair = PairOf(link);
            pair = creatioThere.TryGetValue(link.CreatioId, out var item) && item.InScope
                ? pair with { Creatio = item }
                : pair with { CreatioGone = creatioThere.ContainsKey(link.CreatioId) ? Gone.LeftScope : Gone.Deleted };
            pairs["c:" + link.CreatioId] = pair;
        }
    }

    /// <summary>
    /// Intents whose Google item this run did not see (a create that died): look the items up by their stamp now, so a
    /// crash costs one sync interval. Found: linked (or updated). Not found: Google never made it, and the decision makes it.
    /// </summary>
    private static async Task ConfirmIntentsAsync<TG, TC>(Run<TG, TC> run, Dictionary<string, SyncPair<TG, TC>> pairs, CancellationToken ct)
    {
        var unconfirmed = pairs.Values.Where(p => p.Link is { } l && SyncDecision.IsPending(l) && p.Google is null && p.CreatioGone == Gone.No)
            .Select(p => p.Link!.CreatioId).ToList();
        if (unconfirmed.Count == 0 || !run.Google.AssignsIds)
        {
            return;
        }

        var found = await run.Google.FindByStampAsync(unconfirmed, ct);
        foreach (var (creatioId, item) in found)
        {
            pairs.Remove("g:" + item.Id);
            var key = "c:" + creatioId;
            if (pairs.TryGetValue(key, out var pair))
            {
                pairs[key] = pair with { Google = item };
            }
        }
    }

    private async Task<LinkIndex> KnownLinksAsync<TG, TC>(Run<TG, TC> run, SideChanges<TG> google, SideChanges<TC> creatio, bool full, CancellationToken ct)
    {
        var index = new LinkIndex();
        var changed = google.Items.Count + google.Gone.Count + creatio.Items.Count + creatio.Gone.Count;
        if (full || changed > PointLookupLimit)
        {
            // A full run needs the scan anyway, to see which linked items are no longer there.
            index.AddRange(await links.ListAsync(run.ConnectionId, run.Feature, ct));
            return index;
        }

        index.AddRange(await links.ListAsync(run.ConnectionId, run.Feature, ct, SyncDecision.PendingPrefix));
        var googleIds = google.Items.SelectMany(g => g.PreviousIds.Prepend(g.Id)).Concat(google.Gone.Keys).Distinct(StringComparer.Ordinal);
        foreach (var id in googleIds)
        {
            if (await links.FindByGoogleIdAsync(run.ConnectionId, run.Feature, id, ct) is { } link)
            {
                index.Add(link);
            }
        }

        foreach (var id in creatio.Items.Select(c => c.Id).Concat(creatio.Gone.Keys))
        {
            if (index.ByCreatio(id) is null && await links.FindByCreatioIdAsync(run.ConnectionId, run.Feature, id, ct) is { } link)
            {
                index.Add(link);
            }
        }

        return index;
    }

    /// <summary>
    /// vdirsyncer's StorageEmpty: a side that had several linked items and now lists none in a full run (a renamed group, a
    /// wrong setting, an emptied calendar) must not make the engine delete everything on the other side. Without delete
    /// propagation nothing is lost (only links are dropped), so the run goes on; so does a side whose one item was deleted.
    /// </summary>
    private static void GuardAgainstEmptySide<TG, TC>(Run<TG, TC> run, SideChanges<TG> google, SideChanges<TC> creatio, bool full,
        List<SyncPair<TG, TC>> pairs)
    {
        if (!full || run.Policy.Delete != DeletePolicy.Propagate)
        {
            return;
        }

        var linked = pairs.Count(p => p.Link is { GoneSide: null } l && !SyncDecision.IsPending(l));
        foreach (var (side, empty) in new[] { (SyncSide.Google, google.Items.Count == 0), (SyncSide.Creatio, creatio.Items.Count == 0) })
        {
            if (empty && linked > 1 && run.Policy.Writes(side == SyncSide.Google ? SyncSide.Creatio : SyncSide.Google))
            {
                throw new SyncSideEmptyException(
                    $"The {side} side of {run.Feature} lists nothing, but {linked} item(s) are linked: nothing was deleted. If the items were "
                    + $"really removed, set the feature's DeletePolicy to Unlink for one run; otherwise check its settings (group, owner, calendar).");
            }
        }
    }

    // ---- 4. act --------------------------------------------------------------------------------------------------

    private async Task ActAsync<TG, TC>(Run<TG, TC> run, List<Planned<TG, TC>> plan, bool mayRedo, CancellationToken ct)
    {
        var redo = new List<SyncPair<TG, TC>>();

        // Google first (its API wants a user's writes one after another), then Creatio, then changes to links alone.
        await WriteSideAsync(run, SideView<TG, TC>.Google(run), plan, redo, ct);
        await WriteSideAsync(run, SideView<TG, TC>.Creatio(run), plan, redo, ct);
        await SaveLinkOnlyAsync(run, plan, ct);

        if (redo.Count == 0)
        {
            return;
        }

        if (!mayRedo)
        {
            run.Failures.AddRange(redo.Select(p => $"item {p.Link?.GoogleId}/{p.Link?.CreatioId} changed again while it was being written"));
            return;
        }

        // "Changed meanwhile" or "gone": read those items again and decide once more with what is there now.
        var fresh = await RereadAsync(run, redo, ct);
        await ActAsync(run, [.. fresh.Select(p => new Planned<TG, TC>(p, SyncDecision.Decide(p, run.Policy)))], mayRedo: false, ct);
    }

    private async Task WriteSideAsync<TSelf, TOther, TG, TC>(Run<TG, TC> run, SideView<TSelf, TOther, TG, TC> side, List<Planned<TG, TC>> plan,
        List<SyncPair<TG, TC>> redo, CancellationToken ct)
    {
        await CreateAsync(run, side, [.. plan.Where(p => p.Action.Kind == side.CreateKind).Select(p => p.Pair)], redo, ct);
        await UpdateAsync(run, side, [.. plan.Where(p => p.Action.Kind == side.UpdateKind).Select(p => p.Pair)], redo, ct);
        await DeleteAsync(run, side, [.. plan.Where(p => p.Action.Kind == side.DeleteKind).Select(p => p.Pair.Link!)], ct);
    }

    /// <summary>Creates: the source items (read now if this run has not), an intent per item when the side assigns ids, the batch, then the links.</summary>
    private async Task CreateAsync<TSelf, TOther, TG, TC>(Run<TG, TC> run, SideView<TSelf, TOther, TG, TC> side, List<SyncPair<TG, TC>> creates,
        List<SyncPair<TG, TC>> redo, CancellationToken ct)
    {
        if (creates.Count == 0)
        {
            return;
        }

        // A create made again for an intent whose run died: its source may not have been read this run.
        var unread = creates.Where(p => side.Other(p) is null).Select(p => side.OtherId(p.Link!)).ToList();
        var read = unread.Count == 0 ? new Dictionary<string, SyncItem<TOther>>() : await side.OtherAdapter.GetManyAsync(unread, ct);
        var work = new List<(SyncPair<TG, TC> Pair, SyncItem<TOther> Source)>();
        var vanished = new List<Link>();
        foreach (var pair in creates)
        {
            if ((side.Other(pair) ?? read.GetValueOrDefault(side.OtherId(pair.Link!))) is { InScope: true } source)
            {
                work.Add((pair, source));
            }
            else if (pair.Link is { } intent && SyncDecision.IsPending(intent))
            {
                vanished.Add(intent); // its source is gone too: nothing to create, nothing to remember
            }
        }

        await links.DeleteManyAsync(vanished, ct);
        foreach (var chunk in work.Chunk(side.Adapter.Limits.Create))
        {
            // Intent first: a run that dies after the create finds the item by its stamp instead of creating it twice.
            var intents = side.Adapter.AssignsIds
                ? chunk.Select(x => (Link: side.Intent(run, x.Source), Previous: x.Pair.Link)).ToList()
                : [];
            await links.SaveManyAsync(intents, ct);
            var results = ByKey(await side.Adapter.CreateAsync([.. chunk.Select(x => x.Source)], ct));

            var saved = new List<(Link, Link?)>();
            var dropped = new List<Link>();
            for (var i = 0; i < chunk.Length; i++)
            {
                var (pair, source) = chunk[i];
                var previous = side.Adapter.AssignsIds ? intents[i].Link : pair.Link;
                var fresh = side.Adapter.AssignsIds && intents[i].Previous is null;
                if (!results.TryGetValue(source.Id, out var result))
                {
                    run.Failures.Add($"{side.Side} create from {source.Id}: no answer for it (an intent, if any, stays for the next run)");
                    continue;
                }

                switch (result.Outcome)
                {
                    case WriteOutcome.Done or WriteOutcome.AlreadyExists when result.Item is { } made:
                        if (result.Outcome == WriteOutcome.AlreadyExists && made.Hash != source.Hash)
                        {
                            // It was there already, with other content (edited after a run died before linking it): link it
                            // as it is, with the source's version unknown, and decide again: the source then counts as changed.
                            var link = side.LinkOf(run, made, source, made.Hash, sourceVersionKnown: false);
                            saved.Add((link, previous));
                            redo.Add(side.PairOf(link, made, source));
                        }
                        else
                        {
                            saved.Add((side.LinkOf(run, made, source, source.Hash), previous));
                        }

                        run.Wrote(side.Side, "created");
                        break;
                    case WriteOutcome.Skipped:
                        if (fresh)
                        {
                            dropped.Add(intents[i].Link);
                        }

                        logger.LogWarning("{Side} create from {Source} skipped: {Reason}", side.Side, source.Id, result.Error);
                        break;
                    default:
                        // Refused: it was not made, so its intent goes (a previous link stays as it was).
                        if (fresh)
                        {
                            dropped.Add(intents[i].Link);
                        }

                        run.Failures.Add($"{side.Side} create from {source.Id}: {result.Outcome} {result.Error}");
                        break;
                }
            }

            await links.SaveManyAsync(saved, ct);
            await links.DeleteManyAsync(dropped, ct);
            await run.Context.RenewLeaseAsync(ct);
        }
    }

    /// <summary>Updates: the target as the side holds it now (read if this run has not), the batch, then the links.</summary>
    private async Task UpdateAsync<TSelf, TOther, TG, TC>(Run<TG, TC> run, SideView<TSelf, TOther, TG, TC> side, List<SyncPair<TG, TC>> updates,
        List<SyncPair<TG, TC>> redo, CancellationToken ct)
    {
        if (updates.Count == 0)
        {
            return;
        }

        var unread = side.Adapter.UpdatesNeedCurrent ? updates.Where(p => side.Self(p) is null).Select(p => side.SelfId(p.Link!)).ToList() : [];
        var read = unread.Count == 0 ? new Dictionary<string, SyncItem<TSelf>>() : await side.Adapter.GetManyAsync(unread, ct);
        var work = new List<(SyncPair<TG, TC> Pair, SideUpdate<TSelf, TOther> Update)>();
        foreach (var pair in updates)
        {
            var current = side.Self(pair) ?? (side.Adapter.UpdatesNeedCurrent ? read.GetValueOrDefault(side.SelfId(pair.Link!)) : side.FromLink(pair.Link!));
            if (current is not { InScope: true })
            {
                // gone (or out of scope) since the link was made: decide again knowing that
                redo.Add(side.WithSelfGone(pair, current is null ? Gone.Deleted : Gone.LeftScope));
                continue;
            }

            work.Add((pair, new SideUpdate<TSelf, TOther>(current, side.Other(pair)!)));
        }

        foreach (var chunk in work.Chunk(side.Adapter.Limits.Update))
        {
            var results = ByKey(await side.Adapter.UpdateAsync([.. chunk.Select(x => x.Update)], ct));
            var saved = new List<(Link, Link?)>();
            foreach (var (pair, update) in chunk)
            {
                if (!results.TryGetValue(update.Current.Id, out var result))
                {
                    run.Failures.Add($"{side.Side} update of {update.Current.Id}: no answer for it");
                    continue;
                }

                switch (result.Outcome)
                {
                    case WriteOutcome.Done:
                        // A side that answers without the new version (Creatio's PATCH: 204) keeps the old one: the echo refreshes it.
                        saved.Add((side.LinkOf(run, result.Item ?? update.Current, update.Source, update.Source.Hash), pair.Link));
                        run.Wrote(side.Side, "updated");
                        break;
                    case WriteOutcome.ChangedMeanwhile:
                        redo.Add(side.WithSelf(pair, null));
                        break;
                    case WriteOutcome.Gone:
                        redo.Add(side.WithSelfGone(pair, Gone.Deleted));
                        break;
                    case WriteOutcome.Skipped:
                        logger.LogWarning("{Side} update of {Target} skipped: {Reason}", side.Side, update.Current.Id, result.Error);
                        break;
                    default:
                        run.Failures.Add($"{side.Side} update of {update.Current.Id}: {result.Outcome} {result.Error}");
                        break;
                }
            }

            await links.SaveManyAsync(saved, ct);
            await run.Context.RenewLeaseAsync(ct);
        }
    }

    private async Task DeleteAsync<TSelf, TOther, TG, TC>(Run<TG, TC> run, SideView<TSelf, TOther, TG, TC> side, List<Link> deletes, CancellationToken ct)
    {
        foreach (var chunk in deletes.Chunk(side.Adapter.Limits.Delete))
        {
            var results = ByKey(await side.Adapter.DeleteAsync([.. chunk.Select(side.SelfId)], ct));
            var dropped = new List<Link>();
            var kept = new List<(Link, Link?)>();
            foreach (var link in chunk)
            {
                var result = results.GetValueOrDefault(side.SelfId(link));
                if (result?.Outcome is WriteOutcome.Done or WriteOutcome.Gone)
                {
                    // "already gone" (a re-run after a crash, Calendar's 410 deleted) is as good as deleted
                    dropped.Add(link);
                    run.Wrote(side.Side, "deleted");
                }
                else if (result?.Outcome == WriteOutcome.Skipped)
                {
                    // the side keeps it (not its to delete): unlinked, as under DeletePolicy.Unlink
                    logger.LogInformation("{Side} delete of {Target} skipped, copy kept: {Reason}", side.Side, side.SelfId(link), result.Error);
                    kept.Add((Tombstone(run, link, side.Side == SyncSide.Google ? "creatio" : "google"), link));
                }
                else
                {
                    run.Failures.Add($"{side.Side} delete of {side.SelfId(link)}: {result?.Outcome.ToString() ?? "no answer"} {result?.Error}");
                }
            }

            await links.DeleteManyAsync(dropped, ct);
            await links.SaveManyAsync(kept, ct);
            await run.Context.RenewLeaseAsync(ct);
        }
    }

    private async Task SaveLinkOnlyAsync<TG, TC>(Run<TG, TC> run, List<Planned<TG, TC>> plan, CancellationToken ct)
    {
        var saved = new List<(Link, Link?)>();
        var deleted = new List<Link>();
        var retireInGoogle = new List<(Link Tombstone, Link Link)>();
        var retireInCreatio = new List<(Link Tombstone, Link Link)>();
        foreach (var (pair, action) in plan)
        {
            switch (action.Kind)
            {
                case SyncActionKind.SaveLink:
                    saved.Add((NewLink(run, pair.Google?.Id ?? pair.Link!.GoogleId, pair.Creatio?.Id ?? pair.Link!.CreatioId,
                        pair.Google is { } g ? g.Etag : pair.Link?.GoogleEtag, pair.Creatio?.ModifiedAt ?? pair.Link?.CreatioModifiedOn,
                        pair.Google?.Hash ?? pair.Creatio!.Hash), pair.Link));
                    break;
                case SyncActionKind.DropLink when pair.Link is { } link:
                    if (link.GoneSide is null && !SyncDecision.IsPending(link) && (pair.GoogleGone == Gone.No || pair.CreatioGone == Gone.No))
                    {
                        // Keep a tombstone: the surviving copy must not be copied back as "new".
                        var tombstone = Tombstone(run, link, pair.GoogleGone != Gone.No ? "google" : "creatio");
                        if (pair.GoogleGone == Gone.Deleted && pair.CreatioGone == Gone.No)
                        {
                            retireInCreatio.Add((tombstone, link)); // its partner was deleted (not just out of scope): the survivor may be marked
                        }
                        else if (pair.CreatioGone == Gone.Deleted && pair.GoogleGone == Gone.No)
                        {
                            retireInGoogle.Add((tombstone, link));
                        }
                        else
                        {
                            saved.Add((tombstone, link));
                        }
                    }
                    else
                    {
                        deleted.Add(link);
                    }

                    break;
            }
        }

        saved.AddRange(await RetireAsync(run, SyncSide.Google, retireInGoogle, ids => run.Google.RetireAsync(ids, ct)));
        saved.AddRange(await RetireAsync(run, SyncSide.Creatio, retireInCreatio, ids => run.Creatio.RetireAsync(ids, ct)));
        await links.SaveManyAsync(saved, ct);
        await links.DeleteManyAsync(deleted, ct);
        run.LinksOnly += saved.Count + deleted.Count;
    }

    /// <summary>Kept copies whose partners were deleted: the side marks them first; a tombstone only for those it did not fail on.</summary>
    private static async Task<List<(Link, Link?)>> RetireAsync<TG, TC, T>(Run<TG, TC> run, SyncSide side, List<(Link Tombstone, Link Link)> survivors,
        Func<IReadOnlyList<string>, Task<IReadOnlyList<WriteResult<T>>>> retire)
    {
        var saved = new List<(Link, Link?)>();
        if (survivors.Count == 0)
        {
            return saved;
        }

        string Id(Link l) => side == SyncSide.Google ? l.GoogleId : l.CreatioId;
        var results = ByKey(await retire([.. survivors.Select(s => Id(s.Link))]));
        foreach (var (tombstone, link) in survivors)
        {
            var outcome = results.GetValueOrDefault(Id(link))?.Outcome;
            if (outcome is WriteOutcome.Failed or WriteOutcome.ChangedMeanwhile)
            {
                run.Failures.Add($"{side} retire of {Id(link)}: {outcome} {results[Id(link)].Error}");
                continue;
            }

            if (outcome == WriteOutcome.Done)
            {
                run.Wrote(side, "updated");
            }

            saved.Add((tombstone, link));
        }

        return saved;
    }

    private static Link Tombstone<TG, TC>(Run<TG, TC> run, Link link, string goneSide)
    {
        var tombstone = NewLink(run, link.GoogleId, link.CreatioId, link.GoogleEtag, link.CreatioModifiedOn, link.ContentHash);
        tombstone.GoneSide = goneSide;
        return tombstone;
    }

    /// <summary>Pairs whose write came back "changed meanwhile", with their side read again (or marked gone).</summary>
    private static async Task<List<SyncPair<TG, TC>>> RereadAsync<TG, TC>(Run<TG, TC> run, List<SyncPair<TG, TC>> redo, CancellationToken ct)
    {
        var googleIds = redo.Where(p => p.Google is null && p.GoogleGone == Gone.No && p.Link is { } l && !SyncDecision.IsPending(l)).Select(p => p.Link!.GoogleId).ToList();
        var creatioIds = redo.Where(p => p.Creatio is null && p.CreatioGone == Gone.No && p.Link is not null).Select(p => p.Link!.CreatioId).ToList();
        var google = googleIds.Count == 0 ? new Dictionary<string, SyncItem<TG>>() : await run.Google.GetManyAsync(googleIds, ct);
        var creatio = creatioIds.Count == 0 ? new Dictionary<string, SyncItem<TC>>() : await run.Creatio.GetManyAsync(creatioIds, ct);
        return [.. redo.Select(p =>
        {
            if (p.Link is { } link && p.Google is null && p.GoogleGone == Gone.No && !SyncDecision.IsPending(link))
            {
                p = google.TryGetValue(link.GoogleId, out var g) ? g.InScope ? p with { Google = g } : p with { GoogleGone = Gone.LeftScope } : p with { GoogleGone = Gone.Deleted };
            }

            if (p.Link is { } l2 && p.Creatio is null && p.CreatioGone == Gone.No)
            {
                p = creatio.TryGetValue(l2.CreatioId, out var c) ? c.InScope ? p with { Creatio = c } : p with { CreatioGone = Gone.LeftScope } : p with { CreatioGone = Gone.Deleted };
            }

            return p;
        })];
    }

    private static Dictionary<string, WriteResult<T>> ByKey<T>(IReadOnlyList<WriteResult<T>> results)
    {
        var byKey = new Dictionary<string, WriteResult<T>>(StringComparer.OrdinalIgnoreCase);
        foreach (var result in results)
        {
            byKey[result.Key] = result;
        }

        return byKey;
    }

    internal static Link NewLink<TG, TC>(Run<TG, TC> run, string googleId, string creatioId, string? googleEtag, DateTimeOffset? creatioModifiedOn, string hash) => new()
    {
        PartitionKey = run.ConnectionId,
        Feature = run.Feature,
        GoogleId = googleId,
        CreatioId = creatioId,
        GoogleEtag = googleEtag,
        CreatioModifiedOn = creatioModifiedOn,
        ContentHash = hash,
        LastSyncedAt = run.StartedAt,
    };

    private sealed record Planned<TG, TC>(SyncPair<TG, TC> Pair, SyncAction Action);

    /// <summary>The feature's links known to this run, by both ids.</summary>
    private sealed class LinkIndex
    {
        private readonly Dictionary<string, Link> _byGoogle = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Link> _byCreatio = new(StringComparer.OrdinalIgnoreCase);

        public IEnumerable<Link> All => _byCreatio.Values;

        public Link? ByGoogle(string id) => _byGoogle.GetValueOrDefault(id);

        public Link? ByCreatio(string id) => _byCreatio.GetValueOrDefault(id);

        public void Add(Link link)
        {
            _byGoogle[link.GoogleId] = link;
            _byCreatio[link.CreatioId] = link;
        }

        public void AddRange(IEnumerable<Link> links)
        {
            foreach (var link in links)
            {
                Add(link);
            }
        }
    }
}

/// <summary>One run's context and tallies.</summary>
internal sealed class Run<TG, TC>(SyncContext context, string feature, ISyncSide<TG, TC> google, ISyncSide<TC, TG> creatio, SyncPolicy policy,
    DateTimeOffset startedAt)
{
    private readonly Dictionary<(SyncSide, string), int> _counts = [];

    public SyncContext Context { get; } = context;
    public string Feature { get; } = feature;
    public ISyncSide<TG, TC> Google { get; } = google;
    public ISyncSide<TC, TG> Creatio { get; } = creatio;
    public SyncPolicy Policy { get; } = policy;
    public DateTimeOffset StartedAt { get; } = startedAt;
    public string ConnectionId => Context.Connection.ConnectionId;
    public List<string> Failures { get; } = [];
    public int LinksOnly { get; set; }

    /// <summary>Counts one item written on <paramref name="side"/>: "created", "updated" or "deleted".</summary>
    public void Wrote(SyncSide side, string verb) => _counts[(side, verb)] = _counts.GetValueOrDefault((side, verb)) + 1;

    public string Summary(bool full, int googleRead, int creatioRead)
    {
        string Of(SyncSide side, int read) =>
            $"{side.ToString().ToLowerInvariant()} read {read}, created {_counts.GetValueOrDefault((side, "created"))}, "
            + $"updated {_counts.GetValueOrDefault((side, "updated"))}, deleted {_counts.GetValueOrDefault((side, "deleted"))}";
        return $"{(full ? "full" : "incremental")}; {Of(SyncSide.Google, googleRead)}; {Of(SyncSide.Creatio, creatioRead)}; links only {LinksOnly}";
    }
}

/// <summary>Some writes of a run failed; the rest were applied and linked, the cursor stays where it was.</summary>
public sealed class SyncIncompleteException : Exception
{
    public SyncIncompleteException()
    {
    }

    public SyncIncompleteException(string message)
        : base(message)
    {
    }

    public SyncIncompleteException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A side listed nothing while items are linked and deletes would propagate: the run stops before any write.</summary>
public sealed class SyncSideEmptyException : Exception
{
    public SyncSideEmptyException()
    {
    }

    public SyncSideEmptyException(string message)
        : base(message)
    {
    }

    public SyncSideEmptyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
