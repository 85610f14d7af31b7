using System.Collections.Frozen;

namespace CreatioGoogle.Sandbox.Google.Gmail;

/// <summary>Gmail's system label ids (users.labels: "System labels are internally created and cannot be added, modified, or deleted").</summary>
public static class GmailLabels
{
    public const string Inbox = "INBOX";
    public const string Sent = "SENT";
    public const string Draft = "DRAFT";
    public const string Spam = "SPAM";
    public const string Trash = "TRASH";
    public const string Unread = "UNREAD";
    public const string Starred = "STARRED";
    public const string Important = "IMPORTANT";
    public const string Chat = "CHAT";
    public const string CategoryPersonal = "CATEGORY_PERSONAL";
    public const string CategorySocial = "CATEGORY_SOCIAL";
    public const string CategoryPromotions = "CATEGORY_PROMOTIONS";
    public const string CategoryUpdates = "CATEGORY_UPDATES";
    public const string CategoryForums = "CATEGORY_FORUMS";

    /// <summary>In the order labels.list answers them.</summary>
    internal static readonly IReadOnlyList<string> System =
    [
        Chat, Sent, Inbox, Important, Trash, Draft, Spam, CategoryForums, CategoryUpdates, CategoryPersonal,
        CategoryPromotions, CategorySocial, Starred, Unread,
    ];

    internal static readonly FrozenSet<string> SystemSet = System.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>"Users can apply and remove the INBOX and UNREAD labels ... but cannot apply or remove the DRAFTS or SENT labels."</summary>
    internal static readonly FrozenSet<string> NotModifiable = FrozenSet.ToFrozenSet([Draft, Sent, Chat], StringComparer.Ordinal);
}
