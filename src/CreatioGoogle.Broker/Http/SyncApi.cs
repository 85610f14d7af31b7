using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Sync;
using CreatioGoogle.Broker.Tenants;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace CreatioGoogle.Broker.Http;

/// <summary><c>POST /api/connections/{id}/sync[?feature=contacts]</c>: Creatio asks for a sync now.</summary>
public sealed class SyncApi(TenantAuthenticator authenticator, ConnectionStore connections, SyncQueue queue,
    IEnumerable<ISyncFeature> features, TimeProvider clock)
{
    public Task<IActionResult> SyncNowAsync(HttpRequest request, string connectionId, CancellationToken cancellationToken) =>
        authenticator.ForTenantAsync(request, tenant => SyncNowAsync(tenant, request, connectionId, cancellationToken), cancellationToken);

    private async Task<IActionResult> SyncNowAsync(Tenant tenant, HttpRequest request, string connectionId, CancellationToken cancellationToken)
    {
        var connection = await connections.GetAsync(tenant.Id, connectionId, cancellationToken);
        if (connection is null)
        {
            return ApiProblem.NotFound("connection");
        }

        if (connection.Status == ConnectionStatus.ReconnectNeeded)
        {
            return ApiProblem.Create(409, "The connection needs reconnecting.",
                "Google no longer accepts this connection's grant; the user must connect again before it can sync.");
        }

        var syncable = features.Select(f => f.Feature).ToHashSet(StringComparer.Ordinal);
        var wanted = request.Query["feature"].ToString() is { Length: > 0 } only ? [only] : connection.Features.ToList();
        var unavailable = wanted.Where(f => !syncable.Contains(f) || !connection.Features.Contains(f) || connection.Missing.Contains(f)).ToList();
        if (unavailable.Count > 0)
        {
            return ApiProblem.Create(400, "Feature not syncable.",
                $"Not syncable for this connection: {string.Join(", ", unavailable)} (not connected, scope not granted, or no sync for it).");
        }

        var jobs = new List<SyncJob>();
        foreach (var feature in wanted)
        {
            var job = new SyncJob(tenant.Id, connection.ConnectionId, feature, clock.GetUtcNow(), "requested");
            await queue.EnqueueAsync(job, null, cancellationToken);
            jobs.Add(job);
        }

        return new ObjectResult(new { jobs = jobs.Select(j => new { j.JobId, j.Feature }) }) { StatusCode = StatusCodes.Status202Accepted };
    }
}
