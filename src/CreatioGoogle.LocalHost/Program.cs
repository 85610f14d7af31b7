using CreatioGoogle.LocalHost.Local;

// Runs the Functions app on Kestrel at the address `func start` uses, for machines without Core Tools,
// with Azurite, local secrets and the sandbox Google filling in whatever is not configured.
var url = new Uri(Environment.GetEnvironmentVariable("BROKER_URL") ?? "http://localhost:7071");
WebApplication app;
LocalEnvironment local;
try
{
    (app, local) = await LocalBrokerApp.CreateAsync(args, url, null, LocalEnvironment.DefaultDataDirectory(), CancellationToken.None);
}
catch (LocalRunException e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}

await using (local)
{
    try
    {
        await LocalBrokerApp.StartAsync(app, local, url, CancellationToken.None);
    }
    catch (LocalRunException e)
    {
        Console.Error.WriteLine(e.Message);
        return 1;
    }

    Console.WriteLine();
    Console.WriteLine($"CreatioGoogle broker running at {url}");
    Console.WriteLine(local.Azurite is null ? "  storage:  as configured (AzureWebJobsStorage)"
        : $"  storage:  Azurite on 127.0.0.1:{local.Azurite.TablePort} (tables){(local.Azurite.StartedByUs ? ", started for this run" : ", already running")}");
    Console.WriteLine(local.Google is null ? "  Google:   as configured" : $"  Google:   sandbox at {local.Google.BaseUrl} (accounts alice@example.com, bob@example.com)");
    Console.WriteLine(local.SecretsFile is null ? "  secrets:  Key Vault" : $"  secrets:  {local.SecretsFile} (the demo tenant's API key is 'tenant-demo-api-key' there)");
    if (local.RotatedTokenKey)
    {
        Console.WriteLine("  rotated:  a new token-encryption key; rows under the old one are re-encrypted by RenewTokens");
    }

    if (local.ForgottenConnections is { } forgotten)
    {
        Console.WriteLine("  started clean: the sandboxes keep no state between runs, so connections of an earlier run would not work" +
                          (forgotten > 0 ? $"; removed {forgotten} connection(s) of the last run: connect again" : ""));
    }

    if (local.Google is not null)
    {
        Console.WriteLine($"  levers:   POST {local.Google.BaseUrl}_sandbox/revoke?email=alice@example.com | _sandbox/outage?count=10&status=503&retryAfter=30" +
                          " | _sandbox/revoke-failures?count=1&status=400");
    }

    if (local.HasDemoTenant)
    {
        Console.WriteLine($"  demo:     tenant 'demo', Creatio user 'Demo User' with id {local.DemoCreatioUserId} (also at GET {new Uri(url, TryPage.DemoUserPath)})");
        Console.WriteLine();
        Console.WriteLine($"Try the connect flow: open {url} in a browser.");
        Console.WriteLine($"Or call the API as Creatio does (README, \"How Creatio uses it\"): POST {new Uri(url, "/api/connections")} with headers X-Creatio-Tenant: demo and X-Api-Key.");
    }

    Console.WriteLine("Press Ctrl+C to stop.");
    await app.WaitForShutdownAsync();
}

return 0;
