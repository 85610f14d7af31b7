using System.ComponentModel.DataAnnotations;

namespace CreatioGoogle.Broker.Sync;

/// <summary>How often each feature syncs, and how jobs are queued and guarded.</summary>
public sealed class SyncOptions
{
    public const string Section = "Sync";

    /// <summary>App setting naming the queue <c>RunSync</c> listens on (a flat name: trigger bindings read it as %SyncQueueName%).</summary>
    public const string QueueNameSetting = "SyncQueueName";

    public const string DefaultQueueName = "sync-jobs";

    /// <summary>App setting with the <c>ScheduleSyncs</c> timer's NCRONTAB schedule (read as %ScheduleSyncsSchedule%).</summary>
    public const string ScheduleSetting = "ScheduleSyncsSchedule";

    public const string DefaultSchedule = "0 */5 * * * *";

    /// <summary>Minimum time between two runs of one (connection, feature); per feature, e.g. <c>Sync__Intervals__contacts</c>.</summary>
    public Dictionary<string, TimeSpan> Intervals { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Used for a feature without its own interval.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan DefaultInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a running job holds its (connection, feature); renewed while it works.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "01:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a job that found its (connection, feature) busy waits before it is tried again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:30:00")]
    public TimeSpan BusyRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    public TimeSpan IntervalFor(string feature) => Intervals.TryGetValue(feature, out var interval) ? interval : DefaultInterval;
}
