using System.ComponentModel.DataAnnotations;

namespace CreatioGoogle.Broker.Push;

/// <summary>Push notifications (section <c>Push</c>): Calendar watch channels, validated at start.</summary>
public sealed class PushOptions
{
    public const string Section = "Push";

    /// <summary>App setting with the <c>RenewPushChannels</c> timer's NCRONTAB schedule (read as %RenewPushChannelsSchedule%).</summary>
    public const string RenewScheduleSetting = "RenewPushChannelsSchedule";

    public const string DefaultRenewSchedule = "0 */10 * * * *";

    /// <summary>Off: no channels are made (existing ones are stopped by the timer); polling alone keeps the sync going.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The expiration asked of Google for a new channel (Google may give less: its answer is what is kept).</summary>
    [Range(typeof(TimeSpan), "01:00:00", "30.00:00:00")]
    public TimeSpan ChannelLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>A channel expiring within this is replaced: a new one is made, then the old one stopped (channels cannot be renewed).</summary>
    [Range(typeof(TimeSpan), "00:15:00", "7.00:00:00")]
    public TimeSpan RenewBefore { get; set; } = TimeSpan.FromDays(1);
}
