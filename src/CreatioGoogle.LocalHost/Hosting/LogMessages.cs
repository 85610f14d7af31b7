namespace CreatioGoogle.LocalHost.Hosting;

/// <summary>The local host's log lines, worded like the Functions host's so logs read the same under <c>func start</c>.</summary>
internal static partial class LogMessages
{
    [LoggerMessage(1, LogLevel.Information, "Executing 'Functions.{Function}' (Reason='{Reason}', Id={InvocationId})")]
    public static partial void Executing(ILogger logger, string function, string reason, string invocationId);

    [LoggerMessage(2, LogLevel.Information, "Executed 'Functions.{Function}' (Succeeded, Id={InvocationId})")]
    public static partial void Executed(ILogger logger, string function, string invocationId);

    [LoggerMessage(3, LogLevel.Error, "Executed 'Functions.{Function}' (Failed, Id={InvocationId})")]
    public static partial void Failed(ILogger logger, Exception exception, string function, string invocationId);

    [LoggerMessage(4, LogLevel.Warning, "Could not bind 'Functions.{Function}' (Id={InvocationId}): {Reason}")]
    public static partial void BindingFailed(ILogger logger, string function, string invocationId, string reason);

    [LoggerMessage(5, LogLevel.Debug, "'Functions.{Function}' (Id={InvocationId}) stopped: the caller went away")]
    public static partial void Aborted(ILogger logger, string function, string invocationId);

    [LoggerMessage(10, LogLevel.Information, "Timer function '{Function}' scheduled '{Schedule}'; next run at {Next:O}")]
    public static partial void TimerScheduled(ILogger logger, string function, string schedule, DateTimeOffset? next);

    [LoggerMessage(11, LogLevel.Warning, "Timer function '{Function}' has no further occurrences of '{Schedule}'")]
    public static partial void TimerExhausted(ILogger logger, string function, string schedule);

    [LoggerMessage(20, LogLevel.Information, "Queue function '{Function}' listening on queue '{Queue}'")]
    public static partial void QueueListening(ILogger logger, string function, string queue);

    [LoggerMessage(21, LogLevel.Warning, "Queue '{Queue}' of function '{Function}' is not reachable; retrying")]
    public static partial void QueueUnreachable(ILogger logger, Exception exception, string function, string queue);

    [LoggerMessage(22, LogLevel.Warning, "Message {MessageId} of queue '{Queue}' failed (attempt {Attempt} of {MaxAttempts}); it becomes visible again in {Delay}")]
    public static partial void MessageRetry(ILogger logger, string messageId, string queue, long attempt, int maxAttempts, TimeSpan delay);

    [LoggerMessage(23, LogLevel.Error, "Message {MessageId} has reached MaxDequeueCount of {MaxAttempts}: {Reason}. Moving message to queue '{PoisonQueue}'.")]
    public static partial void MessagePoisoned(ILogger logger, string messageId, int maxAttempts, string reason, string poisonQueue);

    [LoggerMessage(24, LogLevel.Warning, "Could not settle message {MessageId} of queue '{Queue}'")]
    public static partial void MessageSettleFailed(ILogger logger, Exception exception, string messageId, string queue);
}
