using Azure;
using Azure.Data.Tables;
using CreatioGoogle.Broker.Storage;
using CreatioGoogle.Broker.Tokens;

namespace CreatioGoogle.Broker.Connections;

/// <summary>Reads and writes the <c>connections</c> table; the only place tokens are encrypted or decrypted.</summary>
public sealed class ConnectionStore(BrokerTables tables, TokenProtector protector)
{
    private const string RefreshTokenColumn = "refresh_token";
    private const string AccessTokenColumn = "access_token";

    public async Task<Connection?> GetAsync(string tenantId, string connectionId, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Connections, cancellationToken);
        var response = await table.GetEntityIfExistsAsync<Connection>(tenantId, connectionId, cancellationToken: cancellationToken);
        return response.HasValue ? response.Value : null;
    }

    public async Task<IReadOnlyList<Connection>> ListAsync(string tenantId, string? creatioUserId, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Connections, cancellationToken);
        var filter = creatioUserId is null
            ? TableClient.CreateQueryFilter($"PartitionKey eq {tenantId}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {tenantId} and CreatioUserId eq {creatioUserId}");
        var result = new List<Connection>();
        await foreach (var connection in table.QueryAsync<Connection>(filter, cancellationToken: cancellationToken))
        {
            result.Add(connection);
        }

        return result;
    }

    /// <summary>Every connection of every tenant matching an OData filter (the renewal timer's scan).</summary>
    public async IAsyncEnumerable<Connection> QueryAsync(string filter,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Connections, cancellationToken);
        await foreach (var connection in table.QueryAsync<Connection>(filter, cancellationToken: cancellationToken))
        {
            yield return connection;
        }
    }

    /// <summary>Creates the row, or replaces it when <paramref name="connection"/> carries the ETag read before.</summary>
    public async Task SaveAsync(Connection connection, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Connections, cancellationToken);
        var response = connection.ETag == default
            ? await table.AddEntityAsync(connection, cancellationToken)
            : await table.UpdateEntityAsync(connection, connection.ETag, TableUpdateMode.Replace, cancellationToken);
        connection.ETag = response.Headers.ETag ?? default;
    }

    /// <summary>
    /// Replaces rows of one partition in one table transaction, each If-Match on its ETag: all or none are written.
    /// False when a row changed meanwhile (nothing was written). At most 100 rows (the transaction limit).
    /// </summary>
    public async Task<bool> SaveBatchAsync(IReadOnlyList<Connection> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return true;
        }

        var table = await tables.GetAsync(BrokerTables.Connections, cancellationToken);
        try
        {
            var response = await table.SubmitTransactionAsync(
                batch.Select(c => new TableTransactionAction(TableTransactionActionType.UpdateReplace, c, c.ETag)), cancellationToken);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].ETag = response.Value[i].Headers.ETag ?? default;
            }

            return true;
        }
        catch (TableTransactionFailedException e) when (e.Status is 412 or 404 or 409)
        {
            return false;
        }
    }

    public async Task DeleteAsync(string tenantId, string connectionId, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(BrokerTables.Connections, cancellationToken);
        await table.DeleteEntityAsync(tenantId, connectionId, ETag.All, cancellationToken);
    }

    /// <summary>
    /// Deletes the connection's sync state: its partitions (partition = connection id) of <c>cursors</c> and
    /// <c>links</c>. Safe to repeat; batches of 100 (the table transaction limit) keep it to few calls.
    /// </summary>
    public async Task DeleteSyncStateAsync(string connectionId, CancellationToken cancellationToken)
    {
        foreach (var name in (string[])[BrokerTables.Cursors, BrokerTables.Links])
        {
            var table = await tables.GetAsync(name, cancellationToken);
            var batch = new List<TableTransactionAction>();
            await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {connectionId}"),
                               select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
            {
                batch.Add(new TableTransactionAction(TableTransactionActionType.Delete, row, ETag.All));
                if (batch.Count == 100)
                {
                    await DeleteRowsAsync(table, batch, cancellationToken);
                    batch.Clear();
                }
            }

            if (batch.Count > 0)
            {
                await DeleteRowsAsync(table, batch, cancellationToken);
            }
        }
    }

    /// <summary>
    /// One transaction for the rows; when one of them is gone already (a concurrent disconnect deleted it, and a
    /// transaction fails whole) each row is deleted on its own, a missing one counting as deleted.
    /// </summary>
    private static async Task DeleteRowsAsync(TableClient table, List<TableTransactionAction> batch, CancellationToken cancellationToken)
    {
        try
        {
            await table.SubmitTransactionAsync(batch, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            foreach (var action in batch)
            {
                try
                {
                    await table.DeleteEntityAsync(action.Entity.PartitionKey, action.Entity.RowKey, ETag.All, cancellationToken);
                }
                catch (RequestFailedException gone) when (gone.Status == 404)
                {
                    // Deleted by the other call.
                }
            }
        }
    }

    /// <summary>
    /// Puts new tokens on the row (not yet saved). A null refresh token keeps the stored one: Google does not
    /// send a refresh token on every response, and dropping it would lose the connection.
    /// </summary>
    public async Task SetTokensAsync(Connection connection, string? refreshToken, string accessToken,
        DateTimeOffset accessTokenExpiresAt, CancellationToken cancellationToken)
    {
        if (refreshToken is not null)
        {
            var protectedRefresh = await protector.ProtectAsync(refreshToken, connection.AssociatedData(RefreshTokenColumn), cancellationToken);
            connection.RefreshTokenCiphertext = protectedRefresh.Ciphertext;
            connection.RefreshTokenKeyVersion = protectedRefresh.KeyVersion;
        }

        var protectedAccess = await protector.ProtectAsync(accessToken, connection.AssociatedData(AccessTokenColumn), cancellationToken);
        connection.AccessTokenCiphertext = protectedAccess.Ciphertext;
        connection.AccessTokenKeyVersion = protectedAccess.KeyVersion;
        connection.AccessTokenExpiresAt = accessTokenExpiresAt;
    }

    public Task<string?> ReadRefreshTokenAsync(Connection connection, CancellationToken cancellationToken) =>
        ReadAsync(connection.RefreshTokenCiphertext, connection.RefreshTokenKeyVersion, connection.AssociatedData(RefreshTokenColumn), cancellationToken);

    public Task<string?> ReadAccessTokenAsync(Connection connection, CancellationToken cancellationToken) =>
        ReadAsync(connection.AccessTokenCiphertext, connection.AccessTokenKeyVersion, connection.AssociatedData(AccessTokenColumn), cancellationToken);

    /// <summary>True when a token on the row was encrypted under a key version other than the current one.</summary>
    public async Task<bool> NeedsReencryptionAsync(Connection connection, CancellationToken cancellationToken)
    {
        var current = await protector.CurrentKeyVersionAsync(cancellationToken);
        return (connection.RefreshTokenKeyVersion is { } r && r != current)
            || (connection.AccessTokenKeyVersion is { } a && a != current);
    }

    /// <summary>
    /// Encrypts the row's tokens again under the current key (not saved). Old key versions can be retired once
    /// every row went through this or through a refresh.
    /// </summary>
    public async Task ReencryptAsync(Connection connection, CancellationToken cancellationToken)
    {
        if (await ReadRefreshTokenAsync(connection, cancellationToken) is { } refreshToken)
        {
            var value = await protector.ProtectAsync(refreshToken, connection.AssociatedData(RefreshTokenColumn), cancellationToken);
            connection.RefreshTokenCiphertext = value.Ciphertext;
            connection.RefreshTokenKeyVersion = value.KeyVersion;
        }

        if (await ReadAccessTokenAsync(connection, cancellationToken) is { } accessToken)
        {
            var value = await protector.ProtectAsync(accessToken, connection.AssociatedData(AccessTokenColumn), cancellationToken);
            connection.AccessTokenCiphertext = value.Ciphertext;
            connection.AccessTokenKeyVersion = value.KeyVersion;
        }
    }

    private async Task<string?> ReadAsync(string? ciphertext, string? keyVersion, string associatedData, CancellationToken cancellationToken) =>
        ciphertext is null || keyVersion is null
            ? null
            : await protector.UnprotectAsync(new ProtectedValue(ciphertext, keyVersion), associatedData, cancellationToken);
}
