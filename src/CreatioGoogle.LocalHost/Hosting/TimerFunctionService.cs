using System.Globalization;
using Cronos;
using Microsoft.Azure.Functions.Worker;

namespace CreatioGoogle.LocalHost.Hosting;

/// <summary>When a timer function is due: an NCRONTAB expression (seconds first) or a plain interval ("00:05:00").</summary>
internal sealed class TimerSchedule
{
    private readonly CronExpression? _cron;
    private readonly TimeSpan _interval;
    private readonly TimeZoneInfo _zone;

    private TimerSchedule(string text, CronExpression? cron, TimeSpan interval, TimeZoneInfo zone)
    {
        Text = text;
        _cron = cron;
        _interval = interval;
        _zone = zone;
    }

    public string Text { get; }

    /// <summary>Parses a resolved schedule; Functions' NCRONTAB has six fields, seconds first, in UTC by default.</summary>
    public static TimerSchedule Parse(string schedule, TimeZoneInfo zone)
    {
        // Functions also accepts a TimeSpan ("hh:mm:ss") as a fixed interval.
        if (!schedule.Contains(' ', StringComparison.Ordinal)
            && TimeSpan.TryParse(schedule, CultureInfo.InvariantCulture, out var interval) && interval > TimeSpan.Zero)
        {
            return new TimerSchedule(schedule, null, interval, zone);
        }

        try
        {
            return new TimerSchedule(schedule, CronExpression.Parse(schedule, CronFormat.IncludeSeconds), TimeSpan.Zero, zone);
        }
        catch (CronFormatException e)
        {
            throw new InvalidOperationException(
                $"'{schedule}' is not a six-field NCRONTAB expression (second minute hour day month day-of-week): {e.Message}");
        }
    }

    public DateTimeOffset? NextAfter(DateTimeOffset after) =>
        _cron is null ? after + _interval : _cron.GetNextOccurrence(after, _zone);
}

/// <summary>
/// Runs one timer function at each occurrence of its schedule. Runs are awaited one after another, so they
/// never overlap; occurrences missed while a run was still going are skipped, as Functions does.
/// </summary>
internal sealed class TimerFunctionService(
    FunctionInvoker<TimerInfo> invoker,
    TimerSchedule schedule,
    bool runOnStartup,
    IServiceScopeFactory scopes,
    TimeProvider time,
    ILoggerFactory loggers) : BackgroundService
{
    /// <summary>Later than this after its occurrence, a run is reported past due.</summary>
    private static readonly TimeSpan PastDueThreshold = TimeSpan.FromSeconds(1);

    private readonly ILogger _logger = loggers.CreateLogger($"Function.{invoker.Function.Name}");

    public string FunctionName => invoker.Function.Name;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // let the host finish starting before the first run
        DateTimeOffset? last = null;
        if (runOnStartup)
        {
            var now = time.GetUtcNow();
            await RunAsync(now, last, schedule.NextAfter(now), "Timer fired at startup", stoppingToken);
            last = now;
        }

        var from = time.GetUtcNow();
        LogMessages.TimerScheduled(_logger, FunctionName, schedule.Text, schedule.NextAfter(from));
        while (!stoppingToken.IsCancellationRequested)
        {
            if (schedule.NextAfter(from) is not { } due)
            {
                LogMessages.TimerExhausted(_logger, FunctionName, schedule.Text);
                return;
            }

            var wait = due - time.GetUtcNow();
            try
            {
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            await RunAsync(due, last, schedule.NextAfter(due), "Timer fired at " + due.ToString("O", CultureInfo.InvariantCulture), stoppingToken);
            last = due;
            var finished = time.GetUtcNow();
            from = finished > due ? finished : due;
        }
    }

    private async Task RunAsync(DateTimeOffset due, DateTimeOffset? last, DateTimeOffset? next, string reason, CancellationToken stoppingToken)
    {
        var now = time.GetUtcNow();
        var timer = new TimerInfo
        {
            IsPastDue = now - due > PastDueThreshold,
            ScheduleStatus = new ScheduleStatus
            {
                Last = (last ?? DateTimeOffset.MinValue).UtcDateTime,
                Next = (next ?? DateTimeOffset.MaxValue).UtcDateTime,
                LastUpdated = now.UtcDateTime,
            },
        };

        await using var scope = scopes.CreateAsyncScope();
        var context = new LocalFunctionContext(invoker.Function, scope.ServiceProvider,
            new Dictionary<string, object?> { ["TimerTrigger"] = now.ToString("O", CultureInfo.InvariantCulture) }, stoppingToken);
        try
        {
            LogMessages.Executing(_logger, FunctionName, reason, context.InvocationId);
            await invoker.InvokeAsync(timer, context);
            LogMessages.Executed(_logger, FunctionName, context.InvocationId);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host stopping: not a failure of the function.
        }
        catch (Exception e)
        {
            // A failed run is logged and the schedule goes on, as in Functions.
            LogMessages.Failed(_logger, e, FunctionName, context.InvocationId);
        }
    }

    public static FunctionInvoker<TimerInfo> CreateInvoker(TimerFunctionDescriptor function) =>
        FunctionInvoker<TimerInfo>.Create(function, parameter =>
            parameter.ParameterType == typeof(TimerInfo) ? (timer, _) => ValueTask.FromResult<object?>(timer) : null);
}
