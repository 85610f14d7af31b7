using System.Collections.Concurrent;

namespace CreatioGoogle.Sandbox.Google;

/// <summary>
/// Calls received per method of a simulated Google API, and the failures a test asked for: the next N calls (of one
/// method, or of any) answer a status code instead of being served. A method-specific plan wins over an "any" plan.
/// </summary>
internal sealed class ApiCallLedger
{
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FailurePlan> _plans = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>The key of the plan that applies to every method.</summary>
    private const string AnyMethod = "*";

    public IReadOnlyDictionary<string, int> Calls => new Dictionary<string, int>(_calls, StringComparer.Ordinal);

    public int Total => _calls.Values.Sum();

    public void Count(string method) => _calls.AddOrUpdate(method, 1, (_, n) => n + 1);

    public int CallCount(string method) => _calls.GetValueOrDefault(method);

    public void ResetCounters() => _calls.Clear();

    /// <summary>Replaces the plan for <paramref name="method"/> (null: any method); a count of 0 removes it.</summary>
    public void PlanFailures(int count, int statusCode, TimeSpan? retryAfter, string? method)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 400);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 599);
        lock (_gate)
        {
            var key = method ?? AnyMethod;
            if (count == 0)
            {
                _plans.Remove(key);
            }
            else
            {
                _plans[key] = new FailurePlan(count, statusCode, retryAfter);
            }
        }
    }

    /// <summary>The failure this call of <paramref name="method"/> must answer, if one is planned.</summary>
    public (int StatusCode, TimeSpan? RetryAfter)? TakeFailure(string method)
    {
        lock (_gate)
        {
            var key = _plans.ContainsKey(method) ? method : _plans.ContainsKey(AnyMethod) ? AnyMethod : null;
            if (key is null)
            {
                return null;
            }

            var plan = _plans[key];
            if (plan.Remaining <= 1)
            {
                _plans.Remove(key);
            }
            else
            {
                _plans[key] = plan with { Remaining = plan.Remaining - 1 };
            }

            return (plan.StatusCode, plan.RetryAfter);
        }
    }

    private sealed record FailurePlan(int Remaining, int StatusCode, TimeSpan? RetryAfter);
}
