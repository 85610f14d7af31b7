using CreatioGoogle.Broker.Http;
using CreatioGoogle.Broker.Sync;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace CreatioGoogle.Functions.Sync;

/// <summary>The sync fan-out: a timer queues due jobs, a queue trigger runs each, Creatio can ask for one now.</summary>
public sealed class SyncFunctions(SyncScheduler scheduler, SyncRunner runner, SyncApi api)
{
    [Function("ScheduleSyncs")]
    public Task ScheduleSyncs([TimerTrigger("%ScheduleSyncsSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        scheduler.ScheduleDueAsync(cancellationToken);

    [Function("RunSync")]
    public Task RunSync([QueueTrigger("%SyncQueueName%", Connection = "AzureWebJobsStorage")] SyncJob job, CancellationToken cancellationToken) =>
        runner.RunAsync(job, cancellationToken);

    [Function("SyncNow")]
    public Task<IActionResult> SyncNow(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/connections/{id}/sync")] HttpRequest request,
        string id, CancellationToken cancellationToken) =>
        api.SyncNowAsync(request, id, cancellationToken);
}
