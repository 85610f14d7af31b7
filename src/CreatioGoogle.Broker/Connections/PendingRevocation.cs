using System.Runtime.Serialization;
using Azure;
using Azure.Data.Tables;
using CreatioGoogle.Broker.Storage;

namespace CreatioGoogle.Broker.Connections;

/// <summary>Why the broker gives a Google grant back.</summary>
public static class RevocationReasons
{
    /// <summary>Creatio disconnected the user.</summary>
    public const string Disconnected = "disconnected";

    /// <summary>The user signed in with another account than the connected one, and switching was not allowed.</summary>
    public const string AccountSwitchRefused = "account_switch_refused";

    /// <summary>The user switched accounts: the old account's grant is no longer used.</summary>
    public const string AccountReplaced = "account_replaced";

    /// <summary>Google's answer about who signed in did not verify, or could not be checked: nothing was stored.</summary>
    public const string IdentityNotVerified = "identity_not_verified";

    /// <summary>The grant came without the offline access the broker needs: nothing was stored.</summary>
    public const string NoOfflineAccess = "no_offline_access";

    /// <summary>The new connection could not be stored (storage failing).</summary>
    public const string NotStored = "not_stored";
}

/// <summary>
/// A Google grant the broker gave up but Google did not confirm revoking: a row of <c>revocations</c>
/// (partition = tenant, row = revocation id) with the token encrypted, retried by the renewal timer until Google
/// revokes it or no longer knows it. While it exists the status API shows it, so no live grant is left behind silently.
/// </summary>
public sealed class PendingRevocation : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    [IgnoreDataMember]
    public string TenantId => PartitionKey;
    [IgnoreDataMember]
    public string RevocationId => RowKey;

    /// <summary>The connection the grant belonged to or was meant for (it may be gone: a disconnect deletes it).</summary>
    public string ConnectionId { get; set; } = "";
    public string CreatioUserId { get; set; } = "";
    public string GoogleEmail { get; set; } = "";

    /// <summary>One of <see cref="RevocationReasons"/>.</summary>
    public string Reason { get; set; } = "";

    public string TokenCiphertext { get; set; } = "";
    public string TokenKeyVersion { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset? LastAttemptAt { get; set; }

    /// <summary>What Google (or the network) answered last, e.g. <c>400 invalid_request</c>. Never a token.</summary>
    public string? LastError { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }

    [IgnoreDataMember]
    public string TokenAssociatedData => $"revocation/{TenantId}/{RevocationId}/token";
}

/// <summary>The <c>revocations</c> table.</summary>
public sealed class PendingRevocationStore(BrokerTables tables)
{
    public async Task AddAsync(PendingRevocation revocation, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Revocations, cancellationToken);
        var response = await table.AddEntityAsync(revocation, cancellationToken);
        revocation.ETag = response.Headers.ETag ?? default;
    }

    /// <summary>The tenant's pending revocations, of one connection when given; oldest first.</summary>
    public async Task<IReadOnlyList<PendingRevocation>> ListAsync(string tenantId, string? connectionId, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Revocations, cancellationToken);
        var filter = connectionId is null
            ? TableClient.CreateQueryFilter($"PartitionKey eq {tenantId}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {tenantId} and ConnectionId eq {connectionId}");
        var result = new List<PendingRevocation>();
        await foreach (var row in table.QueryAsync<PendingRevocation>(filter, cancellationToken: cancellationToken))
        {
            result.Add(row);
        }

        return result.OrderBy(r => r.CreatedAt).ToList();
    }

    /// <summary>Every tenant's revocations due for another attempt.</summary>
    public async IAsyncEnumerable<PendingRevocation> DueAsync(DateTimeOffset now,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Revocations, cancellationToken);
        await foreach (var row in table.QueryAsync<PendingRevocation>(TableClient.CreateQueryFilter($"NextAttemptAt le {now}"),
                           cancellationToken: cancellationToken))
        {
            yield return row;
        }
    }

    /// <summary>Saves the outcome of an attempt; false when another run changed the row meanwhile (its write stands).</summary>
    public async Task<bool> UpdateAsync(PendingRevocation revocation, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Revocations, cancellationToken);
        try
        {
            var response = await table.UpdateEntityAsync(revocation, revocation.ETag, TableUpdateMode.Replace, cancellationToken);
            revocation.ETag = response.Headers.ETag ?? default;
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }
    }

    public async Task DeleteAsync(PendingRevocation revocation, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Revocations, cancellationToken);
        try
        {
            await table.DeleteEntityAsync(revocation.PartitionKey, revocation.RowKey, ETag.All, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Already done by another run.
        }
    }
}
