using System.Text.Json;
using Azure.Storage.Queues;
using CreatioGoogle.Broker.Storage;

namespace CreatioGoogle.Broker.Sync;

/// <summary>Puts sync jobs on the <c>sync-jobs</c> queue that <c>RunSync</c> listens on.</summary>
public sealed class SyncQueue(StorageAccount account, Microsoft.Extensions.Configuration.IConfiguration configuration)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Lazy<Task<QueueClient>> _queue = new(async () =>
    {
        var client = account.CreateQueueServiceClient().GetQueueClient(configuration[SyncOptions.QueueNameSetting] ?? SyncOptions.DefaultQueueName);
        await client.CreateIfNotExistsAsync();
        return client;
    });

    public async Task EnqueueAsync(SyncJob job, TimeSpan? delay, CancellationToken cancellationToken)
    {
        var queue = await _queue.Value.WaitAsync(cancellationToken);
        await queue.SendMessageAsync(JsonSerializer.Serialize(job, Json), delay, cancellationToken: cancellationToken);
    }

    public static SyncJob? Parse(string message) => JsonSerializer.Deserialize<SyncJob>(message, Json);
}
