using System.ComponentModel.DataAnnotations;

namespace CreatioGoogle.Broker.Sync;

/// <summary>The settings every two-way feature has (its own section: <c>ContactsSync</c>, <c>CalendarSync</c>), and the policy they make.</summary>
public abstract class SyncFeatureOptions
{
    /// <summary>Which side wins when an item changed on both sides since the last sync.</summary>
    public ConflictPolicy ConflictPolicy { get; set; } = ConflictPolicy.LaterWins;

    /// <summary>What an item deleted on one side does to its copy (default: kept, as in Creatio's own Google sync).</summary>
    public DeletePolicy DeletePolicy { get; set; } = DeletePolicy.Unlink;

    /// <summary>
    /// A full listing of both sides is forced this long after the last one: before Google's 7-day sync-token limit,
    /// and the only way Creatio deletions (invisible to a ModifiedOn query) are noticed.
    /// </summary>
    [Range(typeof(TimeSpan), "01:00:00", "6.23:00:00")]
    public TimeSpan FullResyncAfter { get; set; } = TimeSpan.FromDays(6);

    /// <summary>Rows per Creatio query page (Creatio allows up to 20,000; bigger pages, fewer requests).</summary>
    [Range(1, 20_000)]
    public int CreatioPageSize { get; set; } = 1000;

    internal SyncPolicy Policy => new()
    {
        Direction = SyncDirection.TwoWay,
        Conflict = ConflictPolicy,
        Delete = DeletePolicy,
        FullResyncAfter = FullResyncAfter,
    };
}
