using System.ComponentModel.DataAnnotations;

namespace CreatioGoogle.Broker.Sync.Calendar;

/// <summary>
/// Settings of the calendar sync (section <c>CalendarSync</c>), validated at start. <see cref="SyncFeatureOptions.DeletePolicy"/>
/// <see cref="DeletePolicy.Unlink"/> keeps a copy, and a Creatio meeting whose Google event was cancelled is set to Canceled.
/// </summary>
public sealed class CalendarSyncOptions : SyncFeatureOptions
{
    public const string Section = "CalendarSync";

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
    /// Google's <c>sendUpdates</c> on every write: <c>none</c> (default: a sync must not e-mail attendees), <c>externalOnly</c> or <c>all</c>.
    /// </summary>
    [Required, RegularExpression("^(none|externalOnly|all)$", ErrorMessage = "CalendarSync:SendUpdates must be none, externalOnly or all.")]
    public string SendUpdates { get; set; } = "none";
}
