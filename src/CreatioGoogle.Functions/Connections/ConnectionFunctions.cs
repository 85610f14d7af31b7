using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace CreatioGoogle.Functions.Connections;

/// <summary>Creatio reads a connection's status, lists a user's connections, disconnects; status callbacks go out.</summary>
public sealed class ConnectionFunctions(ConnectionsApi api, StatusCallbackDelivery callbacks)
{
    [Function("GetConnection")]
    public Task<IActionResult> GetConnection(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/connections/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        api.GetConnectionAsync(request, id, cancellationToken);

    [Function("ListConnections")]
    public Task<IActionResult> ListConnections(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/connections")] HttpRequest request,
        CancellationToken cancellationToken) =>
        api.ListConnectionsAsync(request, cancellationToken);

    /// <summary>Google grants given up but not yet confirmed revoked by Google (retried by RenewTokens).</summary>
    [Function("ListPendingRevocations")]
    public Task<IActionResult> ListPendingRevocations(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/revocations")] HttpRequest request,
        CancellationToken cancellationToken) =>
        api.ListPendingRevocationsAsync(request, cancellationToken);

    [Function("DeleteConnection")]
    public Task<IActionResult> DeleteConnection(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/connections/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        api.DeleteConnectionAsync(request, id, cancellationToken);

    /// <summary>A failure throws, so the queue retries; after host.json's maxDequeueCount (5) the message goes to the poison queue.</summary>
    [Function("DeliverStatusCallback")]
    public Task DeliverStatusCallback(
        [QueueTrigger("%" + StatusCallbackQueue.QueueNameSetting + "%")] string message,
        CancellationToken cancellationToken) =>
        callbacks.DeliverAsync(message, cancellationToken);
}
