using System.Globalization;
using System.Text.RegularExpressions;

namespace CreatioGoogle.Sandbox.Google.Gmail;

internal enum HistoryChange
{
    MessageAdded,
    MessageDeleted,
    LabelsChanged,
}

/// <summary>One history record: a change to one message. <see cref="Labels"/> are the message's labels after it (before, for a delete).</summary>
internal sealed record HistoryRecord(
    ulong Id,
    DateTimeOffset At,
    string MessageId,
    string ThreadId,
    HistoryChange Change,
    IReadOnlyList<string> LabelsAdded,
    IReadOnlyList<string> LabelsRemoved,
    IReadOnlyCollection<string> Labels)
{
    /// <summary>The labels a change concerns, for history.list's labelId and watch's label filter.</summary>
    public IEnumerable<string> TouchedLabels => Labels.Concat(LabelsAdded).Concat(LabelsRemoved);
}

/// <summary>A stored message. Raw bytes and their parse never change; labels and historyId do, under the mailbox's lock.</summary>
internal sealed class StoredMessage(string id, string threadId, byte[] raw, ParsedMessage parsed, long internalDateMs)
{
    public string Id { get; } = id;

    public string ThreadId { get; } = threadId;

    public byte[] Raw { get; } = raw;

    public ParsedMessage Parsed { get; } = parsed;

    public long InternalDateMs { get; } = internalDateMs;

    public HashSet<string> Labels { get; } = new(StringComparer.Ordinal);

    public ulong HistoryId { get; set; }
}

/// <summary>A user label (Label_1, Label_2, ...).</summary>
internal sealed record UserLabel(string Id, string Name);

/// <summary>A users.watch registration: which topic, which labels (include or exclude), until when.</summary>
internal sealed record GmailWatch(string TopicName, IReadOnlySet<string> LabelIds, bool Exclude, DateTimeOffset Expiration)
{
    public bool Matches(HistoryRecord record)
    {
        if (LabelIds.Count == 0)
        {
            return true;
        }

        var touches = record.TouchedLabels.Any(LabelIds.Contains);
        return Exclude ? !touches : touches;
    }
}

/// <summary>
/// One account's mailbox: messages, labels, threads and the history log, guarded by one lock. History ids increase
/// with random gaps ("not contiguous with random gaps in between valid IDs"); records older than the retention are
/// pruned, and a start id below what is kept (or above the current id) is no longer valid.
/// </summary>
internal sealed partial class Mailbox
{
    private readonly TimeProvider _clock;
    private readonly Func<TimeSpan> _retention;
    private readonly Dictionary<string, StoredMessage> _messages = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _threadByMessageId = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _threadSubjects = new(StringComparer.Ordinal);
    private readonly List<HistoryRecord> _history = [];
    private readonly Dictionary<string, UserLabel> _userLabels = new(StringComparer.Ordinal);
    private int _labelSequence;
    private ulong _historyId;
    private ulong _lastMessageId;
    private ulong _floor;

    public Mailbox(SandboxAccount account, TimeProvider clock, Func<TimeSpan> retention)
    {
        Account = account;
        _clock = clock;
        _retention = retention;
        _historyId = (ulong)Random.Shared.Next(1_000, 100_000);
        _floor = _historyId;
    }

    public SandboxAccount Account { get; }

    public Lock Gate { get; } = new();

    public GmailWatch? Watch { get; set; }

    public ulong HistoryId => Volatile.Read(ref _historyId);

    public IEnumerable<StoredMessage> Messages => _messages.Values;

    public IReadOnlyCollection<UserLabel> UserLabels => _userLabels.Values;

    public int ThreadCount => _messages.Values.Select(m => m.ThreadId).Distinct(StringComparer.Ordinal).Count();

    public StoredMessage? Find(string id) => _messages.GetValueOrDefault(id);

    public bool LabelExists(string id) => GmailLabels.SystemSet.Contains(id) || _userLabels.ContainsKey(id);

    public UserLabel? FindUserLabel(string id) => _userLabels.GetValueOrDefault(id);

    public UserLabel AddUserLabel(string name)
    {
        if (_userLabels.Values.Any(l => string.Equals(l.Name, name, StringComparison.OrdinalIgnoreCase))
            || GmailLabels.SystemSet.Contains(name.ToUpperInvariant()))
        {
            throw GmailApiError.FailedPrecondition("Label name exists or conflicts");
        }

        var label = new UserLabel("Label_" + (++_labelSequence).ToString(CultureInfo.InvariantCulture), name);
        _userLabels[label.Id] = label;
        return label;
    }

