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

/// <summary>
/// One feature's sync (contacts, calendar, mail), run by <see cref="SyncRunner"/> for a queued job. To add a feature:
/// <list type="number">
/// <item>a state class for its cursor positions (read with <c>context.Cursor.ReadState&lt;T&gt;()</c>; the engine writes it back last);</item>
/// <item>two <see cref="ISyncSide{TSelf, TOther}"/> adapters, one over its Google API client (made with
/// <see cref="Google.GoogleApiServiceCollectionExtensions.AddGoogleApiClient{TClient}"/>) and one over Creatio, each mapping
/// the other's item into its own and hashing the mapped fields the same way;</item>
/// <item>this interface, whose <see cref="SyncAsync"/> builds both adapters for the run and calls
/// <see cref="SyncEngine.RunAsync{TState, TGoogle, TCreatio}"/> with the feature's <see cref="SyncPolicy"/>
/// (<see cref="SyncDirection.GoogleToCreatio"/> for an import);</item>
/// <item>a registration: <c>services.AddSingleton&lt;ISyncFeature, TheFeature&gt;()</c>, and the scope in <see cref="Google.Features"/>.</item>
/// </list>
/// Links live in the <c>links</c> table under the feature's name; no new table or cursor column is needed. The
/// crash-at-every-write test (tests' <c>CrashAtEveryWrite</c>) runs on the feature's own test world.
/// </summary>
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
