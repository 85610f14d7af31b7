using CreatioGoogle.LocalHost.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CreatioGoogle.Tests.LocalHost;

public sealed class TimerFunctionTests
{
    [Fact]
    public async Task Every_second_schedule_from_a_setting_runs_without_overlapping()
    {
        var probe = new TimerProbe();
        await using var host = await RunningHost.StartAsync(typeof(TimerTestFunctions),
            settings: new Dictionary<string, string?> { [TimerTestFunctions.ScheduleSetting] = "* * * * * *" },
            services: s => s.AddSingleton(probe));

        var deadline = DateTimeOffset.UtcNow.AddSeconds(10);
        while (Volatile.Read(ref probe.Runs) < 2 && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.True(probe.Runs >= 2, $"ran {probe.Runs} times");
        Assert.Equal(1, probe.MaxConcurrent);
        lock (probe.Starts)
        {
            // Each run takes 1.2 s, longer than the interval: the next starts only after it ended.
            Assert.True(probe.Starts[1] - probe.Starts[0] >= TimeSpan.FromMilliseconds(1150), $"{probe.Starts[1] - probe.Starts[0]}");
        }

        Assert.True(probe.SawSchedule);
    }

    [Fact]
    public async Task Runs_on_the_hosts_TimeProvider_and_skips_occurrences_missed_while_a_run_is_going()
    {
        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(start);
        var probe = new GatedTimerProbe();
        await using var host = await RunningHost.StartAsync(typeof(GatedTimerFunctions),
            services: s => s.AddSingleton<TimeProvider>(time).AddSingleton(probe));

        await AdvanceUntilAsync(time, () => probe.Started == 1);
        Assert.Equal(start.AddSeconds(10), probe.Runs[0].FakeNow);

        // Thirty seconds pass while the first run is still going: no second run starts beside it.
        for (var i = 0; i < 30; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5);
        }

        Assert.Equal(1, probe.Started);
        var released = time.GetUtcNow();
        probe.Gate.Release();

        await AdvanceUntilAsync(time, () => probe.Started == 2);
        probe.Gate.Release();
        Assert.Equal(1, probe.MaxConcurrent);
        // The occurrences missed at 0:20, 0:30, 0:40 were skipped, not run back to back on release:
        // the second run is at a later occurrence, on time.
        Assert.True(probe.Runs[1].FakeNow > released, $"second run at {probe.Runs[1].FakeNow:O}");
        Assert.Equal(0, probe.Runs[1].FakeNow.Second % 10);
        Assert.False(probe.Runs[1].PastDue);
    }

    private static async Task AdvanceUntilAsync(FakeTimeProvider time, Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(10);
        }

        Assert.True(condition(), "the timer did not run");
    }

    [Fact]
    public void A_missing_schedule_setting_fails_the_start()
    {
        var builder = RunningHost.CreateBuilder(null, new LogSink());

        var error = Assert.Throws<InvalidOperationException>(() => LocalFunctionHost.Build(
            builder, FunctionCatalog.FromTypes(typeof(TimerTestFunctions)), new FunctionHostSettings()));

        Assert.Contains("'EverySecond'", error.Message, StringComparison.Ordinal);
        Assert.Contains(TimerTestFunctions.ScheduleSetting, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Schedules_are_six_field_ncrontab_or_intervals()
    {
        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

        Assert.Equal(start.AddSeconds(5), TimerSchedule.Parse("*/5 * * * * *", TimeZoneInfo.Utc).NextAfter(start));
        Assert.Equal(start.AddMinutes(5), TimerSchedule.Parse("0 */5 * * * *", TimeZoneInfo.Utc).NextAfter(start));
        Assert.Equal(start.AddMinutes(10), TimerSchedule.Parse("00:10:00", TimeZoneInfo.Utc).NextAfter(start));
        Assert.Throws<InvalidOperationException>(() => TimerSchedule.Parse("*/5 * * * *", TimeZoneInfo.Utc));
    }
}