    /// <summary>Stores a message (insert, import, or delivery by a test) and records messageAdded.</summary>
    public (StoredMessage Message, HistoryRecord Record) Add(byte[] raw, IReadOnlyCollection<string> labels, long? internalDateMs, string? threadId, bool dateFromHeader)
    {
        foreach (var label in labels)
        {
            if (!LabelExists(label))
            {
                throw GmailApiError.BadRequest($"Invalid label: {label}");
            }
        }

        var parsed = ParsedMessage.Parse(raw);
        var now = _clock.GetUtcNow();
        var internalDate = internalDateMs
            ?? (dateFromHeader && parsed.Date is { } date ? date.ToUnixTimeMilliseconds() : now.ToUnixTimeMilliseconds());
        var id = NewMessageId(now);
        var thread = ThreadFor(parsed, threadId) ?? id;
        if (!_threadSubjects.ContainsKey(thread))
        {
            _threadSubjects[thread] = NormalizeSubject(parsed.Subject);
        }

        var message = new StoredMessage(id, thread, raw, parsed, internalDate);
        message.Labels.UnionWith(labels);
        _messages[id] = message;
        if (parsed.MessageId is { } messageId)
        {
            _threadByMessageId.TryAdd(messageId, thread);
        }

        var record = Record(message, HistoryChange.MessageAdded, [], []);
        return (message, record);
    }

    /// <summary>Adds and removes labels; records a change only when a label really changed (null otherwise).</summary>
    public HistoryRecord? ChangeLabels(StoredMessage message, IReadOnlyCollection<string> add, IReadOnlyCollection<string> remove)
    {
        foreach (var label in add.Concat(remove))
        {
            if (!LabelExists(label) || GmailLabels.NotModifiable.Contains(label))
            {
                throw GmailApiError.BadRequest($"Invalid label: {label}");
            }
        }

        var added = add.Where(l => !remove.Contains(l) && message.Labels.Add(l)).Distinct(StringComparer.Ordinal).ToList();
        var removed = remove.Where(message.Labels.Remove).Distinct(StringComparer.Ordinal).ToList();
        return added.Count == 0 && removed.Count == 0 ? null : Record(message, HistoryChange.LabelsChanged, added, removed);
    }

    public HistoryRecord Remove(StoredMessage message)
    {
        _messages.Remove(message.Id);
        return Record(message, HistoryChange.MessageDeleted, [], []);
    }

    /// <summary>Records after <paramref name="startId"/>, or null when that id is no longer (or not yet) valid: Gmail's 404.</summary>
    public IReadOnlyList<HistoryRecord>? HistoryAfter(ulong startId)
    {
        Prune();
        if (startId < _floor || startId > _historyId)
        {
            return null;
        }

        var first = _history.FindIndex(r => r.Id > startId);
        return first < 0 ? [] : _history.GetRange(first, _history.Count - first);
    }

    /// <summary>Test control: as if Google had dropped all history up to now (the rare "valid for only a few hours").</summary>
    public void ExpireHistory()
    {
        _history.Clear();
        _floor = _historyId;
    }

    private void Prune()
    {
        var cutoff = _clock.GetUtcNow() - _retention();
        var expired = _history.FindLastIndex(r => r.At < cutoff);
        if (expired >= 0)
        {
            _floor = Math.Max(_floor, _history[expired].Id);
            _history.RemoveRange(0, expired + 1);
        }
    }

    private HistoryRecord Record(StoredMessage message, HistoryChange change, IReadOnlyList<string> added, IReadOnlyList<string> removed)
    {
        _historyId += (ulong)Random.Shared.Next(1, 64);
        message.HistoryId = _historyId;
        var record = new HistoryRecord(_historyId, _clock.GetUtcNow(), message.Id, message.ThreadId, change, added, removed, [.. message.Labels]);
        _history.Add(record);
        return record;
    }

    private string NewMessageId(DateTimeOffset now)
    {
        // Gmail ids are 16 hex digits that grow with arrival time (random low bits); strictly increasing here, so
        // messages that arrive in the same millisecond still list in arrival order.
        var id = Math.Max(_lastMessageId + 1, ((ulong)now.ToUnixTimeMilliseconds() << 20) | (uint)Random.Shared.Next(0, 1 << 16));
        _lastMessageId = id;
        return id.ToString("x16", CultureInfo.InvariantCulture);
    }

    /// <summary>Gmail threads a reply with the message it references when the subjects match (after Re:/Fwd:).</summary>
    private string? ThreadFor(ParsedMessage parsed, string? requested)
    {
        var subject = NormalizeSubject(parsed.Subject);
        if (requested is not null && _threadSubjects.TryGetValue(requested, out var requestedSubject) && requestedSubject == subject)
        {
            return requested;
        }

        foreach (var referenced in parsed.ReferencedIds)
        {
            if (_threadByMessageId.TryGetValue(referenced, out var thread) && _threadSubjects.GetValueOrDefault(thread) == subject)
            {
                return thread;
            }
        }

        return null;
    }

    private static string NormalizeSubject(string subject) => ReplyPrefix().Replace(subject, string.Empty).Trim().ToLowerInvariant();

    [GeneratedRegex(@"^(\s*(re|fw|fwd|aw|wg)\s*(\[\d+\])?\s*:\s*)+", RegexOptions.IgnoreCase)]
    private static partial Regex ReplyPrefix();
}
