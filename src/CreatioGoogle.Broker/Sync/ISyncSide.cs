namespace CreatioGoogle.Broker.Sync;

internal enum SyncSide
{
    Google,
    Creatio,
}

/// <summary>Why an item is not on its side any more.</summary>
internal enum Gone
{
    No,
    Deleted,

    /// <summary>Still exists, but left what the feature syncs (removed from the Google group, given another owner in Creatio).</summary>
    LeftScope,
}

/// <summary>
/// One item as its side holds it now, in the form the engine compares. <typeparamref name="TNative"/> is the side's own
/// type (a People <c>Person</c>, a Creatio row): only the feature's adapters look inside it.
/// </summary>
internal sealed record SyncItem<TNative>
{
    public required string Id { get; init; }

    /// <summary>Google's etag (kept on the link as <see cref="Link.GoogleEtag"/>); null on the Creatio side.</summary>
    public string? Etag { get; init; }

    /// <summary>
    /// When the item last changed: Google's update time (for "later wins"), Creatio's ModifiedOn (also its version, kept
    /// on the link as <see cref="Link.CreatioModifiedOn"/>).
    /// </summary>
    public DateTimeOffset? ModifiedAt { get; init; }

    /// <summary>
    /// Hash of the mapped fields, computed so both sides holding the same content hash the same: an item whose hash is
    /// the link's is unchanged, whatever its etag says (echo suppression).
    /// </summary>
    public required string Hash { get; init; }

    /// <summary>The other side's id written on this item when the engine created it (People: clientData), for relinking.</summary>
    public string? Stamp { get; init; }

    /// <summary>Ids this item had before (People resource-name changes): its link is followed, not duplicated.</summary>
    public IReadOnlyList<string> PreviousIds { get; init; } = [];

    /// <summary>False for an item a lookup found outside the feature's scope (the engine then treats it as left).</summary>
    public bool InScope { get; init; } = true;

    public required TNative Native { get; init; }
}

/// <summary>What one side reported for a run.</summary>
internal sealed record SideChanges<TNative>
{
    /// <summary>True when this was a full listing (everything in scope), whether asked for or forced (an expired cursor).</summary>
    public required bool Full { get; init; }

    /// <summary>Items changed since the cursor (all of them, when <see cref="Full"/>). An id appears once.</summary>
    public required IReadOnlyList<SyncItem<TNative>> Items { get; init; }

    /// <summary>Ids reported as deleted or out of scope (incremental listings; a full listing reports absence by omission).</summary>
    public IReadOnlyDictionary<string, Gone> Gone { get; init; } = new Dictionary<string, Gone>();

    /// <summary>
    /// Moves this side's cursor in the feature state. The engine calls it only after every write of the run succeeded,
    /// so a failed run reads the same changes again.
    /// </summary>
    public Action Commit { get; init; } = () => { };
}

/// <summary>An update of an item on this side from the other side's item: <see cref="Current"/> is how this side holds it now.</summary>
internal sealed record SideUpdate<TSelf, TOther>(SyncItem<TSelf> Current, SyncItem<TOther> Source);

internal enum WriteOutcome
{
    /// <summary>Written; <see cref="WriteResult{T}.Item"/> is the item as now stored (when the side answers with it).</summary>
    Done,

    /// <summary>A create found its item already there (made by a run that died before linking it): link it, don't duplicate.</summary>
    AlreadyExists,

    /// <summary>The target does not exist (a delete of it is a success; an update is re-decided).</summary>
    Gone,

    /// <summary>The target changed since it was read (412 conditionNotMet, People's stale etag): re-read it and decide again.</summary>
    ChangedMeanwhile,

    /// <summary>Not written and not an error (logged by the side): nothing is linked, the cursor may move.</summary>
    Skipped,

    /// <summary>Definitely not written (the side refused it): the run fails at its end so the cursor does not move.</summary>
    Failed,
}

/// <summary>
/// The result of one item of a batch write. <see cref="Key"/> is the source item's id for a create (match results by it,
/// never by position), and the target's requested id for an update or delete.
/// </summary>
internal sealed record WriteResult<TNative>(string Key, WriteOutcome Outcome, SyncItem<TNative>? Item = null, string? Error = null);

