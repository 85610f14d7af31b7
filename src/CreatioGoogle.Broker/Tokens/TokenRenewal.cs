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
        // Due rows go in per-partition batches (one lease and one save transaction each); the slots bound the
        // calls to Google in flight. Twice as many batches as fit the slots keep Google busy while others write.
        var batchSize = Math.Clamp(o.MaxDegreeOfParallelism / 2, 1, 100);
        using var googleSlots = new SemaphoreSlim(o.MaxDegreeOfParallelism);
        await Parallel.ForEachAsync(BatchesAsync(connections.QueryAsync(filter, cancellationToken), batchSize, cancellationToken),
            new ParallelOptions { MaxDegreeOfParallelism = 2 * Math.Max(1, o.MaxDegreeOfParallelism / batchSize), CancellationToken = cancellationToken },
            async (batch, ct) =>
            {
                Interlocked.Add(ref scanned, batch.Count);
                var due_ = batch.Where(c => c.Status != ConnectionStatus.ReconnectNeeded && due(c, now)).ToList();
                var waiting = due_.Where(c => c.RetryNotBefore is { } notBefore && notBefore > now).ToList();
                Interlocked.Add(ref backingOff, waiting.Count);
                try
                {
                    foreach (var result in await refresh.RefreshBatchAsync(due_.Except(waiting).ToList(), due, googleSlots, ct))
                    {
                        switch (result.Status)
                        {
                            case RefreshStatus.Refreshed: Interlocked.Increment(ref refreshed); break;
                            case RefreshStatus.ReconnectNeeded: Interlocked.Increment(ref reconnect); break;
                            case RefreshStatus.Failed: Interlocked.Increment(ref failed); break;
                            default: Interlocked.Increment(ref fresh); break;
                        }
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    // One bad batch must not stop thousands of others; the next run tries again.
                    Interlocked.Add(ref errors, due_.Count - waiting.Count);
                    logger.LogError("Renewal of a batch of {Count} connections failed: {Error}", due_.Count - waiting.Count, e.GetType().Name);
                }

                foreach (var connection in batch.Except(due_))
                {
                    try
                    {
                        if (await connections.NeedsReencryptionAsync(connection, ct))
                        {
                            await connections.ReencryptAsync(connection, ct);
                            await connections.SaveAsync(connection, ct);
                            Interlocked.Increment(ref reencrypted);
                        }
                    }
                    catch (RequestFailedException e) when (e.Status is 412 or 404)
                    {
                        // Changed or deleted since the scan (a reconnect, a disconnect): the next run sees it anew.
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                    {
                        Interlocked.Increment(ref errors);
                        logger.LogError("Re-encryption of connection {Connection} failed: {Error}", connection.ConnectionId, e.GetType().Name);
                    }
                }
            });

        var report = new RenewalReport(scanned, refreshed, fresh, reconnect, failed, backingOff, reencrypted, errors);
        logger.LogInformation("Token renewal: {Report}", report);
        return report;
    }

    /// <summary>Groups the scan into batches of one partition (table transactions cannot span partitions).</summary>
    private static async IAsyncEnumerable<List<Connection>> BatchesAsync(IAsyncEnumerable<Connection> rows, int size,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var open = new Dictionary<string, List<Connection>>(StringComparer.Ordinal);
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            if (!open.TryGetValue(row.PartitionKey, out var batch))
            {
                open[row.PartitionKey] = batch = new List<Connection>(size);
            }

            batch.Add(row);
            if (batch.Count == size)
            {
                open.Remove(row.PartitionKey);
                yield return batch;
            }
        }

        foreach (var batch in open.Values)
        {
            yield return batch;
        }
    }

    private static bool IsDue(Connection connection, DateTimeOffset now, TokenOptions o) =>
        connection.AccessTokenExpiresAt is not { } expiresAt
        || expiresAt - now <= o.RenewalWindow
        || connection.LastRenewedAt is not { } renewed
        || now - renewed >= o.MaxIdle;
}
