using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace CreatioGoogle.LocalHost.Hosting;

/// <summary>
/// Polls one queue for one function, with the storage extension's semantics: a batch at a time, a failed
/// message retried after the visibility timeout, and after maxDequeueCount attempts moved to
/// "&lt;queue&gt;-poison" with the reason logged.
/// </summary>
internal sealed class QueueFunctionService(
    FunctionInvoker<QueueMessage> invoker,
    QueueClient queue,
    QueueClient poisonQueue,
    QueueSettings settings,
    IServiceScopeFactory scopes,
    TimeProvider time,
    ILoggerFactory loggers) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger($"Function.{invoker.Function.Name}");

    public string FunctionName => invoker.Function.Name;

    public string QueueName => queue.Name;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // let the host finish starting
        var delay = settings.MinPollingInterval;
        var created = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            QueueMessage[] messages;
            try
            {
                if (!created)
                {
                    await queue.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
                    await poisonQueue.CreateIfNotExistsAsync(cancellationToken: stoppingToken);
                    created = true;
                    LogMessages.QueueListening(_logger, FunctionName, queue.Name);
                }

                messages = (await queue.ReceiveMessagesAsync(settings.BatchSize, settings.ProcessingVisibilityTimeout, stoppingToken)).Value;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is RequestFailedException or HttpRequestException or AggregateException)
            {
                // Storage (Azurite) not up yet or gone: keep the host running and try again after the back-off.
                LogMessages.QueueUnreachable(_logger, e, FunctionName, queue.Name);
                messages = [];
                delay = settings.MaxPollingInterval;
            }

            if (messages.Length == 0)
            {
                try
                {
                    await Task.Delay(delay, time, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }

                // Back off while the queue stays empty, up to the maximum polling interval.
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, settings.MaxPollingInterval.Ticks));
                continue;
            }

            delay = settings.MinPollingInterval;
            await Task.WhenAll(messages.Select(m => ProcessAsync(m, stoppingToken)));
        }
    }

    private async Task ProcessAsync(QueueMessage message, CancellationToken stoppingToken)
    {
        try
        {
            if (message.DequeueCount > settings.MaxDequeueCount)
            {
                // Dequeued more often than allowed without a verdict (the host stopped mid-run): do not run it again.
                await MoveToPoisonAsync(message, $"dequeued {message.DequeueCount} times without completing", stoppingToken);
                return;
            }

            await using var scope = scopes.CreateAsyncScope();
            var context = new LocalFunctionContext(invoker.Function, scope.ServiceProvider, BindingData(message), stoppingToken);
            try
            {
                LogMessages.Executing(_logger, FunctionName,
                    $"New queue message detected on '{queue.Name}'.", context.InvocationId);
                await invoker.InvokeAsync(message, context);
                LogMessages.Executed(_logger, FunctionName, context.InvocationId);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping: give the message back at once rather than after the processing timeout.
                await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: CancellationToken.None);
                return;
            }
            catch (Exception e)
            {
                LogMessages.Failed(_logger, e, FunctionName, context.InvocationId);
                if (message.DequeueCount >= settings.MaxDequeueCount)
                {
                    await MoveToPoisonAsync(message, $"the function failed on each of {message.DequeueCount} attempts, last with {e.GetType().Name}", stoppingToken);
                }
                else
                {
                    LogMessages.MessageRetry(_logger, message.MessageId, queue.Name, message.DequeueCount, settings.MaxDequeueCount, settings.VisibilityTimeout);
                    await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: settings.VisibilityTimeout, cancellationToken: stoppingToken);
                }

                return;
            }

            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, stoppingToken);
        }
        catch (Exception e) when (e is RequestFailedException or HttpRequestException or OperationCanceledException)
        {
            // The message could not be deleted, updated or poisoned (storage gone, host stopping, receipt expired):
            // it reappears after its visibility timeout and is tried again, which is the at-least-once contract.
            LogMessages.MessageSettleFailed(_logger, e, message.MessageId, queue.Name);
        }
    }

    private async Task MoveToPoisonAsync(QueueMessage message, string reason, CancellationToken cancellationToken)
    {
        LogMessages.MessagePoisoned(_logger, message.MessageId, settings.MaxDequeueCount, reason, poisonQueue.Name);
        await poisonQueue.SendMessageAsync(message.Body, cancellationToken: cancellationToken);
        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
    }

    private static Dictionary<string, object?> BindingData(QueueMessage message) => new(StringComparer.OrdinalIgnoreCase)
    {
        ["Id"] = message.MessageId,
        ["DequeueCount"] = message.DequeueCount,
        ["InsertionTime"] = message.InsertedOn,
        ["ExpirationTime"] = message.ExpiresOn,
        ["NextVisibleTime"] = message.NextVisibleOn,
        ["PopReceipt"] = message.PopReceipt,
    };

    /// <summary>
    /// The trigger parameter binds as string, BinaryData, byte[], QueueMessage or a POCO from JSON (web
    /// defaults); the message's metadata binds by name (id, dequeueCount, insertionTime, ...), as in Functions.
    /// </summary>
    public static FunctionInvoker<QueueMessage> CreateInvoker(QueueFunctionDescriptor function) =>
        FunctionInvoker<QueueMessage>.Create(function, parameter =>
        {
            var type = parameter.ParameterType;
            if (parameter.Position == function.TriggerParameter.Position)
            {
                return type == typeof(QueueMessage) ? (m, _) => ValueTask.FromResult<object?>(m)
                    : type == typeof(string) ? (m, _) => ValueTask.FromResult<object?>(m.Body.ToString())
                    : type == typeof(BinaryData) ? (m, _) => ValueTask.FromResult<object?>(m.Body)
                    : type == typeof(byte[]) ? (m, _) => ValueTask.FromResult<object?>(m.Body.ToArray())
                    : type.IsClass || type.IsValueType && !type.IsPrimitive ? (m, _) => ValueTask.FromResult(Deserialize(m, type))
                    : null;
            }

            return parameter.Name?.ToLowerInvariant() switch
            {
                "id" or "messageid" when type == typeof(string) => (m, _) => ValueTask.FromResult<object?>(m.MessageId),
                "popreceipt" when type == typeof(string) => (m, _) => ValueTask.FromResult<object?>(m.PopReceipt),
                "dequeuecount" when type == typeof(long) => (m, _) => ValueTask.FromResult<object?>(m.DequeueCount),
                "dequeuecount" when type == typeof(int) => (m, _) => ValueTask.FromResult<object?>(checked((int)m.DequeueCount)),
                "insertiontime" when type == typeof(DateTimeOffset?) || type == typeof(DateTimeOffset) => (m, _) => ValueTask.FromResult<object?>(m.InsertedOn),
                "expirationtime" when type == typeof(DateTimeOffset?) || type == typeof(DateTimeOffset) => (m, _) => ValueTask.FromResult<object?>(m.ExpiresOn),
                "nextvisibletime" when type == typeof(DateTimeOffset?) || type == typeof(DateTimeOffset) => (m, _) => ValueTask.FromResult<object?>(m.NextVisibleOn),
                _ => null,
            };
        });

    private static object? Deserialize(QueueMessage message, Type type)
    {
        try
        {
            return JsonSerializer.Deserialize(message.Body.ToMemory().Span, type, JsonSerializerOptions.Web)
                ?? throw new FunctionBindingException($"Message {message.MessageId} is JSON null, not a {type.Name}.");
        }
        catch (JsonException)
        {
            throw new FunctionBindingException(
                string.Create(CultureInfo.InvariantCulture, $"Message {message.MessageId} is not valid JSON for {type.Name}."));
        }
    }
}
