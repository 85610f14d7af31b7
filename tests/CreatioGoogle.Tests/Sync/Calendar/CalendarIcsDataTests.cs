using System.Text.Json.Nodes;
using CreatioGoogle.Broker.Sync;
using CreatioGoogle.Broker.Sync.Calendar;
using CreatioGoogle.Tests.Sandbox;
using static CreatioGoogle.Tests.Sync.Calendar.CalendarSyncWorld;

namespace CreatioGoogle.Tests.Sync.Calendar;

/// <summary>
/// The public iCalendar test files in <c>../shared/data/ical</c> (recurrence rules, time zones, all-day, exceptions, broken
/// files), read in place, loaded into the sandbox calendar as Google's import would shape them, synced to Creatio and back.
/// </summary>
public sealed class CalendarIcsDataTests
{
    [SharedDataFact("ical")]
    public async Task Every_shipped_calendar_file_syncs_to_Creatio_and_back_and_broken_files_are_reported_without_breaking_a_run()
    {
        var folder = SharedDataFactAttribute.Folder("ical")!;

        // A window wide enough for the files' years (1990s to 2030s).
        await using var world = await StartAsync(s => (s["CalendarSync:SyncPast"], s["CalendarSync:SyncFuture"]) = ("36500.00:00:00", "3650.00:00:00"));
        world.Calendar.MaxInstancesPerSeries = 50;
        var files = Directory.GetFiles(folder).Where(f => f.EndsWith(".ics", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        var reports = files.Select(f => world.Calendar.ImportIcs(Email, File.ReadAllText(f), Path.GetFileName(f))).ToList();
        Assert.True(files.Count > 100, $"only {files.Count} files in {folder}");
        Assert.Contains(reports, r => r.FileRejected);
        Assert.Contains(reports, r => r.Source == "broken_ical.ics" && (r.FileRejected || r.Skipped.Count > 0));

        Assert.Equal(SyncRunOutcome.Completed, await world.SyncAsync());

        // Every event Google lists in the sync's window is a Creatio meeting, once.
        var state = await world.StateAsync();
        var listed = new List<Broker.Google.Calendar.CalendarEvent>();
        await foreach (var page in world.CalendarClient.ListEventsAsync(world.GoogleConnection, null, state.WindowStart, state.WindowEnd))
        {
            listed.AddRange(page.Items.Where(e => !e.IsCancelled));
        }

        var meetings = world.Meetings();
        Assert.True(listed.Count > 50, $"only {listed.Count} events listed from {reports.Sum(r => r.EventsLoaded)} loaded");
        Assert.Equal(listed.Count, meetings.Count);
        Assert.Equal(listed.Select(e => CalendarIds.CreatioIdFor("acme", e.Id!).ToString()).Order(), meetings.Select(m => m["Id"]!.GetValue<string>()).Order());
        Assert.Contains(meetings, m => m["Title"]!.GetValue<string>().Any(c => c > 127)); // the unicode files came through
        await world.AssertQuietAsync("after loading the shipped files");

        // And back: meetings whose events alice organizes, edited in Creatio, change in Google.
        var own = listed.Where(e => e.Organizer?.Self == true).Take(5).ToList();
        Assert.NotEmpty(own);
        world.Broker.Clock.Advance(TimeSpan.FromMinutes(1));
        foreach (var ev in own)
        {
            world.Creatio.SimulateUserEdit("Activity", CalendarIds.CreatioIdFor("acme", ev.Id!), new JsonObject { ["Location"] = "Moved to room 42" });
        }

        await world.SyncAsync();
        foreach (var ev in own)
        {
            var back = (await world.GoogleEventAsync(ev.Id!))!;
            Assert.Equal("Moved to room 42", back.Location);
            Assert.Equal(ev.Summary ?? "", back.Summary ?? "");
            Assert.Equal(ev.Start!.Date ?? ev.Start.DateTime?.ToString("O"), back.Start!.Date ?? back.Start.DateTime?.ToString("O"));
        }

        await world.AssertQuietAsync("after the round trip");
    }
}
