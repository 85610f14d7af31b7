using System.Collections.Concurrent;
using System.Diagnostics;
using Azure;
using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Google;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CreatioGoogle.Broker.Tokens;

public enum RefreshStatus
{
    /// <summary>No refresh was due (or another caller or instance just did it): the row's token is current.</summary>
    Fresh,

    /// <summary>This call refreshed the token at Google and saved it.</summary>
    Refreshed,

    /// <summary>Google refused the grant, now or earlier: the user must connect again.</summary>
    ReconnectNeeded,

    /// <summary>Google was busy or down (now, or recently with a Retry-After still running): try later.</summary>
    Failed,

    /// <summary>No such connection.</summary>
    NotFound,
}

/// <summary>The outcome of <see cref="TokenRefresh.EnsureFreshAsync"/>; <see cref="AccessToken"/> is set only when it is at hand.</summary>
public sealed record RefreshResult(RefreshStatus Status, Connection? Connection, string? AccessToken = null, TimeSpan? RetryAfter = null);

/// <summary>When a connection's token is due for a refresh, as the caller sees it.</summary>
public delegate bool RefreshDue(Connection connection, DateTimeOffset now);

/// <summary>
/// Refreshing one connection's access token, in the order it happens (style.md, "one file owns one lifecycle"):
/// join a refresh already running in this process; re-read and skip if not due; wait while another instance
/// holds the lease; take the lease with an If-Match write; call Google; save tokens or record the failure
/// (counted at most once a day, backed off with jitter and Retry-After); report a status change.
/// </summary>
public sealed class TokenRefresh(
    ConnectionStore connections,
    GoogleOAuthClient google,
    IConnectionEvents events,
    IOptions<TokenOptions> options,
    TimeProvider clock,
    ILogger<TokenRefresh> logger)
{
    // Grants dying about this long after consent point at Google's "Testing" publishing status.
    private static readonly TimeSpan TestingLifetimeLow = TimeSpan.FromDays(6.5);
    private static readonly TimeSpan TestingLifetimeHigh = TimeSpan.FromDays(8);

    // One refresh per connection per process at a time; callers arriving meanwhile share its result.
    private readonly ConcurrentDictionary<(string Tenant, string Connection), Lazy<Task<RefreshResult>>> _inFlight = new();

    /// <summary>
    /// Makes sure the connection's token is not <paramref name="due"/>, refreshing it when it is. <paramref name="known"/>
    /// is a row just read (the renewal's scan), saving one read. The refresh itself is not cancelled with the
    /// caller: others may be waiting for it, and a refresh half done would only waste Google's answer.
    /// </summary>
    public Task<RefreshResult> EnsureFreshAsync(string tenantId, string connectionId, RefreshDue due,
        Connection? known, CancellationToken cancellationToken)
    {
        var key = (tenantId, connectionId);
        var flight = new Lazy<Task<RefreshResult>>(() => RunAsync(tenantId, connectionId, due, known));
        var shared = _inFlight.GetOrAdd(key, flight);
        if (ReferenceEquals(shared, flight))
        {
            // Only the caller that started the flight removes it, and only that exact flight.
            _ = shared.Value.ContinueWith(_ => _inFlight.TryRemove(new KeyValuePair<(string, string), Lazy<Task<RefreshResult>>>(key, flight)),
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return shared.Value.WaitAsync(cancellationToken);
    }

    private async Task<RefreshResult> RunAsync(string tenantId, string connectionId, RefreshDue due, Connection? known)
    {
        var waited = Stopwatch.StartNew();
        var connection = known;
        while (true)
        {
            connection ??= await connections.GetAsync(tenantId, connectionId, CancellationToken.None);
            if (connection is null)
            {
                return new RefreshResult(RefreshStatus.NotFound, null);
            }

            var now = clock.GetUtcNow();
            if (connection.Status == ConnectionStatus.ReconnectNeeded)
            {
                return new RefreshResult(RefreshStatus.ReconnectNeeded, connection);
            }

            // Checked after every re-read: whoever held the lease may have refreshed meanwhile.
            if (!due(connection, now))
            {
                return new RefreshResult(RefreshStatus.Fresh, connection);
            }

            // Google asked us to wait (Retry-After) or recently failed: do not ask again before then.
            if (connection.RetryNotBefore is { } notBefore && notBefore > now)
            {
                return new RefreshResult(RefreshStatus.Failed, connection, RetryAfter: notBefore - now);
            }

            // Another instance is refreshing: re-read until its token is saved or its lease ends. Real time bounds
            // the wait too, so a stopped test clock cannot hang a caller.
            if (connection.RefreshLeaseUntil is { } leaseUntil && leaseUntil > now && waited.Elapsed < options.Value.LeaseDuration)
            {
                await Task.Delay(options.Value.LeasePollInterval, CancellationToken.None);
                connection = null;
                continue;
            }

            connection.RefreshLeaseUntil = now + options.Value.LeaseDuration;
            connection.RefreshLeaseOwner = Guid.NewGuid().ToString("N");
            try
            {
                // If-Match on the ETag we read: of several instances, exactly one gets the lease.
                await connections.SaveAsync(connection, CancellationToken.None);
            }
            catch (RequestFailedException e) when (e.Status is 412 or 404)
            {
                connection = null;
                continue;
            }

            return await RefreshUnderLeaseAsync(connection);
        }
    }

    /// <summary>
    /// The renewal's path for many due rows of one partition: the same steps, but leases are taken and results saved
    /// with one table transaction per batch (up to 100 rows) instead of two writes per row. When a transaction fails
    /// because a row changed since the scan, those rows go the one-by-one way, re-read first.
    /// <paramref name="googleSlots"/> bounds the calls to Google in flight across all batches.
    /// </summary>
    public async Task<IReadOnlyList<RefreshResult>> RefreshBatchAsync(IReadOnlyList<Connection> batch, RefreshDue due,
        SemaphoreSlim googleSlots, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var leased = batch.Where(c => c.Status != ConnectionStatus.ReconnectNeeded && due(c, now)
                                      && !(c.RetryNotBefore > now) && !(c.RefreshLeaseUntil > now)).ToList();
        var owner = Guid.NewGuid().ToString("N");
        foreach (var connection in leased)
        {
            connection.RefreshLeaseUntil = now + options.Value.LeaseDuration;
            connection.RefreshLeaseOwner = owner;
        }

        if (!await connections.SaveBatchAsync(leased, cancellationToken))
        {
            return await Task.WhenAll(batch.Select(c => OneByOneAsync(c, due, googleSlots, cancellationToken)));
        }

        var others = batch.Except(leased).Select(c => EnsureFreshAsync(c.TenantId, c.ConnectionId, due, c, cancellationToken));
        var previous = leased.Select(c => c.Status).ToList();
        var outcomes = await Task.WhenAll(leased.Select(async c =>
        {
            await googleSlots.WaitAsync(cancellationToken);
            try
            {
                return await AskGoogleAsync(c);
            }
            finally
            {
                googleSlots.Release();
            }
        }));

        foreach (var connection in leased)
        {
            connection.RefreshLeaseUntil = null;
            connection.RefreshLeaseOwner = null;
        }

        var results = new List<RefreshResult>(await Task.WhenAll(others));
        if (await connections.SaveBatchAsync(leased, cancellationToken))
        {
            for (var i = 0; i < leased.Count; i++)
            {
                results.Add(await ReportAsync(leased[i], previous[i], outcomes[i]));
            }
        }
        else
        {
            for (var i = 0; i < leased.Count; i++)
            {
                results.Add(await SaveOutcomeAsync(leased[i], previous[i], outcomes[i]));
            }
        }

        return results;
    }

    private async Task<RefreshResult> OneByOneAsync(Connection connection, RefreshDue due, SemaphoreSlim googleSlots, CancellationToken cancellationToken)
    {
        await googleSlots.WaitAsync(cancellationToken);
        try
        {
            return await EnsureFreshAsync(connection.TenantId, connection.ConnectionId, due, known: null, cancellationToken);
        }
        finally
        {
            googleSlots.Release();
        }
    }

    private async Task<RefreshResult> RefreshUnderLeaseAsync(Connection connection)
    {
        var previousStatus = connection.Status;
        var outcome = await AskGoogleAsync(connection);
        return await SaveOutcomeAsync(connection, previousStatus, outcome);
    }

    private sealed record GoogleOutcome(RefreshStatus Status, string? AccessToken = null, TimeSpan? RetryAfter = null);

    /// <summary>Calls Google and writes its answer onto the row, not yet saved: new tokens, a dead grant, or a failure.</summary>
    private async Task<GoogleOutcome> AskGoogleAsync(Connection connection)
    {
        var refreshToken = await connections.ReadRefreshTokenAsync(connection, CancellationToken.None);
        if (refreshToken is null)
        {
            return MarkGrantDead(connection, "no_refresh_token", "The broker holds no refresh token for this connection. The user must connect again.");
        }

        GrantedTokens tokens;
        try
        {
            tokens = await google.RefreshAsync(refreshToken, CancellationToken.None);
        }
        catch (GoogleTokenException e) when (e.IsGrantDead)
        {
            return MarkGrantDead(connection, e.Error, GrantDeadReason(connection, e.Error));
        }
        catch (GoogleTokenException e)
        {
            // 429/5xx, and also invalid_client: an operator's mistake must not mark users' connections dead.
            return MarkFailed(connection, e.Error, e.RetryAfter);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or OperationCanceledException
                                      or Polly.ExecutionRejectedException)
        {
            return MarkFailed(connection, e is HttpRequestException ? "network_error" : "timeout", null);
        }

        var now = clock.GetUtcNow();
        // A new refresh token (rare at Google) replaces the old one in the same write; otherwise the old one is
        // written again, which also moves it to the current encryption key.
        await connections.SetTokensAsync(connection, tokens.RefreshToken ?? refreshToken, tokens.AccessToken, now + tokens.ExpiresIn, CancellationToken.None);
        if (tokens.RefreshToken is not null)
        {
            connection.RefreshTokenIssuedAt = now;
        }

        if (tokens.GrantedScopes.Count > 0)
        {
            connection.GrantedScopes = string.Join(' ', tokens.GrantedScopes);
        }

        connection.LastRenewedAt = now;
        connection.LastError = null;
        connection.FailureCount = 0;
        connection.ConsecutiveFailures = 0;
        connection.LastFailureAt = null;
        connection.RetryNotBefore = null;
        return new GoogleOutcome(RefreshStatus.Refreshed, tokens.AccessToken);
    }

    /// <summary>
    /// invalid_grant and friends: the connection needs the user. The refresh token stays on the row (a
    /// reconnect or a disconnect replaces or revokes it); nothing is deleted silently.
    /// </summary>
    private GoogleOutcome MarkGrantDead(Connection connection, string error, string reason)
    {
        connection.Status = ConnectionStatus.ReconnectNeeded;
        connection.StatusReason = reason;
        connection.LastError = error;
        connection.LastFailureAt = clock.GetUtcNow();
        connection.RetryNotBefore = null;
        return new GoogleOutcome(RefreshStatus.ReconnectNeeded);
    }

    /// <summary>Google busy or down: back off; count the failure at most once per UTC day (Nango's rule) so an outage condemns no one.</summary>
    private GoogleOutcome MarkFailed(Connection connection, string error, TimeSpan? retryAfter)
    {
        var now = clock.GetUtcNow();
        if (connection.LastFailureAt is not { } last || last.UtcDateTime.Date < now.UtcDateTime.Date)
        {
            connection.FailureCount++;
        }

        connection.ConsecutiveFailures++;
        connection.LastFailureAt = now;
        connection.LastError = error;
        var delay = BackOff(connection.ConsecutiveFailures, retryAfter);
        connection.RetryNotBefore = now + delay;
        logger.LogWarning("Refresh of connection {Connection} failed with {Error}; next try in {Delay}", connection.ConnectionId, error, delay);
        return new GoogleOutcome(RefreshStatus.Failed, RetryAfter: delay);
    }

    /// <summary>Saves the outcome and releases the lease; if the row changed meanwhile, the other write stands.</summary>
    private async Task<RefreshResult> SaveOutcomeAsync(Connection connection, string previousStatus, GoogleOutcome outcome)
    {
        var saved = await SaveReleasingLeaseAsync(connection);
        return saved is null
            ? new RefreshResult(RefreshStatus.Fresh, await connections.GetAsync(connection.TenantId, connection.ConnectionId, CancellationToken.None))
            : await ReportAsync(saved, previousStatus, outcome);
    }

    /// <summary>After the save: a connection that just needed a reconnect is reported (to Creatio, via the callback queue).</summary>
    private async Task<RefreshResult> ReportAsync(Connection saved, string previousStatus, GoogleOutcome outcome)
    {
        if (outcome.Status == RefreshStatus.ReconnectNeeded && previousStatus != ConnectionStatus.ReconnectNeeded)
        {
            logger.LogWarning("Connection {Connection} of tenant {Tenant} needs a reconnect: Google answered {Error}",
                saved.ConnectionId, saved.TenantId, saved.LastError);
            await events.StatusChangedAsync(saved, previousStatus, CancellationToken.None);
        }

        return new RefreshResult(outcome.Status, saved, outcome.AccessToken, outcome.RetryAfter);
    }

    /// <summary>Exponential from <see cref="TokenOptions.RetryBaseDelay"/>, never shorter than Retry-After, plus up to 25% jitter so thousands of rows do not retry in step.</summary>
    private TimeSpan BackOff(int consecutiveFailures, TimeSpan? retryAfter)
    {
        var o = options.Value;
        var exponential = o.RetryBaseDelay * Math.Pow(2, Math.Min(consecutiveFailures - 1, 16));
        var delay = exponential > o.RetryMaxDelay ? o.RetryMaxDelay : exponential;
        if (retryAfter is { } asked && asked > delay)
        {
            delay = asked;
        }

        return delay + delay * (Random.Shared.NextDouble() * 0.25);
    }

    private string GrantDeadReason(Connection connection, string error)
    {
        var now = clock.GetUtcNow();
        if (connection.RefreshTokenExpiresAt is { } end && end <= now)
        {
            return "The time-limited access the user granted on Google's page has ended. The user must connect again.";
        }

        var age = now - (connection.RefreshTokenIssuedAt ?? connection.ConnectedAt);
        if (error == "invalid_grant" && age >= TestingLifetimeLow && age < TestingLifetimeHigh)
        {
            return "Google refused the refresh token about 7 days after the user connected: the Google Cloud project is " +
                   "probably in 'Testing' publishing status, where refresh tokens expire after 7 days. Publish the app " +
                   "(OAuth consent screen: In production), then the user must connect again.";
        }

        return error switch
        {
            "admin_policy_enforced" => "The Google Workspace administrator blocks this app or one of its scopes. Once allowed, the user must connect again.",
            "unauthorized_client" => "Google no longer accepts this grant for the broker's OAuth client. The user must connect again.",
            _ => "Google refused the refresh token (invalid_grant): the user revoked access, changed their password, or the grant expired. The user must connect again.",
        };
    }

    /// <summary>Saves with If-Match and clears the lease; null when someone else changed the row after our lease ran out.</summary>
    private async Task<Connection?> SaveReleasingLeaseAsync(Connection connection)
    {
        connection.RefreshLeaseUntil = null;
        connection.RefreshLeaseOwner = null;
        try
        {
            await connections.SaveAsync(connection, CancellationToken.None);
            return connection;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            logger.LogWarning("Connection {Connection} changed while it was being refreshed; keeping the other write", connection.ConnectionId);
            return null;
        }
    }
}
