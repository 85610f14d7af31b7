using System.ComponentModel.DataAnnotations;

namespace CreatioGoogle.Broker.Sync.Contacts;

/// <summary>Which side wins when a contact changed on both sides since the last sync.</summary>
public enum ContactConflictPolicy
{
    /// <summary>The later change wins: Google's source updateTime against Creatio's ModifiedOn (a tie goes to Creatio).</summary>
    LaterWins,
    GoogleWins,
    CreatioWins,
}

/// <summary>What a contact deleted on one side does to its copy on the other.</summary>
public enum ContactDeletePolicy
{
    /// <summary>As Creatio's own Google sync: the copy is kept, only the link is dropped.</summary>
    Unlink,

    /// <summary>The copy is deleted too (unless it was changed since the last sync: a change beats a delete).</summary>
    Propagate,
}

/// <summary>Settings of the contacts sync (section <c>ContactsSync</c>), validated at start.</summary>
public sealed class ContactsSyncOptions
{
    public const string Section = "ContactsSync";

    /// <summary>The Google contact group whose members are synced; created when missing.</summary>
    [Required, MinLength(1), MaxLength(100)]
    public string GroupName { get; set; } = "Creatio";

    public ContactConflictPolicy ConflictPolicy { get; set; } = ContactConflictPolicy.LaterWins;

    public ContactDeletePolicy DeletePolicy { get; set; } = ContactDeletePolicy.Unlink;

    /// <summary>
    /// A full listing of both sides is forced this long after the last one: before Google's 7-day sync-token limit,
    /// and the only way Creatio deletions (invisible to a ModifiedOn query) are noticed.
    /// </summary>
    [Range(typeof(TimeSpan), "01:00:00", "6.23:00:00")]
    public TimeSpan FullResyncAfter { get; set; } = TimeSpan.FromDays(6);

    /// <summary>
    /// A Google create that was started but never confirmed (the run died) is retried only after this long, so a
    /// contact Google did create — but does not list yet (writes take minutes to show, facts §0 trap 6) — is not made twice.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan UnconfirmedCreateRetryAfter { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Rows per Creatio query page (Creatio allows up to 20,000; bigger pages, fewer requests).</summary>
    [Range(1, 20_000)]
    public int CreatioPageSize { get; set; } = 1000;
}
