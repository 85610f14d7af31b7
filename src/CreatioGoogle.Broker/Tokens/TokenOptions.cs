using System.ComponentModel.DataAnnotations;

namespace CreatioGoogle.Broker.Tokens;

/// <summary>How access tokens are kept fresh (app settings <c>Tokens__...</c>).</summary>
public sealed class TokenOptions
{
    public const string Section = "Tokens";

    /// <summary>
    /// App setting the <c>RenewTokens</c> timer reads its schedule from (<c>%RenewTokensSchedule%</c>). The Functions
    /// host resolves it from app settings only, so the deployment sets it; the default is <see cref="DefaultRenewSchedule"/>.
    /// </summary>
    public const string RenewScheduleSetting = "RenewTokensSchedule";

    /// <summary>Every 5 minutes (six-field NCRONTAB, as Functions timers use).</summary>
    public const string DefaultRenewSchedule = "0 */5 * * * *";

    /// <summary>A token request refreshes first when the access token expires within this margin.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:30:00")]
    public TimeSpan RefreshMargin { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The renewal timer refreshes tokens expiring within this window. Longer than the schedule's period plus
    /// <see cref="RefreshMargin"/>, so Creatio's token requests rarely have to wait for Google.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "00:55:00")]
    public TimeSpan RenewalWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Refresh at least this often even when unused: Google revokes refresh tokens idle for 6 months.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "30.00:00:00")]
    public TimeSpan MaxIdle { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Refreshes in flight at once during a renewal run.</summary>
    [Range(1, 1024)]
    public int MaxDegreeOfParallelism { get; set; } = 64;

    /// <summary>How long a refresh lease holds off other instances; longer than a slow Google answer.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "00:05:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often an instance waiting for another's refresh reads the row again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:05")]
    public TimeSpan LeasePollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>First back-off after a 429/5xx when Google gives no Retry-After; doubles per consecutive failure.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Longest back-off.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);
}
