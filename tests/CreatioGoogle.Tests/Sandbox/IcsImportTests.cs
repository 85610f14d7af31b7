using CreatioGoogle.Sandbox;
using Xunit.Sdk;
using static CreatioGoogle.Tests.Sandbox.CalendarWorld;

namespace CreatioGoogle.Tests.Sandbox;

/// <summary>The iCalendar importer over the shipped public test files and hand-written edge cases.</summary>
public sealed class IcsImportTests
{
    [SharedDataFact("ical")]
    public async Task Every_shipped_file_loads_or_is_reported_never_crashing()
    {
        var folder = SharedDataFactAttribute.Folder("ical")!;
        await using var world = await StartAsync();
        var files = Directory.GetFiles(folder).Where(f => f.EndsWith(".ics", StringComparison.Ordinal) || f.EndsWith(".jcal", StringComparison.Ordinal)).ToList();
        var reports = files.Select(f => world.Calendar.ImportIcs(Alice, File.ReadAllText(f), Path.GetFileName(f))).ToList();

        Assert.True(files.Count > 100);
        Assert.True(reports.Sum(r => r.EventsLoaded) > 50);
        Assert.Contains(reports, r => r.FileRejected);
        Assert.Contains(reports, r => r.CancelledInstances > 0 || r.ExceptionsLoaded > 0);
        Assert.All(reports.Where(r => r.Source.EndsWith(".jcal", StringComparison.Ordinal)), r => Assert.Equal(0, r.EventsLoaded));
        var (items, _, _) = await world.ListAllAsync("singleEvents=true&timeMin=1990-01-01T00:00:00Z&timeMax=2030-01-01T00:00:00Z");
        Assert.NotEmpty(items);
        var storedBefore = world.Calendar.Events(Alice).Count;
        foreach (var file in files)
        {
            world.Calendar.ImportIcs(Alice, File.ReadAllText(file), Path.GetFileName(file));
        }

        // Importing again updates by UID, never duplicates (VEVENTs without a UID get a new one each time, as at Google).
        Assert.All(world.Calendar.Events(Alice).Where(e => e["recurringEventId"] is null).GroupBy(e => e["iCalUID"]!.GetValue<string>()), g => Assert.Single(g));
        Assert.True(world.Calendar.Events(Alice).Count >= storedBefore);
        Assert.Equal(world.Calendar.Events(Alice).Count, world.Calendar.Events(Alice).Select(e => e["id"]!.GetValue<string>()).Distinct().Count());
    }

    [Fact]
    public async Task Hand_written_cases_dst_no_end_zero_length_multi_day_exception_and_exdate_come_out_as_google_shapes_them()
    {
        await using var world = await StartAsync();
        const string ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
            + "BEGIN:VEVENT\r\nUID:dst@test\r\nDTSTART;TZID=Europe/Berlin:20250324T100000\r\nDTEND;TZID=Europe/Berlin:20250324T110000\r\n"
            + "RRULE:FREQ=WEEKLY;COUNT=3\r\nEXDATE;TZID=Europe/Berlin:20250407T100000\r\nSUMMARY:Weekly\r\nEND:VEVENT\r\n"
            + "BEGIN:VEVENT\r\nUID:dst@test\r\nRECURRENCE-ID;TZID=Europe/Berlin:20250331T100000\r\nDTSTART;TZID=Europe/Berlin:20250331T120000\r\nDTEND;TZID=Europe/Berlin:20250331T130000\r\nSUMMARY:Moved\r\nEND:VEVENT\r\n"
            + "BEGIN:VEVENT\r\nUID:allday@test\r\nDTSTART;VALUE=DATE:20250310\r\nSUMMARY:No end\r\nEND:VEVENT\r\n"
            + "BEGIN:VEVENT\r\nUID:zero@test\r\nDTSTART:20250311T090000Z\r\nSUMMARY:Zero\r\nEND:VEVENT\r\n"
            + "BEGIN:VEVENT\r\nUID:trip@test\r\nDTSTART;VALUE=DATE:20250312\r\nDTEND;VALUE=DATE:20250315\r\nSUMMARY:Trip\r\nEND:VEVENT\r\n"
            + "BEGIN:VEVENT\r\nUID:orphan@test\r\nRECURRENCE-ID:20250101T100000Z\r\nDTSTART:20250101T110000Z\r\nSUMMARY:Orphan\r\nEND:VEVENT\r\n"
            + "BEGIN:VTODO\r\nUID:todo@test\r\nSUMMARY:Todo\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";

        var report = world.Calendar.ImportIcs(Alice, ics);
        var (instances, _, _) = await world.ListAllAsync("singleEvents=true&orderBy=startTime&timeZone=UTC&q=Weekly");
        var stored = world.Calendar.Events(Alice).ToDictionary(e => e["iCalUID"]!.GetValue<string>() + (e["recurringEventId"] is null ? "" : "#" + e["id"]));

        Assert.Equal((4, 1, 1), (report.EventsLoaded, report.ExceptionsLoaded, report.CancelledInstances));
        Assert.Equal(2, report.Skipped.Count); // the orphan exception and the VTODO
        // The first instance, the moved exception (12:00 CEST), and no third: its EXDATE made it a cancelled instance.
        Assert.Equal(["2025-03-24T09:00:00Z", "2025-03-31T10:00:00Z"], instances.Select(i => i["start"]!["dateTime"]!.GetValue<string>()));
        Assert.Equal("2025-03-31T10:00:00Z", instances[1]["start"]!["dateTime"]!.GetValue<string>()); // 12:00 CEST, after the DST change
        Assert.Equal("2025-03-31T08:00:00Z", instances[1]["originalStartTime"]!["dateTime"]!.GetValue<string>());
        Assert.Equal("Europe/Berlin", stored["dst@test"]["start"]!["timeZone"]!.GetValue<string>());
        Assert.Equal(["RRULE:FREQ=WEEKLY;COUNT=3"], stored["dst@test"]["recurrence"]!.AsArray().Select(l => l!.GetValue<string>()));
        Assert.Equal("2025-03-11", stored["allday@test"]["end"]!["date"]!.GetValue<string>());
        Assert.Equal(stored["zero@test"]["start"]!["dateTime"]!.GetValue<string>(), stored["zero@test"]["end"]!["dateTime"]!.GetValue<string>());
        Assert.Equal("2025-03-15", stored["trip@test"]["end"]!["date"]!.GetValue<string>());
    }
}

/// <summary>
/// A fact over <c>../shared/data/{folder}</c> (found from the folder holding the .sln): skipped, saying why, where the
/// public test data is not next to the repository, as on a fresh clone.
/// </summary>
[XunitTestCaseDiscoverer("Xunit.Sdk.FactDiscoverer", "xunit.execution.{Platform}")]
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute(string folder)
    {
        if (Folder(folder) is null)
        {
            Skip = $"../shared/data/{folder} is missing next to the repository: the public test files it holds are not available here.";
        }
    }

    public static string? Folder(string folder) =>
        RepositoryRoot.Find() is { } root && Path.GetFullPath(Path.Combine(root, "..", "shared", "data", folder)) is var path && Directory.Exists(path) ? path : null;
}
