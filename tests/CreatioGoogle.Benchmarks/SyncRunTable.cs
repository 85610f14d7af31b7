using System.Diagnostics;
using System.Globalization;
using CreatioGoogle.Sandbox.Creatio;

namespace CreatioGoogle.Benchmarks;

/// <summary>The table both sync benchmarks print: one row per run, the calls made next to the fewest the APIs allow.</summary>
internal static class SyncRunTable
{
    public static void Header() =>
        Console.WriteLine($"{"run",-28} {"wall s",8} {"Google",7} {"(min)",6} {"Creatio",8} {"(min)",6} {"Table",7} {"peak MB",8}  summary");

    /// <summary>Times one run (<paramref name="run"/> after the counters were reset) and prints its row and its calls by kind.</summary>
    public static async Task MeasureAsync(string name, Func<Task<string?>> run, Action resetCounters, AzureRequestCounter tableOps,
        Func<IReadOnlyDictionary<string, int>> googleCalls, SandboxCreatio creatio, int minGoogle, int minCreatio)
    {
        resetCounters();
        tableOps.Reset();
        var watch = Stopwatch.StartNew();
        var summary = await run();
        watch.Stop();
        var peak = Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024);
        var calls = googleCalls();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-28} {watch.Elapsed.TotalSeconds,8:F2} {calls.Values.Sum(),7} {minGoogle,6} {creatio.RequestCount,8} {minCreatio,6} {tableOps.Count,7} {peak,8}  {summary}"));
        Console.WriteLine("    google: " + string.Join(", ", calls.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} {kv.Value}"))
            + " | creatio: " + string.Join(", ", Enum.GetValues<CreatioRequestKind>().Where(k => creatio.CountOf(k) > 0).Select(k => $"{k} {creatio.CountOf(k)}")));
    }
}
