using System.Text.Json;
using Azure.Storage.Queues;
using CreatioGoogle.LocalHost.Hosting;
using CreatioGoogle.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CreatioGoogle.Tests.LocalHost;

public sealed class QueueFunctionTests
{
    // Short waits so a retry cycle takes milliseconds, not the production 30 s.
    private static FunctionHostSettings FastQueues() => new()
    {
        RoutePrefix = "",
        Queues = new QueueSettings
        {
            VisibilityTimeout = TimeSpan.FromMilliseconds(100),
            MinPollingInterval = TimeSpan.FromMilliseconds(50),
            MaxPollingInterval = TimeSpan.FromMilliseconds(200),
        },
    };

    private static string UniqueQueue() => "lh-" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task A_json_message_is_bound_to_a_poco_and_deleted_when_the_function_succeeds()
    {
        var connection = await SharedAzurite.ConnectionStringAsync();
        var queueName = UniqueQueue();
        var probe = new QueueProbe();
        await using var host = await RunningHost.StartAsync(typeof(QueueTestFunctions), FastQueues(),
            new Dictionary<string, string?>
            {
                [LocalFunctionHost.StorageConnectionSetting] = connection,
                [QueueTestFunctions.QueueSetting] = queueName,
            },
            s => s.AddSingleton(probe));

        // Producers encode as the Functions queue extension expects by default: Base64.
        var queue = new QueueClient(connection, queueName, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        await queue.CreateIfNotExistsAsync();
        var sent = await queue.SendMessageAsync(JsonSerializer.Serialize(new SyncJob("c-1", "contacts"), JsonSerializerOptions.Web));

        var received = await probe.Received.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(new SyncJob("c-1", "contacts"), received.Job);
        Assert.Equal(sent.Value.MessageId, received.Id);
        Assert.Equal(1, received.DequeueCount);
        Assert.Equal("RunJob", received.Function);
        await WaitUntilAsync(async () => (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_message_that_always_fails_moves_to_the_poison_queue_after_max_dequeue_count()
    {
        var connection = await SharedAzurite.ConnectionStringAsync();
        var queueName = UniqueQueue();
        var probe = new QueueProbe();
        await using var host = await RunningHost.StartAsync(typeof(FailingQueueFunctions), FastQueues(),
            new Dictionary<string, string?>
            {
                [LocalFunctionHost.StorageConnectionSetting] = connection,
                [FailingQueueFunctions.QueueSetting] = queueName,
            },
            s => s.AddSingleton(probe));

        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        var queue = new QueueClient(connection, queueName, options);
        var poison = new QueueClient(connection, queueName + "-poison", options);
        await queue.CreateIfNotExistsAsync();
        await queue.SendMessageAsync("job that cannot succeed");

        await WaitUntilAsync(async () => (await poison.ExistsAsync()).Value
            && (await poison.PeekMessagesAsync(1)).Value.Length == 1, TimeSpan.FromSeconds(15));

        Assert.Equal(5, probe.Attempts);
        Assert.Equal("job that cannot succeed", probe.Body);
        Assert.Equal("job that cannot succeed", (await poison.PeekMessagesAsync(1)).Value[0].Body.ToString());
        Assert.Empty((await queue.PeekMessagesAsync(1)).Value);
        Assert.Contains(host.Log.Lines, l => l.Contains("MaxDequeueCount of 5", StringComparison.Ordinal)
            && l.Contains(queueName + "-poison", StringComparison.Ordinal));
    }

    [Fact]
    public void A_queue_function_without_a_storage_connection_fails_the_start()
    {
        var builder = RunningHost.CreateBuilder(
            new Dictionary<string, string?> { [QueueTestFunctions.QueueSetting] = "some-queue" }, new LogSink());

        var error = Assert.Throws<InvalidOperationException>(() => LocalFunctionHost.Build(
            builder, FunctionCatalog.FromTypes(typeof(QueueTestFunctions)), new FunctionHostSettings()));

        Assert.Contains("'RunJob'", error.Message, StringComparison.Ordinal);
        Assert.Contains(LocalFunctionHost.StorageConnectionSetting, error.Message, StringComparison.Ordinal);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"Condition not met within {timeout}.");
            }

            await Task.Delay(100);
        }
    }
}
