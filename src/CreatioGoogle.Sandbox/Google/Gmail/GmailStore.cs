using System.Collections.Concurrent;

namespace CreatioGoogle.Sandbox.Google.Gmail;

/// <summary>
/// All mailboxes of the simulator. Reads and writes go through <see cref="Read{T}"/> and <see cref="Write{T}"/>, which
/// hold the mailbox's lock; the history records a write produced are announced (for Pub/Sub push) after the lock is released.
/// </summary>
internal sealed class GmailStore(TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, Mailbox> _mailboxes = new(StringComparer.Ordinal);
    private long _retentionTicks = TimeSpan.FromDays(7).Ticks;

    /// <summary>Simulator-clock age after which history records are dropped; older start ids get 404.</summary>
    public TimeSpan HistoryRetention
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _retentionTicks));
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            Interlocked.Exchange(ref _retentionTicks, value.Ticks);
        }
    }

    public TimeProvider Clock => clock;

    /// <summary>Called once per history record a write produced, outside the mailbox's lock.</summary>
    public Action<Mailbox, HistoryRecord>? Changed { get; set; }

    public Mailbox For(SandboxAccount account) =>
        _mailboxes.GetOrAdd(account.Sub, _ => new Mailbox(account, clock, () => HistoryRetention));

    public T Read<T>(Mailbox mailbox, Func<Mailbox, T> read)
    {
        lock (mailbox.Gate)
        {
            return read(mailbox);
        }
    }

    public T Write<T>(Mailbox mailbox, Func<Mailbox, List<HistoryRecord>, T> write)
    {
        var records = new List<HistoryRecord>();
        T result;
        lock (mailbox.Gate)
        {
            result = write(mailbox, records);
        }

        if (Changed is { } changed)
        {
            foreach (var record in records)
            {
                changed(mailbox, record);
            }
        }

        return result;
    }
}
