namespace CreatioGoogle.Sandbox;

/// <summary>
/// A per-call delay a test or benchmark sets while requests are in flight. Real time on purpose: a fake clock
/// (FakeTimeProvider) must not freeze HTTP calls.
/// </summary>
public sealed class SimulatedLatency
{
    private long _ticks;

    public TimeSpan Value
    {
        get => TimeSpan.FromTicks(Volatile.Read(ref _ticks));
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            Volatile.Write(ref _ticks, value.Ticks);
        }
    }

    public Task WaitAsync(CancellationToken cancellationToken)
    {
        var delay = Value;
        return delay > TimeSpan.Zero ? Task.Delay(delay, cancellationToken) : Task.CompletedTask;
    }
}
