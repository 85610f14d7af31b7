namespace CreatioGoogle.Broker.Sync;

/// <summary>
/// What the run knows of one item: each side's current state if it was read (null = not read: unchanged since the last
/// sync, or not known), whether it is gone, and the link. Built by the engine's pairing, judged by <see cref="SyncDecision"/>.
/// </summary>
internal sealed record SyncPair<TGoogle, TCreatio>
{
    public SyncItem<TGoogle>? Google { get; init; }
    public Gone GoogleGone { get; init; }
    public SyncItem<TCreatio>? Creatio { get; init; }
    public Gone CreatioGone { get; init; }
    public Link? Link { get; init; }

    /// <summary>True when both sides were listed in full this run.</summary>
    public bool Full { get; init; }
}

internal enum SyncActionKind
{
    Nothing,
    CreateInGoogle,
    CreateInCreatio,
    UpdateGoogle,
    UpdateCreatio,
    DeleteInGoogle,
    DeleteInCreatio,

    /// <summary>No write on either side: save (or refresh) the link with both sides' current etag/ModifiedOn.</summary>
    SaveLink,

    /// <summary>Stop syncing the pair: a tombstone keeps the survivor from being copied back, or the link goes when both are gone.</summary>
    DropLink,
}

internal sealed record SyncAction(SyncActionKind Kind, string Why);

/// <summary>
/// The whole sync policy as one pure function (vdirsyncer's decision table, facts §5.1), for every feature. "Changed"
/// means the etag/ModifiedOn moved AND the content hash differs from the link's: our own writes echo back with the hash
/// we stored, so they are never copied back. A one-way feature gets the same table with writes to Google taken out.
/// </summary>
internal static class SyncDecision
{
    public const string PendingPrefix = "pending:";

    /// <summary>The Google id of a link whose Google copy is being created (an intent, saved before the create).</summary>
    public static string PendingGoogleId(string creatioId) => PendingPrefix + creatioId;

    public static bool IsPending(Link link) => link.GoogleId.StartsWith(PendingPrefix, StringComparison.Ordinal);

    public static SyncAction Decide<TGoogle, TCreatio>(SyncPair<TGoogle, TCreatio> pair, SyncPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(policy);
        var action = DecideTwoWay(pair, policy);
        if (policy.Writes(SyncSide.Google))
        {
            return action;
        }

        return action.Kind switch
        {
            // one-way: Creatio's news, edits and conflict wins stay in Creatio
            SyncActionKind.CreateInGoogle or SyncActionKind.UpdateGoogle => Act(SyncActionKind.Nothing, action.Why + " (one-way: Google is not written)"),
            // one-way: a Creatio delete only stops the sync of the pair; the tombstone keeps it from being imported again
            SyncActionKind.DeleteInGoogle => Act(SyncActionKind.DropLink, action.Why + " (one-way: Google is not written)"),
            // one-way: what was imported is Creatio's; a delete in Google never deletes it
            SyncActionKind.DeleteInCreatio => Act(SyncActionKind.DropLink, action.Why + " (one-way: imported copies are kept)"),
            _ => action,
        };
    }

