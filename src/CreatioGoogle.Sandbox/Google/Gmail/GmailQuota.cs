namespace CreatioGoogle.Sandbox.Google.Gmail;

/// <summary>
/// Gmail's per-user quota: units per method, at most <see cref="LimitPerUserPerMinute"/> in any minute of the
/// simulator clock (a sliding window). A call over the limit is refused and costs nothing; every accepted unit is
/// also added to a running total a benchmark can read.
/// </summary>
internal sealed class GmailQuota(TimeProvider clock)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, UserUsage> _users = new(StringComparer.Ordinal);
    private int _limit = 15_000;

    public int LimitPerUserPerMinute
    {
        get => Volatile.Read(ref _limit);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            Volatile.Write(ref _limit, value);
        }
    }

    /// <summary>Charges <paramref name="units"/> to <paramref name="user"/>; false (nothing charged) when that would exceed the limit.</summary>
    public bool TryCharge(string user, int units, out TimeSpan retryAfter)
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            var usage = Usage(user);
            usage.Expire(now - Window);
            if (usage.InWindow + units > LimitPerUserPerMinute)
            {
                // The window frees up as its oldest charges age out.
                retryAfter = usage.Charges.Count > 0 ? usage.Charges.Peek().At + Window - now : Window;
                return false;
            }

            usage.Charges.Enqueue((now, units));
            usage.InWindow += units;
            usage.Total += units;
            retryAfter = TimeSpan.Zero;
            return true;
        }
    }

    public long Total(string user)
    {
        lock (_gate)
        {
            return _users.TryGetValue(user, out var usage) ? usage.Total : 0;
        }
    }

    public long TotalAllUsers()
    {
        lock (_gate)
        {
            return _users.Values.Sum(u => u.Total);
        }
    }

    public int InCurrentWindow(string user)
    {
        lock (_gate)
        {
            if (!_users.TryGetValue(user, out var usage))
            {
                return 0;
            }

            usage.Expire(clock.GetUtcNow() - Window);
            return usage.InWindow;
        }
    }

    /// <summary>Zeroes the running totals; the current window (what the limit counts) is kept.</summary>
    public void ResetTotals()
    {
        lock (_gate)
        {
            foreach (var usage in _users.Values)
            {
                usage.Total = 0;
            }
        }
    }

    private UserUsage Usage(string user)
    {
        if (!_users.TryGetValue(user, out var usage))
        {
            usage = new UserUsage();
            _users[user] = usage;
        }

        return usage;
    }

    private sealed class UserUsage
    {
        public Queue<(DateTimeOffset At, int Units)> Charges { get; } = new();

        public int InWindow { get; set; }

        public long Total { get; set; }

        public void Expire(DateTimeOffset cutoff)
        {
            while (Charges.Count > 0 && Charges.Peek().At <= cutoff)
            {
                InWindow -= Charges.Dequeue().Units;
            }
        }
    }
}
