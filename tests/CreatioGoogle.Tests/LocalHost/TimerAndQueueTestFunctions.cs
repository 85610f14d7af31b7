using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;

namespace CreatioGoogle.Tests.LocalHost;

public sealed class TimerProbe
{
    private int _running;
    public int Runs;
    public int MaxConcurrent;
    public readonly List<DateTimeOffset> Starts = [];
    public bool SawSchedule;

    public void Enter(TimerInfo timer)
    {
        var now = Interlocked.Increment(ref _running);
        lock (Starts)
        {
            Starts.Add(DateTimeOffset.UtcNow);
            MaxConcurrent = Math.Max(MaxConcurrent, now);
            SawSchedule |= timer.ScheduleStatus?.Next > DateTime.UtcNow.AddDays(-1);
        }
    }

    public void Exit()
    {
        Interlocked.Decrement(ref _running);
        Interlocked.Increment(ref Runs);
    }
}

public sealed class TimerTestFunctions(TimerProbe probe)
{
    public const string ScheduleSetting = "LocalHostTimerSchedule";

    // Runs longer than the one-second interval: the next run must wait for this one.
    [Function("EverySecond")]
    public async Task Run([TimerTrigger("%" + ScheduleSetting + "%")] TimerInfo timer, FunctionContext context, CancellationToken cancellationToken)
    {
        probe.Enter(timer);
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(1200), cancellationToken);
        }
        finally
        {
            probe.Exit();
        }
    }
}

public sealed record SyncJob(string ConnectionId, string Feature);

public sealed class QueueProbe
{
    public TaskCompletionSource<(SyncJob Job, string Id, long DequeueCount, string Function)> Received { get; } =
        new(TaskCreationOptions.RunContinuationsAsynchronously);
    public int Attempts;
    public string? Body;
}

public sealed class QueueTestFunctions(QueueProbe probe)
{
    public const string QueueSetting = "LocalHostJobQueue";

    [Function("RunJob")]
    public Task Run([QueueTrigger("%" + QueueSetting + "%")] SyncJob job, string id, long dequeueCount, FunctionContext context)
    {
        probe.Received.TrySetResult((job, id, dequeueCount, context.FunctionDefinition.Name));
        return Task.CompletedTask;
    }
}

public sealed class FailingQueueFunctions(QueueProbe probe)
{
    public const string QueueSetting = "LocalHostFailingQueue";

    [Function("AlwaysFails")]
    public void Run([QueueTrigger("%" + QueueSetting + "%")] QueueMessage message)
    {
        Interlocked.Increment(ref probe.Attempts);
        probe.Body = message.Body.ToString();
        throw new InvalidOperationException("the sync failed");
    }
}

public sealed class GatedTimerProbe
{
    private int _running;
    public int Started;
    public int MaxConcurrent;
    public SemaphoreSlim Gate { get; } = new(0);
    public List<(DateTimeOffset FakeNow, bool PastDue)> Runs { get; } = [];

    public void Enter(DateTimeOffset fakeNow, bool pastDue)
    {
        var running = Interlocked.Increment(ref _running);
        lock (Runs)
        {
            Runs.Add((fakeNow, pastDue));
            MaxConcurrent = Math.Max(MaxConcurrent, running);
        }

        Interlocked.Increment(ref Started);
    }

    public void Exit() => Interlocked.Decrement(ref _running);
}

/// <summary>A timer function that runs until the test opens its gate; the clock is the host's TimeProvider.</summary>
public sealed class GatedTimerFunctions(GatedTimerProbe probe, TimeProvider time)
{
    [Function("EveryTenSeconds")]
    public async Task Run([TimerTrigger("*/10 * * * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        probe.Enter(time.GetUtcNow(), timer.IsPastDue);
        try
        {
            await probe.Gate.WaitAsync(cancellationToken);
        }
        finally
        {
            probe.Exit();
        }
    }
}
