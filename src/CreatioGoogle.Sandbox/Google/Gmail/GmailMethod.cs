namespace CreatioGoogle.Sandbox.Google.Gmail;

/// <summary>
/// One Gmail API method: its id (discovery id without "gmail."), quota cost and the scopes that may call it, from
/// gmail.v1.json and the quota page (facts §3.4 and §9).
/// </summary>
internal sealed record GmailMethod(string Id, string InternalName, int Units, params string[] Scopes)
{
    public const string MailScope = "https://mail.google.com/";
    public const string ModifyScope = "https://www.googleapis.com/auth/gmail.modify";
    public const string ReadonlyScope = "https://www.googleapis.com/auth/gmail.readonly";
    public const string MetadataScope = "https://www.googleapis.com/auth/gmail.metadata";
    public const string ComposeScope = "https://www.googleapis.com/auth/gmail.compose";
    public const string InsertScope = "https://www.googleapis.com/auth/gmail.insert";
    public const string LabelsScope = "https://www.googleapis.com/auth/gmail.labels";

    public static readonly GmailMethod GetProfile = new("users.getProfile", "GetProfile", 1, MailScope, ComposeScope, MetadataScope, ModifyScope, ReadonlyScope);
    public static readonly GmailMethod Watch = new("users.watch", "Watch", 100, MailScope, MetadataScope, ModifyScope, ReadonlyScope);
    public static readonly GmailMethod Stop = new("users.stop", "Stop", 50, MailScope, MetadataScope, ModifyScope, ReadonlyScope);
    public static readonly GmailMethod HistoryList = new("users.history.list", "ListHistory", 2, MailScope, MetadataScope, ModifyScope, ReadonlyScope);
    public static readonly GmailMethod LabelsList = new("users.labels.list", "ListLabels", 1, MailScope, LabelsScope, MetadataScope, ModifyScope, ReadonlyScope);
    public static readonly GmailMethod LabelsGet = new("users.labels.get", "GetLabel", 1, MailScope, LabelsScope, MetadataScope, ModifyScope, ReadonlyScope);
    public static readonly GmailMethod MessagesList = new("users.messages.list", "ListMessages", 5, MailScope, MetadataScope, ModifyScope, ReadonlyScope);
    public static readonly GmailMethod MessagesGet = new("users.messages.get", "GetMessage", 5, MailScope, MetadataScope, ModifyScope, ReadonlyScope);
    public static readonly GmailMethod AttachmentsGet = new("users.messages.attachments.get", "GetAttachment", 5, MailScope, ModifyScope, ReadonlyScope);
    public static readonly GmailMethod Insert = new("users.messages.insert", "InsertMessage", 25, MailScope, InsertScope, ModifyScope);
    public static readonly GmailMethod Import = new("users.messages.import", "ImportMessage", 25, MailScope, InsertScope, ModifyScope);
    public static readonly GmailMethod Modify = new("users.messages.modify", "ModifyMessage", 5, MailScope, ModifyScope);
    public static readonly GmailMethod BatchModify = new("users.messages.batchModify", "BatchModifyMessages", 50, MailScope, ModifyScope);
    public static readonly GmailMethod Trash = new("users.messages.trash", "TrashMessage", 5, MailScope, ModifyScope);
    public static readonly GmailMethod Untrash = new("users.messages.untrash", "UntrashMessage", 5, MailScope, ModifyScope);
    public static readonly GmailMethod Delete = new("users.messages.delete", "DeleteMessage", 10, MailScope);

    public bool AllowedFor(IReadOnlyCollection<string> granted) => Scopes.Any(granted.Contains);
}
