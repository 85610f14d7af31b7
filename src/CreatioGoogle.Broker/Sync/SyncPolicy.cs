namespace CreatioGoogle.Broker.Sync;

/// <summary>Which way a feature's changes flow.</summary>
public enum SyncDirection
{
    /// <summary>Both sides are read and written (contacts, calendar).</summary>
    TwoWay,

    /// <summary>
    /// Google is copied into Creatio and nothing is ever written to Google (mail): Creatio's own changes, new items and
    /// deletions stay in Creatio, and a delete in Google never deletes the imported copy (whatever the delete policy).
    /// </summary>
    GoogleToCreatio,
}

/// <summary>Which side wins when an item changed on both sides since the last sync.</summary>
public enum ConflictPolicy
{
    /// <summary>The later change wins: Google's update time against Creatio's ModifiedOn (a tie goes to Creatio).</summary>
    LaterWins,
    GoogleWins,
    CreatioWins,
}

/// <summary>What an item deleted on one side does to its copy on the other.</summary>
public enum DeletePolicy
{
    /// <summary>As Creatio's own Google sync: the copy is kept, only the link is dropped (a tombstone stops it being copied back).</summary>
    Unlink,

    /// <summary>The copy is deleted too, unless it was changed since the last sync: a change beats a delete.</summary>
    Propagate,
}

/// <summary>A feature's sync settings, as the engine and the decision table read them.</summary>
internal sealed record SyncPolicy
{
    public SyncDirection Direction { get; init; } = SyncDirection.TwoWay;

    public ConflictPolicy Conflict { get; init; } = ConflictPolicy.LaterWins;

    public DeletePolicy Delete { get; init; } = DeletePolicy.Unlink;

    /// <summary>A full listing of both sides is forced this long after the last one (also how Creatio deletions are seen).</summary>
    public TimeSpan FullResyncAfter { get; init; } = TimeSpan.FromDays(6);

    /// <summary>May the engine write this side?</summary>
    public bool Writes(SyncSide side) => side == SyncSide.Creatio || Direction == SyncDirection.TwoWay;
}
