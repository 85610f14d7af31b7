using CreatioGoogle.Sandbox.Google.PubSub;
using Microsoft.AspNetCore.Builder;

namespace CreatioGoogle.Sandbox.Google.Gmail;

/// <summary>A message as the mailbox holds it now.</summary>
public sealed record SandboxGmailMessage(
    string Id,
    string ThreadId,
    IReadOnlyList<string> LabelIds,
    DateTimeOffset InternalDate,
    ulong HistoryId,
    string? MessageIdHeader,
    ReadOnlyMemory<byte> Raw);

/// <summary>A users.watch registration.</summary>
public sealed record SandboxGmailWatch(string TopicName, IReadOnlyCollection<string> LabelIds, bool ExcludeLabels, DateTimeOffset Expiration);

/// <summary>
/// Test controls of the Gmail API simulator served by <see cref="SandboxGoogle"/> at <see cref="SandboxGoogle.GmailBaseUrl"/>
/// (Google's paths: <c>gmail/v1/users/{userId}/...</c>, <c>upload/gmail/v1/...</c>, <c>batch/gmail/v1</c>). A test plays
/// the mailbox's owner (deliver, label, trash, delete), Google's housekeeping (expire history) and Google's limits
/// (quota, faults, API disabled), and reads what the client did (calls and quota units per method and user).
/// Method names used by counters and fault injection are the discovery ids without "gmail.": "users.getProfile",
/// "users.watch", "users.stop", "users.history.list", "users.labels.list", "users.labels.get", "users.messages.list",
/// "users.messages.get", "users.messages.attachments.get", "users.messages.insert", "users.messages.import",
/// "users.messages.modify", "users.messages.batchModify", "users.messages.trash", "users.messages.untrash",
/// "users.messages.delete".
/// </summary>
public sealed class SandboxGmail : IAsyncDisposable
{
    private static readonly string[] ReceivedLabels = [GmailLabels.Inbox, GmailLabels.Unread, GmailLabels.CategoryPersonal];

    private readonly GmailStore _store;
    private readonly GmailQuota _quota;
    private readonly GmailApi _api;
    private readonly Func<string, SandboxAccount> _accountByEmail;

    internal SandboxGmail(
        Func<string, (SandboxAccount Account, IReadOnlyCollection<string> Scopes)?> findToken,
        TimeProvider clock,
        IdTokenSigner signer,
        Func<string, SandboxAccount> accountByEmail,
        WebApplication app)
    {
        _accountByEmail = accountByEmail;
        _store = new GmailStore(clock);
        _quota = new GmailQuota(clock);
        PubSub = new SandboxPubSub("sandbox-project", clock, signer);
        _api = new GmailApi(findToken, _store, _quota, PubSub);
        _api.Map(app);
        _store.Changed = OnChanged;
    }

    /// <summary>The Cloud Pub/Sub side: topics, push subscriptions, deliveries, token faults.</summary>
    public SandboxPubSub PubSub { get; }

    /// <summary>When false, every call answers 403 accessNotConfigured / SERVICE_DISABLED, as for a project without the Gmail API.</summary>
    public bool ApiEnabled
    {
        get => _api.ApiEnabled;
        set => _api.ApiEnabled = value;
    }

    /// <summary>The project number Google names in quota and "API disabled" errors.</summary>
    public string ProjectNumber
    {
        get => _api.ProjectNumber;
        set => _api.ProjectNumber = value;
    }

    /// <summary>Real-time delay added to every HTTP request (a batch counts once).</summary>
    public TimeSpan Latency
    {
        get => _api.Latency;
        set => _api.Latency = value;
    }

    /// <summary>Per-user quota in units per minute of the simulator clock. Default 15,000, as at Google.</summary>
    public int QuotaUnitsPerUserPerMinute
    {
        get => _quota.LimitPerUserPerMinute;
        set => _quota.LimitPerUserPerMinute = value;
    }

    /// <summary>How an exhausted quota answers: 429 rateLimitExceeded (default) or 403 userRateLimitExceeded.</summary>
    public int QuotaExceededStatusCode
    {
        get => _api.QuotaExceededStatusCode;
        set => _api.QuotaExceededStatusCode = value is 429 or 403 ? value : throw new ArgumentOutOfRangeException(nameof(value), "429 or 403");
    }

