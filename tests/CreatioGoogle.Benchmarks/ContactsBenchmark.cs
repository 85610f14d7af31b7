using System.Globalization;
using System.Text.Json.Nodes;
using CreatioGoogle.Tests.Sync.Contacts;

namespace CreatioGoogle.Benchmarks;

/// <summary>
/// Contacts sync at size: half the contacts start in the Google group, half in Creatio (owned by the user), with a
/// per-call latency on both sandboxes. Reports wall time, Google calls, Creatio HTTP requests, Table operations
/// (every HTTP request of the Azure SDK: only tables are touched during a run) and peak working set, against the
/// fewest calls the APIs allow (list pages of 1000, batchCreate/batchUpdate of 200, Creatio pages of 1000 and $batch of 100).
/// </summary>
internal static class ContactsBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
        var latency = TimeSpan.FromMilliseconds(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 50);
        using var tableOps = new AzureRequestCounter();

        await using var world = await ContactsWorld.StartAsync();

        // Every clock read moves 1 ms, so rows written in one run do not all share one ModifiedOn as on a frozen fake clock.
        world.Broker.Clock.AutoAdvanceAmount = TimeSpan.FromMilliseconds(1);
        var group = await world.GroupAsync();
        var half = count / 2;
        for (var i = 0; i < half; i += 1000)
        {
            var batch = Enumerable.Range(i, Math.Min(1000, half - i)).Select(n => new JsonObject
            {
                ["names"] = new JsonArray(new JsonObject { ["givenName"] = "G" + n, ["familyName"] = "Google" }),
                ["emailAddresses"] = new JsonArray(new JsonObject { ["value"] = $"g{n}@example.com" }),
                ["memberships"] = new JsonArray(new JsonObject { ["contactGroupMembership"] = new JsonObject { ["contactGroupResourceName"] = group } }),
            });
            world.People.SeedContacts(ContactsWorld.Email, batch);
        }

        var creatioIds = Enumerable.Range(0, count - half).Select(n => world.SeedCreatio("C" + n, "Creatio", $"c{n}@example.com")).ToList();
        world.People.Latency = latency;
        world.Creatio.Latency = latency;

        Console.WriteLine($"contacts sync: {count} contacts ({half} in Google, {count - half} in Creatio), latency {latency.TotalMilliseconds} ms per call");
        SyncRunTable.Header();

        // Minimums: what reading the changed items and writing the others needs at the APIs' page/batch limits.
        await MeasureAsync(world, tableOps, "full", AzureRequestCounter.Pages(half, 1000) + AzureRequestCounter.Pages(count - half, 200), AzureRequestCounter.Pages(count - half + 1, 1000) + AzureRequestCounter.Pages(half, 100));
        await MeasureAsync(world, tableOps, "incremental (own echoes)", AzureRequestCounter.Pages(count - half, 1000), AzureRequestCounter.Pages(half + 1, 1000));
        await MeasureAsync(world, tableOps, "incremental, 0 changes", 1, 1);

        // 100 changes: 50 edited in Google, 50 in Creatio.
        var google = await world.GoogleContactsAsync();
        world.People.Latency = TimeSpan.Zero;
        foreach (var person in google.Where(p => p.Names?[0].FamilyName == "Google").Take(50))
        {
            await world.GoogleEditAsync(person.ResourceName!, p => p.Names![0].GivenName += " edited", "names");
        }

        world.People.Latency = latency;
        foreach (var id in creatioIds.Take(50))
        {
            world.Creatio.SimulateUserEdit(id, new JsonObject { ["JobTitle"] = "edited" });
        }

        // Google: 1 list + 1 batchGet (current etags/unmapped fields of the 50 to update) + 1 batchUpdate; Creatio: 1 query + 1 $batch.
        await MeasureAsync(world, tableOps, "incremental, 100 changes", 3, 2);
        await MeasureAsync(world, tableOps, "incremental (own echoes)", 1, 1);
        return 0;
    }

    private static Task MeasureAsync(ContactsWorld world, AzureRequestCounter tableOps, string name, int minGoogle, int minCreatio) =>
        SyncRunTable.MeasureAsync(name, async () =>
        {
            await world.SyncAsync();
            return (await world.CursorAsync())!.LastRunSummary;
        }, world.ResetCounters, tableOps, () => world.People.Calls, world.Creatio, minGoogle, minCreatio);
}