/// <summary>
/// One side of a feature (its Google API or its Creatio entity), as the engine drives it. To add a feature, implement this
/// twice (a Google side and a Creatio side, each writing from the other's item) and hand both to
/// <see cref="SyncEngine.RunAsync{TState, TGoogle, TCreatio}"/>. An adapter is made per run; it may keep what it learns
/// during the run (a group's resource name, the owner's id) in the feature state it was given.
/// <para>
/// Contract: return per-item results for writes; throw only when the outcome is unknown (the network failed after
/// sending): the engine then stops, and the next run confirms what happened (by <see cref="FindByStampAsync"/> or by the
/// derived id). Writes of one run are called one after another, never in parallel (People wants a user's mutations sequential).
/// </para>
/// </summary>
/// <typeparam name="TSelf">This side's item type.</typeparam>
/// <typeparam name="TOther">The other side's item type (what creates and updates are made from).</typeparam>
internal interface ISyncSide<TSelf, TOther>
{
    /// <summary>Batch sizes the API allows per write call; the engine chunks by them (and writes links after each chunk).</summary>
    SideBatchLimits Limits { get; }

    /// <summary>
    /// True when this side assigns ids to created items (People). The engine then saves an intent link before each create,
    /// the adapter stamps the new item with the source's id (<see cref="SyncItem{T}.Stamp"/>), and a run that died after a
    /// create confirms it with <see cref="FindByStampAsync"/>. False when ids come from <see cref="DerivedIdFor"/>.
    /// </summary>
    bool AssignsIds { get; }

    /// <summary>
    /// True when an update needs the item as the side holds it now (People: its etag, and the unmapped fields to send back);
    /// the engine then reads targets this run has not. False (Creatio's PATCH of the mapped columns): the update gets an
    /// item made from the link, whose <see cref="SyncItem{T}.Native"/> is default.
    /// </summary>
    bool UpdatesNeedCurrent { get; }

    /// <summary>Changes since the cursor in the feature state, or everything in scope when <paramref name="full"/> (or when the cursor is unusable).</summary>
    Task<SideChanges<TSelf>> ListChangesAsync(bool full, CancellationToken cancellationToken);

    /// <summary>
    /// Items by id, keyed by the id asked for; an id that does not exist is left out. An item found under a new id (a
    /// rename) is returned with that id; one outside the scope with <see cref="SyncItem{T}.InScope"/> false.
    /// </summary>
    Task<IReadOnlyDictionary<string, SyncItem<TSelf>>> GetManyAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken);

    /// <summary>Items this side created from the given other-side ids (their stamps), keyed by that id. Only asked when <see cref="AssignsIds"/>.</summary>
    Task<IReadOnlyDictionary<string, SyncItem<TSelf>>> FindByStampAsync(IReadOnlyCollection<string> otherIds, CancellationToken cancellationToken);

    /// <summary>The id a create from <paramref name="source"/> gets here when ids are derived (deterministic), else null.</summary>
    string? DerivedIdFor(SyncItem<TOther> source);

    Task<IReadOnlyList<WriteResult<TSelf>>> CreateAsync(IReadOnlyList<SyncItem<TOther>> sources, CancellationToken cancellationToken);

    Task<IReadOnlyList<WriteResult<TSelf>>> UpdateAsync(IReadOnlyList<SideUpdate<TSelf, TOther>> updates, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes items here because their partners were deleted. A side that must not delete one (calendar: a meeting someone
    /// else owns) answers <see cref="WriteOutcome.Skipped"/>: the item is kept and unlinked, as under <see cref="DeletePolicy.Unlink"/>.
    /// </summary>
    Task<IReadOnlyList<WriteResult<TSelf>>> DeleteAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken);

    /// <summary>
    /// Marks items kept here although their partners were deleted (the delete policy keeps copies), when the feature has a
    /// way to show it: calendar sets a Creatio meeting whose Google event was cancelled to status Canceled. Called before the
    /// tombstone is saved; a <see cref="WriteOutcome.Failed"/> item keeps its link for the next run. By default nothing is marked.
    /// </summary>
    Task<IReadOnlyList<WriteResult<TSelf>>> RetireAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<WriteResult<TSelf>>>([.. ids.Select(id => new WriteResult<TSelf>(id, WriteOutcome.Skipped))]);
}

/// <summary>Per-call item limits of a side's batch writes.</summary>
internal sealed record SideBatchLimits(int Create, int Update, int Delete);
