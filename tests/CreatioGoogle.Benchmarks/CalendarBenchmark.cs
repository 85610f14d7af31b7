using System.Globalization;
using System.Text.Json.Nodes;
using CreatioGoogle.Tests.Sync.Calendar;

namespace CreatioGoogle.Benchmarks;

/// <summary>
/// Calendar sync at size: N events in the user's Google calendar (one in ten with an attendee), an empty Creatio, a per-call
/// latency on both sandboxes. A full sync, the run that sees its own echoes, incremental runs with 0 and 100 changes (50 in
/// Google, 50 in Creatio), and a last run that must write nothing. Reports wall time, Google calls, Creatio HTTP requests and
/// Table operations next to the fewest the APIs allow (events.list pages of 2500, Creatio pages of 1000 and $batch of 100,
/// one events.patch per changed event), and peak working set.
/// </summary>
internal static class CalendarBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
        var latency = TimeSpan.FromMilliseconds(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 50);
        using var tableOps = new AzureRequestCounter();

        await using var world = await CalendarSyncWorld.StartAsync();
        world.Broker.Clock.AutoAdvanceAmount = TimeSpan.FromMilliseconds(1);
        world.SeedContact("Carol", "carol@example.org");
        var day = new DateTimeOffset(world.Now.UtcDateTime.Date, TimeSpan.Zero).AddDays(1);
        var ids = new List<string>(count);
        for (var i = 0; i < count; i += 1000)
        {
            ids.AddRange(world.Calendar.SeedEvents(CalendarSyncWorld.Email, Enumerable.Range(i, Math.Min(1000, count - i)).Select(n =>
            {
                var ev = CalendarSyncWorld.Timed("Event " + n, day.AddDays(n % 300).AddHours(8 + (n % 10)), TimeSpan.FromMinutes(30));
                if (n % 10 == 0)
                {
                    ev["attendees"] = CalendarSyncWorld.Attendees(("carol@example.org", "accepted"), ("guest" + n + "@example.com", "needsAction"));
                }

                return ev;
            })));
        }

        world.Calendar.Latency = latency;
        world.Creatio.Latency = latency;
        Console.WriteLine($"calendar sync: {count} events in Google, none in Creatio, latency {latency.TotalMilliseconds} ms per call");
        SyncRunTable.Header();

        // Full: every event listed, every meeting and participant row created in $batch requests of 100, plus the two Creatio listings.
        var participants = (count + 9) / 10; // Carol on one event in ten
        await MeasureAsync(world, tableOps, "full", AzureRequestCounter.Pages(count, 2500), AzureRequestCounter.Pages(count + participants, 100) + 2);
        await MeasureAsync(world, tableOps, "incremental (own echoes)", 1, AzureRequestCounter.Pages(count, 1000) + 1);
        await MeasureAsync(world, tableOps, "incremental, 0 changes", 1, 2);

        // 100 changes: 50 edited in Google (by the user), 50 in Creatio.
        world.Calendar.Latency = TimeSpan.Zero;
        foreach (var id in ids.Take(50))
        {
            world.Calendar.UserEdit(CalendarSyncWorld.Email, id, new JsonObject { ["location"] = "edited in Google" });
        }

        world.Calendar.Latency = latency;
        // Other meetings than the 50 edited in Google (events 0..49), so the 100 changes are 100 different meetings.
        var meetings = world.Meetings().Where(m => int.Parse(m["Title"]!.GetValue<string>()["Event ".Length..], CultureInfo.InvariantCulture) >= count / 2).ToList();
        foreach (var meeting in meetings.Take(50))
        {
            world.Creatio.SimulateUserEdit("Activity", Guid.Parse(meeting["Id"]!.GetValue<string>()), new JsonObject { ["Location"] = "edited in Creatio" });
        }

        // Google: 1 listing + 50 patches; Creatio: the two listings + one $batch for the 50 Google edits.
        await MeasureAsync(world, tableOps, "incremental, 100 changes", 51, 3);
        await MeasureAsync(world, tableOps, "incremental (own echoes)", 1, 2);
        world.ResetCounters();
        await world.SyncAsync();
        Console.WriteLine($"round trip: a further run wrote {world.GoogleWrites()} to Google and {world.CreatioWrites()} to Creatio (must be 0)");
        return world.GoogleWrites() + world.CreatioWrites() == 0 ? 0 : 1;
    }

    private static Task MeasureAsync(CalendarSyncWorld world, AzureRequestCounter tableOps, string name, int minGoogle, int minCreatio) =>
        SyncRunTable.MeasureAsync(name, async () =>
        {
            await world.SyncAsync();
            return (await world.CursorAsync())!.LastRunSummary;
        }, world.ResetCounters, tableOps, () => world.Calendar.Calls, world.Creatio, minGoogle, minCreatio);
}
