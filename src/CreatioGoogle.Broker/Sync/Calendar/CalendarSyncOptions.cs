using System.ComponentModel.DataAnnotations;

namespace CreatioGoogle.Broker.Sync.Calendar;

/// <summary>Settings of the calendar sync (section <c>CalendarSync</c>), validated at start.</summary>
public sealed class CalendarSyncOptions
{
    public const string Section = "CalendarSync";

    /// <summary>Which side wins when a meeting changed on both sides since the last sync.</summary>
    public ConflictPolicy ConflictPolicy { get; set; } = ConflictPolicy.LaterWins;

    /// <summary>
    /// What a meeting deleted on one side does to its copy. <see cref="DeletePolicy.Unlink"/> (default, as in Creatio's own Google
    /// sync): the copy is kept (a Creatio meeting whose Google event was cancelled is set to status Canceled) and no longer
    /// synced. <see cref="DeletePolicy.Propagate"/>: the copy is deleted too, unless it changed since the last sync.
    /// </summary>
    public DeletePolicy DeletePolicy { get; set; } = DeletePolicy.Unlink;

    /// <summary>Meetings that ended longer ago than this are not synced (and not looked at).</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "36500.00:00:00")]
    public TimeSpan SyncPast { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// How far ahead a full listing reads Google (recurring events are expanded into instances up to here). Creatio meetings
    /// and linked events further ahead are synced anyway.
    /// </summary>
    [Range(typeof(TimeSpan), "7.00:00:00", "3650.00:00:00")]
    public TimeSpan SyncFuture { get; set; } = TimeSpan.FromDays(365);

    /// <summary>
    /// A full listing of both sides is forced this long after the last one: it moves the window forward, and it is how Creatio
    /// deletions (invisible to a ModifiedOn query) are noticed.
    /// </summary>
    [Range(typeof(TimeSpan), "01:00:00", "6.23:00:00")]
    public TimeSpan FullResyncAfter { get; set; } = TimeSpan.FromDays(6);

    /// <summary>
    /// Google's <c>sendUpdates</c> on every write: <c>none</c> (default: a sync must not e-mail attendees), <c>externalOnly</c> or <c>all</c>.
    /// </summary>
    [Required, RegularExpression("^(none|externalOnly|all)$", ErrorMessage = "CalendarSync:SendUpdates must be none, externalOnly or all.")]
    public string SendUpdates { get; set; } = "none";

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
