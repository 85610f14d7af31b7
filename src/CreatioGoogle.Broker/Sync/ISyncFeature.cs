using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Tenants;

namespace CreatioGoogle.Broker.Sync;

/// <summary>What a run hands to a feature's sync: whose data, where it stands, and a way to keep the lease.</summary>
public sealed class SyncContext(Tenant tenant, Connection connection, Cursor cursor, Func<CancellationToken, Task> renewLease)
{
    public Tenant Tenant { get; } = tenant;
    public Connection Connection { get; } = connection;

    /// <summary>The cursor as the last successful run left it; the feature sets the new values on it.</summary>
    public Cursor Cursor { get; } = cursor;

    /// <summary>Call between pages and write batches of a run so the job's lease does not run out (cheap: it writes only when due).</summary>
    public Task RenewLeaseAsync(CancellationToken cancellationToken) => renewLease(cancellationToken);
}

/// <summary>One feature's two-way sync (contacts, calendar, mail).</summary>
public interface ISyncFeature
{
    /// <summary>The feature name, as in <see cref="Google.Features"/>.</summary>
    string Feature { get; }

    /// <summary>
    /// Pulls both sides' changes, reconciles, writes both sides, and updates <see cref="SyncContext.Cursor"/>
    /// in memory. The runner saves the cursor after this returns, never before.
    /// </summary>
    Task<string> SyncAsync(SyncContext context, CancellationToken cancellationToken);
}
