using Azure;
using CreatioGoogle.Broker.Storage;

namespace CreatioGoogle.Broker.Connections;

public enum ConsumeOutcome
{
    /// <summary>First use, within its lifetime.</summary>
    Consumed,

    /// <summary>No such state was ever issued (forged, mistyped, or swept long ago).</summary>
    Unknown,

    /// <summary>The state was already used once: a replay (or a double-click).</summary>
    Replayed,

    /// <summary>The state was issued but its 10 minutes are over.</summary>
    Expired,
}

/// <summary>Pending authorizations (<c>authstates</c>): issued once, used once, expiring.</summary>
public sealed class PendingAuthorizationStore(BrokerTables tables, TimeProvider clock)
{
    public async Task AddAsync(PendingAuthorization pending, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.AuthStates, cancellationToken);
        await table.AddEntityAsync(pending, cancellationToken);
    }

    /// <summary>
    /// Marks the state used with an ETag-conditional write, so of two concurrent callbacks with the same
    /// state exactly one gets <see cref="ConsumeOutcome.Consumed"/>.
    /// </summary>
    public async Task<(ConsumeOutcome Outcome, PendingAuthorization? Pending)> ConsumeAsync(string state, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.AuthStates, cancellationToken);
        var (partitionKey, rowKey) = PendingAuthorization.KeysFor(state);
        var found = await table.GetEntityIfExistsAsync<PendingAuthorization>(partitionKey, rowKey, cancellationToken: cancellationToken);
        if (!found.HasValue || found.Value is null)
        {
            return (ConsumeOutcome.Unknown, null);
        }

        var pending = found.Value;
        if (pending.ConsumedAt is not null)
        {
            return (ConsumeOutcome.Replayed, pending);
        }

        var now = clock.GetUtcNow();
        pending.ConsumedAt = now;
        try
        {
            await table.UpdateEntityAsync(pending, pending.ETag, Azure.Data.Tables.TableUpdateMode.Replace, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return (ConsumeOutcome.Replayed, pending);
        }

        return (pending.ExpiresAt <= now ? ConsumeOutcome.Expired : ConsumeOutcome.Consumed, pending);
    }

    /// <summary>Deletes rows whose lifetime ended more than a day ago (keeps replays recognisable for a day).</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.AuthStates, cancellationToken);
        var cutoff = clock.GetUtcNow().AddDays(-1);
        var deleted = 0;
        await foreach (var row in table.QueryAsync<PendingAuthorization>(
                           Azure.Data.Tables.TableClient.CreateQueryFilter($"ExpiresAt lt {cutoff}"),
                           select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            await table.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken);
            deleted++;
        }

        return deleted;
    }
}
