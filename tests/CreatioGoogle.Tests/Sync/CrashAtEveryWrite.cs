using CreatioGoogle.Broker.Sync;

namespace CreatioGoogle.Tests.Sync;

/// <summary>A feature's test world as the engine-level crash test drives it (contacts now; calendar and mail next).</summary>
internal interface ISyncWorld : IAsyncDisposable
{
    /// <summary>Sits under the feature's Google and Creatio HTTP clients (<see cref="WriteFaultHandler"/>).</summary>
    WriteFault Fault { get; }

    /// <summary>One queued job of the feature, run by the real <see cref="SyncRunner"/>.</summary>
    Task<SyncRunOutcome> SyncAsync();

    Task<Cursor?> CursorAsync();
}

/// <summary>
/// The crash-at-every-write test for any feature: a run is killed right after its first write, then (in a fresh world)
/// after its second, and so on until a run has no write left to kill. Each time the crashed run must leave the cursor
/// where it was, and one more run must end consistent (the feature's own check: both sides equal, once each, linked,
/// and a further run writes nothing).
/// </summary>
internal static class CrashAtEveryWrite
{
    /// <param name="start">A fresh world (Azurite prefix, sandboxes, connected account).</param>
    /// <param name="arrange">Data on both sides, and any runs before the one that is killed.</param>
    /// <param name="assertConsistent">The feature's consistency check, given why (which crash) for its messages.</param>
    /// <param name="minWritePoints">The scenario has at least this many writes; fewer means the test proves less than it claims.</param>
    public static async Task RunAsync<TWorld>(Func<Task<TWorld>> start, Func<TWorld, Task> arrange, Func<TWorld, string, Task> assertConsistent,
        int minWritePoints = 2)
        where TWorld : ISyncWorld
    {
        for (var crashAfter = 1; ; crashAfter++)
        {
            await using var world = await start();
            await arrange(world);
            var before = await world.CursorAsync();

            world.Fault.Arm(crashAfter);
            var crashed = await RunKilledAsync(world);
            world.Fault.Disarm();
            if (!crashed)
            {
                Assert.True(crashAfter > minWritePoints, $"expected at least {minWritePoints} write points, found {crashAfter - 1}");
                return;
            }

            var why = $"crash after write {crashAfter}";
            var afterCrash = await world.CursorAsync();
            Assert.True(before?.FeatureState == afterCrash?.FeatureState, $"{why}: the killed run moved the cursor");
            Assert.Equal(before?.LastSuccessAt, afterCrash?.LastSuccessAt);

            Assert.Equal(SyncRunOutcome.Completed, await world.SyncAsync());
            Assert.True(before?.FeatureState != (await world.CursorAsync())?.FeatureState, $"{why}: the run after the crash did not move the cursor");
            await assertConsistent(world, why);
        }
    }

    private static async Task<bool> RunKilledAsync(ISyncWorld world)
    {
        try
        {
            await world.SyncAsync();
            return false;
        }
        catch (SimulatedCrashException)
        {
            return true;
        }
    }
}

/// <summary>Kills a sync run at a chosen write: the Nth Google/Creatio write is sent, then the run dies before it sees the answer.</summary>
internal sealed class WriteFault
{
    private int _writes;

    /// <summary>Writes seen since the last <see cref="Arm"/>.</summary>
    public int Writes => Volatile.Read(ref _writes);

    public int? CrashAfterWrite { get; private set; }

    /// <summary>When true, the chosen write fails before it is sent (as a network error would), instead of after.</summary>
    public bool BeforeSend { get; private set; }

    public void Arm(int crashAfterWrite, bool beforeSend = false)
    {
        Volatile.Write(ref _writes, 0);
        CrashAfterWrite = crashAfterWrite;
        BeforeSend = beforeSend;
    }

    public void Disarm() => CrashAfterWrite = null;

    /// <summary>Runs once, just before the next write whose path contains <c>pathPart</c> is sent (someone else's edit racing the sync).</summary>
    public void BeforeNextWrite(string pathPart, Func<Task> action) => _before = (pathPart, action);

    internal Func<Task>? TakeBefore(string path)
    {
        if (_before is { } before && path.Contains(before.PathPart, StringComparison.Ordinal))
        {
            _before = null;
            return before.Action;
        }

        return null;
    }

    private (string PathPart, Func<Task> Action)? _before;

    public bool IsChosen() => CrashAfterWrite is { } n && Interlocked.Increment(ref _writes) == n;
}

internal sealed class SimulatedCrashException(string message) : Exception(message);

/// <summary>The fault's hook: the innermost handler of a feature's HTTP clients (reads, logins and token calls pass).</summary>
internal sealed class WriteFaultHandler(WriteFault fault) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri?.AbsolutePath ?? "";
        var isWrite = request.Method != HttpMethod.Get && !path.Contains("AuthService.svc", StringComparison.OrdinalIgnoreCase)
            && !path.EndsWith("/connect/token", StringComparison.OrdinalIgnoreCase);
        if (isWrite && fault.TakeBefore(path) is { } before)
        {
            await before();
        }

        if (!isWrite || !fault.IsChosen())
        {
            return await base.SendAsync(request, cancellationToken);
        }

        if (fault.BeforeSend)
        {
            throw new HttpRequestException("Simulated network failure before " + request.Method + " " + path);
        }

        using var response = await base.SendAsync(request, cancellationToken);
        throw new SimulatedCrashException($"Simulated crash after {request.Method} {path} answered {(int)response.StatusCode}");
    }
}