    /// <summary>Simulator-clock age after which history is forgotten (start ids older than it get 404). Default 7 days.</summary>
    public TimeSpan HistoryRetention
    {
        get => _store.HistoryRetention;
        set => _store.HistoryRetention = value;
    }

    /// <summary>How long a users.watch lasts (its expiration). Default 7 days.</summary>
    public TimeSpan WatchLifetime
    {
        get => _api.WatchLifetime;
        set => _api.WatchLifetime = value;
    }

    /// <summary>Calls received per method, including refused ones (batch parts count as their method).</summary>
    public IReadOnlyDictionary<string, int> Calls => _api.Ledger.Calls;

    public int TotalCalls => _api.Ledger.Total;

    public int CallCount(string method) => _api.Ledger.CallCount(method);

    /// <summary>Quota units charged to the account since the start (or the last <see cref="ResetCounters"/>).</summary>
    public long UnitsUsed(string email) => _quota.Total(_accountByEmail(email).Sub);

    public long TotalUnitsUsed => _quota.TotalAllUsers();

    /// <summary>Units the account has used in the last minute of the simulator clock (what the limit counts).</summary>
    public int UnitsInCurrentMinute(string email) => _quota.InCurrentWindow(_accountByEmail(email).Sub);

    /// <summary>Zeroes call counters and unit totals (the quota window itself is kept).</summary>
    public void ResetCounters()
    {
        _api.Ledger.ResetCounters();
        _quota.ResetTotals();
    }

    /// <summary>
    /// The next <paramref name="count"/> authorized calls (of <paramref name="method"/>, or of any method) answer
    /// <paramref name="statusCode"/>: 429 and 403 as Gmail's rate-limit errors, 500 and 503 as outages.
    /// </summary>
    public void InjectFailures(int count, int statusCode, TimeSpan? retryAfter = null, string? method = null) =>
        _api.Ledger.PlanFailures(count, statusCode, retryAfter, method);

    /// <summary>A message arrives for the account (labels default to INBOX, UNREAD, CATEGORY_PERSONAL), raw bytes kept as given.</summary>
    public SandboxGmailMessage Deliver(string email, byte[] raw, IEnumerable<string>? labelIds = null, DateTimeOffset? internalDate = null) =>
        Add(email, raw, labelIds ?? ReceivedLabels, internalDate, dateFromHeader: false);

    /// <summary>The account sends a message: it is stored with the SENT label.</summary>
    public SandboxGmailMessage DeliverSent(string email, byte[] raw, DateTimeOffset? internalDate = null) =>
        Add(email, raw, [GmailLabels.Sent], internalDate, dateFromHeader: false);

