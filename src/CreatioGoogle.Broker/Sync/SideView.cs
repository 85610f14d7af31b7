namespace CreatioGoogle.Broker.Sync;

/// <summary>
/// One side of a pair as the act step sees it, so creates, updates and deletes are written once for both sides: which
/// adapter writes, which item of a pair is "self" and which the source, and how a link is made from them.
/// </summary>
internal sealed class SideView<TSelf, TOther, TG, TC>
{
    public required SyncSide Side { get; init; }
    public required ISyncSide<TSelf, TOther> Adapter { get; init; }
    public required ISyncSide<TOther, TSelf> OtherAdapter { get; init; }
    public required SyncActionKind CreateKind { get; init; }
    public required SyncActionKind UpdateKind { get; init; }
    public required SyncActionKind DeleteKind { get; init; }
    public required Func<SyncPair<TG, TC>, SyncItem<TSelf>?> Self { get; init; }
    public required Func<SyncPair<TG, TC>, SyncItem<TOther>?> Other { get; init; }
    public required Func<Link, string> SelfId { get; init; }
    public required Func<Link, string> OtherId { get; init; }

    /// <summary>The pair with this side's item replaced (null: to be read again).</summary>
    public required Func<SyncPair<TG, TC>, SyncItem<TSelf>?, SyncPair<TG, TC>> WithSelf { get; init; }

    public required Func<SyncPair<TG, TC>, Gone, SyncPair<TG, TC>> WithSelfGone { get; init; }

    /// <summary>The intent saved before a create here: the link with a pending id on this side.</summary>
    public required Func<Run<TG, TC>, SyncItem<TOther>, Link> Intent { get; init; }

    /// <summary>
    /// The link between this side's item and its source, agreeing on <c>hash</c>. With <c>sourceVersionKnown</c> false the
    /// source's etag/ModifiedOn is left empty, so the next decision sees the source as changed.
    /// </summary>
    public required Func<Run<TG, TC>, SyncItem<TSelf>, SyncItem<TOther>, string, bool, Link> MakeLink { get; init; }

    public required Func<Link, SyncItem<TSelf>, SyncItem<TOther>, SyncPair<TG, TC>> PairOf { get; init; }

    /// <summary>The target of an update that does not need the item read: what the link remembers of it.</summary>
    public SyncItem<TSelf> FromLink(Link link) => new()
    {
        Id = SelfId(link),
        Etag = Side == SyncSide.Google ? link.GoogleEtag : null,
        ModifiedAt = Side == SyncSide.Creatio ? link.CreatioModifiedOn : null,
        Hash = link.ContentHash,
        Native = default!,
    };

    public Link LinkOf(Run<TG, TC> run, SyncItem<TSelf> self, SyncItem<TOther> source, string hash, bool sourceVersionKnown = true) =>
        MakeLink(run, self, source, hash, sourceVersionKnown);
}

internal static class SideView<TG, TC>
{
    public static SideView<TG, TC, TG, TC> Google(Run<TG, TC> run) => new()
    {
        Side = SyncSide.Google,
        Adapter = run.Google,
        OtherAdapter = run.Creatio,
        CreateKind = SyncActionKind.CreateInGoogle,
        UpdateKind = SyncActionKind.UpdateGoogle,
        DeleteKind = SyncActionKind.DeleteInGoogle,
        Self = p => p.Google,
        Other = p => p.Creatio,
        SelfId = l => l.GoogleId,
        OtherId = l => l.CreatioId,
        WithSelf = (p, item) => p with { Google = item },
        WithSelfGone = (p, gone) => p with { Google = null, GoogleGone = gone },
        Intent = (r, source) => SyncEngine.NewLink(r, SyncDecision.PendingGoogleId(source.Id), source.Id, null, source.ModifiedAt, source.Hash),
        MakeLink = (r, self, source, hash, known) => SyncEngine.NewLink(r, self.Id, source.Id, self.Etag, known ? source.ModifiedAt : null, hash),
        PairOf = (link, self, source) => new SyncPair<TG, TC> { Link = link, Google = self, Creatio = source },
    };

    public static SideView<TC, TG, TG, TC> Creatio(Run<TG, TC> run) => new()
    {
        Side = SyncSide.Creatio,
        Adapter = run.Creatio,
        OtherAdapter = run.Google,
        CreateKind = SyncActionKind.CreateInCreatio,
        UpdateKind = SyncActionKind.UpdateCreatio,
        DeleteKind = SyncActionKind.DeleteInCreatio,
        Self = p => p.Creatio,
        Other = p => p.Google,
        SelfId = l => l.CreatioId,
        OtherId = l => l.GoogleId,
        WithSelf = (p, item) => p with { Creatio = item },
        WithSelfGone = (p, gone) => p with { Creatio = null, CreatioGone = gone },
        // Creatio ids are always chosen by the broker (derived from the Google id), so a Creatio create needs no intent.
        Intent = (_, _) => throw new NotSupportedException("A Creatio side must derive its ids (DerivedIdFor), not assign them."),
        MakeLink = (r, self, source, hash, known) => SyncEngine.NewLink(r, source.Id, self.Id, known ? source.Etag : null, self.ModifiedAt, hash),
        PairOf = (link, self, source) => new SyncPair<TG, TC> { Link = link, Google = source, Creatio = self },
    };
}
