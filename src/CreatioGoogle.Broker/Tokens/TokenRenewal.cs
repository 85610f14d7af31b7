using Azure;
using Azure.Data.Tables;
using CreatioGoogle.Broker.Connections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CreatioGoogle.Broker.Tokens;

/// <summary>What one renewal run did, for the log and the benchmark.</summary>
public sealed record RenewalReport(int Scanned, int Refreshed, int AlreadyFresh, int ReconnectNeeded, int Failed, int BackingOff, int Reencrypted, int Errors);

/// <summary>
/// Flow 4 of design.md, run by the <c>RenewTokens</c> timer: refreshes every connection whose token expires within
/// the renewal window or that was not refreshed for <see cref="TokenOptions.MaxIdle"/>, with bounded
/// concurrency, and moves rows under an old encryption key to the current one.
/// </summary>
public sealed class TokenRenewal(
    TokenRefresh refresh,
    ConnectionStore connections,
    TokenProtector protector,
    IOptions<TokenOptions> options,
    TimeProvider clock,
    ILogger<TokenRenewal> logger)
{
    public async Task<RenewalReport> RunAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var now = clock.GetUtcNow();
        var keyVersion = await protector.CurrentKeyVersionAsync(cancellationToken);
        RefreshDue due = (c, at) => IsDue(c, at, o);

        // Only rows that need something come back from the table: due for a refresh, or under an old key.
        var filter = TableClient.CreateQueryFilter(
            $"(Status ne {ConnectionStatus.ReconnectNeeded} and (AccessTokenExpiresAt lt {now + o.RenewalWindow} or LastRenewedAt le {now - o.MaxIdle})) or RefreshTokenKeyVersion ne {keyVersion} or AccessTokenKeyVersion ne {keyVersion}");

        int scanned = 0, refreshed = 0, fresh = 0, reconnect = 0, failed = 0, backingOff = 0, reencrypted = 0, errors = 0;
        await Parallel.ForEachAsync(connections.QueryAsync(filter, cancellationToken),
            new ParallelOptions { MaxDegreeOfParallelism = o.MaxDegreeOfParallelism, CancellationToken = cancellationToken },
            async (connection, ct) =>
            {
                Interlocked.Increment(ref scanned);
                try
                {
                    if (connection.Status != ConnectionStatus.ReconnectNeeded && due(connection, now))
                    {
                        if (connection.RetryNotBefore is { } notBefore && notBefore > now)
                        {
                            Interlocked.Increment(ref backingOff);
                            return;
                        }

                        var result = await refresh.EnsureFreshAsync(connection.TenantId, connection.ConnectionId, due, connection, ct);
                        switch (result.Status)
                        {
                            case RefreshStatus.Refreshed: Interlocked.Increment(ref refreshed); break;
                            case RefreshStatus.ReconnectNeeded: Interlocked.Increment(ref reconnect); break;
                            case RefreshStatus.Failed: Interlocked.Increment(ref failed); break;
                            default: Interlocked.Increment(ref fresh); break;
                        }

                        return;
                    }

                    if (await connections.NeedsReencryptionAsync(connection, ct))
                    {
                        await connections.ReencryptAsync(connection, ct);
                        await connections.SaveAsync(connection, ct);
                        Interlocked.Increment(ref reencrypted);
                    }
                }
                catch (RequestFailedException e) when (e.Status is 412 or 404)
                {
                    // Changed or deleted since the scan (a refresh, a reconnect, a disconnect): the next run sees it anew.
                    Interlocked.Increment(ref fresh);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    // One bad row must not stop thousands of others.
                    Interlocked.Increment(ref errors);
                    logger.LogError("Renewal of connection {Connection} failed: {Error}", connection.ConnectionId, e.GetType().Name);
                }
            });

        var report = new RenewalReport(scanned, refreshed, fresh, reconnect, failed, backingOff, reencrypted, errors);
        logger.LogInformation("Token renewal: {Report}", report);
        return report;
    }

    private static bool IsDue(Connection connection, DateTimeOffset now, TokenOptions o) =>
        connection.AccessTokenExpiresAt is not { } expiresAt
        || expiresAt - now <= o.RenewalWindow
        || connection.LastRenewedAt is not { } renewed
        || now - renewed >= o.MaxIdle;
}
