using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Google;
using CreatioGoogle.Broker.OAuth;
using CreatioGoogle.Broker.Sync;
using CreatioGoogle.Broker.Tenants;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace CreatioGoogle.Broker.Http;

/// <summary>A feature that a sync request left out, and why.</summary>
public sealed record SkippedFeature(string Feature, string Reason);

/// <summary>What a sync-now request came to.</summary>
public abstract record SyncNowResult
{
    private SyncNowResult()
    {
    }

    public sealed record Queued(IReadOnlyList<SyncJob> Jobs, IReadOnlyList<SkippedFeature> Skipped) : SyncNowResult;

    public sealed record NotFound : SyncNowResult;

    public sealed record ReconnectNeeded(Connection Connection, ConnectStarted Reconnect) : SyncNowResult;

    /// <summary>The one feature asked for cannot sync for this connection.</summary>
    public sealed record NotSyncable(SkippedFeature Feature) : SyncNowResult;
}

/// <summary>
/// <c>POST /api/connections/{id}/sync[?feature=contacts]</c>: Creatio asks for a sync now. Without a feature, every
/// feature of the connection that can sync is queued and the others are listed with the reason; a feature asked for
/// by name that cannot sync is a 400.
/// </summary>
public sealed class SyncApi(TenantAuthenticator authenticator, ConnectionStore connections, SyncQueue queue,
    IEnumerable<ISyncFeature> features, ConnectFlow connectFlow, TimeProvider clock)
{
    private readonly HashSet<string> _syncable = features.Select(f => f.Feature).ToHashSet(StringComparer.Ordinal);

    public Task<IActionResult> SyncNowAsync(HttpRequest request, string connectionId, CancellationToken cancellationToken) =>
        authenticator.ForConnectionAsync(request, connectionId, async tenant =>
        {
            var feature = request.Query["feature"].ToString();
            if (feature.Length > 0 && !Features.IsKnown(feature))
            {
                return ApiProblem.Invalid("feature", $"One of: {string.Join(", ", Features.All)}; or leave it out to sync every feature that can.");
            }

            return await SyncNowAsync(tenant, connectionId, feature.Length > 0 ? feature : null, "requested", cancellationToken) switch
            {
                SyncNowResult.Queued queued => new ObjectResult(new
                {
                    jobs = queued.Jobs.Select(j => new { j.JobId, j.Feature }),
                    skipped = queued.Skipped,
                }) { StatusCode = StatusCodes.Status202Accepted },
                SyncNowResult.ReconnectNeeded reconnect => ApiProblem.ReconnectNeeded(reconnect.Connection, reconnect.Reconnect),
                SyncNowResult.NotSyncable not => ApiProblem.Create(400, "Feature not syncable.",
                    $"{not.Feature.Feature} cannot sync for this connection: {not.Feature.Reason}.",
                    new Dictionary<string, object?> { ["feature"] = not.Feature.Feature, ["reason"] = not.Feature.Reason }),
                _ => ApiProblem.NotFound("connection"),
            };
        }, cancellationToken);

    /// <summary>Queues the sync of one feature (or of every feature that can sync, when <paramref name="feature"/> is null).</summary>
    public async Task<SyncNowResult> SyncNowAsync(Tenant tenant, string connectionId, string? feature, string reason,
        CancellationToken cancellationToken)
    {
        var connection = await connections.GetAsync(tenant.Id, connectionId, cancellationToken);
        if (connection is null)
        {
            return new SyncNowResult.NotFound();
        }

        if (connection.Status == ConnectionStatus.ReconnectNeeded)
        {
            return new SyncNowResult.ReconnectNeeded(connection, await connectFlow.ReconnectAsync(tenant, connection, cancellationToken));
        }

        var skipped = new List<SkippedFeature>();
        var wanted = new List<string>();
        foreach (var candidate in feature is null ? connection.Features : [feature])
        {
            if (WhyNotSyncable(connection, candidate) is { } why)
            {
                skipped.Add(new SkippedFeature(candidate, why));
            }
            else
            {
                wanted.Add(candidate);
            }
        }

        if (feature is not null && skipped.Count > 0)
        {
            return new SyncNowResult.NotSyncable(skipped[0]);
        }

        var jobs = new List<SyncJob>();
        foreach (var name in wanted)
        {
            var job = new SyncJob(tenant.Id, connection.ConnectionId, name, clock.GetUtcNow(), reason);
            await queue.EnqueueAsync(job, null, cancellationToken);
            jobs.Add(job);
        }

        return new SyncNowResult.Queued(jobs, skipped);
    }

    private string? WhyNotSyncable(Connection connection, string feature) =>
        !connection.Features.Contains(feature) ? "not requested when the user connected"
        : connection.Missing.Contains(feature) ? "the user did not grant its Google access"
        : !_syncable.Contains(feature) ? "the broker has no sync for this feature"
        : null;
}