    /// <summary>
    /// Delivers every file under <paramref name="folder"/> matching <paramref name="pattern"/> (recursively, in path
    /// order) as raw bytes, never re-encoded, malformed ones included. Each arrives now (internalDate = the simulator
    /// clock, as for mail Gmail receives), or, with <paramref name="internalDateFromHeader"/>, at its Date header when
    /// that parses (as messages.import with internalDateSource=dateHeader), else now.
    /// </summary>
    public IReadOnlyList<(string Path, SandboxGmailMessage Message)> DeliverFolder(
        string email, string folder, string pattern = "*.eml", IEnumerable<string>? labelIds = null, bool internalDateFromHeader = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var labels = (labelIds ?? ReceivedLabels).ToList();
        return [.. Directory.GetFiles(folder, pattern, SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(path => (path, Add(email, File.ReadAllBytes(path), labels, null, internalDateFromHeader)))];
    }

    /// <summary>Creates a user label (Label_1, ...) and returns its id.</summary>
    public string CreateLabel(string email, string name) => Control(email, (box, _) => box.AddUserLabel(name).Id);

    /// <summary>The user adds and removes labels (recorded as labelsAdded / labelsRemoved).</summary>
    public void Modify(string email, string messageId, IEnumerable<string>? add = null, IEnumerable<string>? remove = null) =>
        Control(email, (box, records) =>
        {
            if (box.ChangeLabels(Existing(box, messageId), [.. add ?? []], [.. remove ?? []]) is { } record)
            {
                records.Add(record);
            }

            return 0;
        });

    /// <summary>The user moves a message to the trash (history shows labelsAdded TRASH, not a delete).</summary>
    public void Trash(string email, string messageId) => Modify(email, messageId, add: [GmailLabels.Trash]);

    public void Untrash(string email, string messageId) => Modify(email, messageId, remove: [GmailLabels.Trash]);

    /// <summary>The message is deleted for good (messagesDeleted).</summary>
    public void Delete(string email, string messageId) => Control(email, (box, records) =>
    {
        records.Add(box.Remove(Existing(box, messageId)));
        return 0;
    });

    /// <summary>Google forgets the account's history now: every earlier start id gets 404 (the "only a few hours" case).</summary>
    public void ExpireHistory(string email) => Control(email, (box, _) =>
    {
        box.ExpireHistory();
        return 0;
    });

    /// <summary>The mailbox's current history id (what getProfile answers).</summary>
    public ulong HistoryId(string email) => Read(email, box => box.HistoryId);

    public IReadOnlyList<SandboxGmailMessage> Messages(string email) =>
        Read(email, box => box.Messages.OrderBy(m => m.InternalDateMs).ThenBy(m => m.Id, StringComparer.Ordinal).Select(Snapshot).ToList());

    public SandboxGmailMessage? Message(string email, string messageId) => Read(email, box => box.Find(messageId) is { } m ? Snapshot(m) : null);

    /// <summary>The account's watch, or null (none, stopped or expired).</summary>
    public SandboxGmailWatch? Watch(string email) => Read(email, box =>
        box.Watch is { } w && w.Expiration > _store.Clock.GetUtcNow() ? new SandboxGmailWatch(w.TopicName, [.. w.LabelIds], w.Exclude, w.Expiration) : null);

    /// <summary>
    /// Publishes a notification for the account right now (its current history id) to every push subscription of its
    /// watch's topic, with the given token, one attempt each and no retry: for testing a push endpoint's checks.
    /// </summary>
    public Task<IReadOnlyList<PushDelivery>> PushNowAsync(string email, PushTokenMode mode = PushTokenMode.Valid)
    {
        var account = _accountByEmail(email);
        var (topic, historyId) = Read(email, box => (box.Watch?.TopicName, box.HistoryId));
        return topic is null
            ? throw new InvalidOperationException($"{email} has no watch: call users.watch first.")
            : PubSub.PushOnceAsync(topic, account.Email, historyId, mode);
    }

    public ValueTask DisposeAsync() => PubSub.DisposeAsync();

    private SandboxGmailMessage Add(string email, byte[] raw, IEnumerable<string> labels, DateTimeOffset? internalDate, bool dateFromHeader)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var labelList = labels.ToList();
        return Control(email, (box, records) =>
        {
            var (message, record) = box.Add(raw, labelList, internalDate?.ToUnixTimeMilliseconds(), threadId: null, dateFromHeader);
            records.Add(record);
            return Snapshot(message);
        });
    }

    /// <summary>A watched mailbox changed in a way its label filter covers: Gmail publishes to the watch's topic.</summary>
    private void OnChanged(Mailbox mailbox, HistoryRecord record)
    {
        var watch = mailbox.Watch;
        if (watch is null || watch.Expiration <= _store.Clock.GetUtcNow() || !watch.Matches(record))
        {
            return;
        }

        PubSub.NotifyChanged(mailbox.Account.Email, watch.TopicName, () => mailbox.HistoryId);
    }

    private T Control<T>(string email, Func<Mailbox, List<HistoryRecord>, T> change)
    {
        try
        {
            return _store.Write(_store.For(_accountByEmail(email)), change);
        }
        catch (GmailApiError error)
        {
            throw new ArgumentException(error.Message);
        }
    }

    private T Read<T>(string email, Func<Mailbox, T> read) => _store.Read(_store.For(_accountByEmail(email)), read);

    private static StoredMessage Existing(Mailbox box, string id) => box.Find(id) ?? throw new ArgumentException($"No message {id}.", nameof(id));

    private static SandboxGmailMessage Snapshot(StoredMessage m) => new(
        m.Id, m.ThreadId, [.. m.Labels.Order(StringComparer.Ordinal)], DateTimeOffset.FromUnixTimeMilliseconds(m.InternalDateMs), m.HistoryId, m.Parsed.MessageId, m.Raw);
}