    private static SyncAction DecideTwoWay<TGoogle, TCreatio>(SyncPair<TGoogle, TCreatio> pair, SyncPolicy policy)
    {
        var (g, c, link) = (pair.Google, pair.Creatio, pair.Link);

        if (link is { GoneSide: { } goneSide })
        {
            var survivorGone = goneSide == "google" ? pair.CreatioGone != Gone.No : pair.GoogleGone != Gone.No;
            return survivorGone
                // the kept copy is gone too: nothing left to protect
                ? Act(SyncActionKind.DropLink, "tombstone's surviving copy is gone")
                // unlinked by a delete on the other side: never synced again, never re-created
                : Act(SyncActionKind.Nothing, "unlinked after a delete on the " + goneSide + " side");
        }

        if (link is not null && IsPending(link) && g is null)
        {
            if (pair.CreatioGone != Gone.No)
            {
                // deleted in Creatio before its Google copy was confirmed
                return Act(SyncActionKind.DropLink, "Creatio item gone before its Google copy was confirmed");
            }

            // a create that died, and the lookup by its stamp found nothing: Google never made it
            return Act(SyncActionKind.CreateInGoogle, "unconfirmed Google create not found by its stamp: create again");
        }

        if (link is null)
        {
            if (g is not null && c is not null)
            {
                // the same item on both sides without a link (re-link after a crash or a lost link table, by stamp or derived id)
                return g.Hash == c.Hash
                    ? Act(SyncActionKind.SaveLink, "same item on both sides: linked")
                    : Conflict(g, c, policy, "unlinked pair differs");
            }

            if (g is not null)
            {
                // new in Google
                return Act(SyncActionKind.CreateInCreatio, "new in Google");
            }

            if (c is not null)
            {
                // new in Creatio
                return Act(SyncActionKind.CreateInGoogle, "new in Creatio");
            }

            return Act(SyncActionKind.Nothing, "gone before it was ever linked");
        }

        var googleMoved = g is not null && (g.Etag != link.GoogleEtag || g.Id != link.GoogleId);
        // Creatio keeps no change time for a removed detail row (a calendar participant taken off a meeting): a full listing
        // that finds other content under the same ModifiedOn counts it as moved, so the change is not lost.
        var creatioMoved = c is not null && (c.ModifiedAt != link.CreatioModifiedOn || (pair.Full && c.Hash != link.ContentHash));
        var googleChanged = googleMoved && g!.Hash != link.ContentHash;
        var creatioChanged = creatioMoved && c!.Hash != link.ContentHash;

        if (pair.GoogleGone != Gone.No && pair.CreatioGone != Gone.No)
        {
            // gone on both sides
            return Act(SyncActionKind.DropLink, "gone on both sides");
        }

        if (pair.GoogleGone != Gone.No)
        {
            // deleted in Google (or left its scope): a change in Creatio beats a delete; leaving the scope never deletes
            return policy.Delete == DeletePolicy.Propagate && pair.GoogleGone == Gone.Deleted && !creatioChanged
                ? Act(SyncActionKind.DeleteInCreatio, "deleted in Google")
                : Act(SyncActionKind.DropLink, pair.GoogleGone == Gone.Deleted ? "deleted in Google: Creatio copy kept" : "left Google's scope");
        }

        if (pair.CreatioGone != Gone.No)
        {
            // deleted in Creatio (or left its scope, e.g. another owner)
            return policy.Delete == DeletePolicy.Propagate && pair.CreatioGone == Gone.Deleted && !googleChanged
                ? Act(SyncActionKind.DeleteInGoogle, "deleted in Creatio")
                : Act(SyncActionKind.DropLink, pair.CreatioGone == Gone.Deleted ? "deleted in Creatio: Google copy kept" : "left Creatio's scope");
        }

        if (googleChanged && creatioChanged)
        {
            // changed on both sides: equal content is no conflict
            return g!.Hash == c!.Hash
                ? Act(SyncActionKind.SaveLink, "same change on both sides")
                : Conflict(g, c, policy, "changed on both sides");
        }

        if (googleChanged)
        {
            return Act(SyncActionKind.UpdateCreatio, "changed in Google");
        }

        if (creatioChanged)
        {
            return Act(SyncActionKind.UpdateGoogle, "changed in Creatio");
        }

        if (googleMoved || creatioMoved || (IsPending(link) && g is not null))
        {
            // our own echo, an etag bump with the same content, or a renamed Google item: remember its new id/etag/ModifiedOn
            return Act(SyncActionKind.SaveLink, IsPending(link) ? "unconfirmed Google create found: linked" : "echo: link refreshed");
        }

        return Act(SyncActionKind.Nothing, "unchanged");
    }

    private static SyncAction Conflict<TGoogle, TCreatio>(SyncItem<TGoogle> g, SyncItem<TCreatio> c, SyncPolicy policy, string why)
    {
        var googleWins = policy.Conflict switch
        {
            ConflictPolicy.GoogleWins => true,
            ConflictPolicy.CreatioWins => false,
            // a tie goes to Creatio, the system of record
            _ => g.ModifiedAt is { } gt && c.ModifiedAt is { } ct ? gt > ct : g.ModifiedAt is not null && c.ModifiedAt is null,
        };
        return googleWins
            ? Act(SyncActionKind.UpdateCreatio, why + ": Google wins")
            : Act(SyncActionKind.UpdateGoogle, why + ": Creatio wins");
    }

    private static SyncAction Act(SyncActionKind kind, string why) => new(kind, why);
}
