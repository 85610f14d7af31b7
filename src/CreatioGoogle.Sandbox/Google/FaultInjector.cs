using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace CreatioGoogle.Sandbox.Google;

/// <summary>Test-controlled failures and latency for an OAuth endpoint (token, revoke).</summary>
internal sealed class FaultInjector
{
    private readonly Lock _gate = new();
    private int _remaining;
    private int _statusCode;
    private TimeSpan? _retryAfter;
    private readonly SimulatedLatency _latency = new();

    public TimeSpan Latency
    {
        get => _latency.Value;
        set => _latency.Value = value;
    }

    public Task DelayAsync(CancellationToken cancellationToken) => _latency.WaitAsync(cancellationToken);

    public void Inject(int count, int statusCode, TimeSpan? retryAfter)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 400);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 599);
        lock (_gate)
        {
            _remaining = count;
            _statusCode = statusCode;
            _retryAfter = retryAfter;
        }
    }

    public bool TryTake(out int statusCode, out TimeSpan? retryAfter)
    {
        lock (_gate)
        {
            statusCode = _statusCode;
            retryAfter = _retryAfter;
            if (_remaining <= 0)
            {
                return false;
            }

            _remaining--;
            return true;
        }
    }

    /// <summary>Answers the request with the next injected failure (and its Retry-After); false when none is left.</summary>
    public async Task<bool> TryAnswerAsync(HttpContext ctx)
    {
        if (!TryTake(out var status, out var retryAfter))
        {
            return false;
        }

        if (retryAfter is { } delay)
        {
            ctx.Response.Headers.RetryAfter = ((long)Math.Ceiling(delay.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        var (error, description) = ErrorFor(status);
        await OAuthResponses.ErrorAsync(ctx, status, error, description);
        return true;
    }

    /// <summary>Bodies in the shape Google's token endpoint uses for throttling and outages.</summary>
    public static (string Error, string Description) ErrorFor(int statusCode) => statusCode switch
    {
        429 => ("rate_limit_exceeded", "Rate Limit Exceeded"),
        500 => ("internal_failure", "Backend Error"),
        503 => ("temporarily_unavailable", "The service is currently unavailable."),
        401 => ("invalid_client", "Unauthorized"),
        >= 500 => ("server_error", "Backend Error"),
        _ => ("invalid_request", "Bad Request"),
    };
}
