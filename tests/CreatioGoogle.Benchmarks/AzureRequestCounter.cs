using System.Diagnostics;

namespace CreatioGoogle.Benchmarks;

/// <summary>Counts the Azure SDK's HTTP requests (the "Azure.Core.Http" activities).</summary>
internal sealed class AzureRequestCounter : IDisposable
{
    private readonly ActivityListener _listener;
    private int _count;

    public AzureRequestCounter()
    {
        AppContext.SetSwitch("Azure.Experimental.EnableActivitySource", true);
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Azure.Core.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.PropagationData,
            ActivityStarted = _ => Interlocked.Increment(ref _count),
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public int Count => Volatile.Read(ref _count);

    /// <summary>Calls needed for <paramref name="items"/> at <paramref name="size"/> per call (at least one).</summary>
    public static int Pages(int items, int size) => Math.Max(1, (items + size - 1) / size);

    public void Reset() => Volatile.Write(ref _count, 0);

    public void Dispose() => _listener.Dispose();
}
