using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using CreatioGoogle.Broker;
using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Storage;
using CreatioGoogle.Broker.Tokens;
using CreatioGoogle.Sandbox.Azurite;
using CreatioGoogle.Sandbox.Google;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CreatioGoogle.Benchmarks;

/// <summary>
/// The renewal timer's throughput: N connections due for a refresh, a Google answering after --latency ms,
/// --concurrency refreshes in flight. The bound is concurrency / latency refreshes per second.
/// </summary>
internal static class RenewBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var connectionsCount = Option(args, "--connections", 10_000);
        var latencyMs = Option(args, "--latency", 50);
        var concurrency = Option(args, "--concurrency", 64);
        const string clientId = "bench-client.apps.googleusercontent.com";
        const string tenantId = "bench";
        // Without openid the sandbox signs no ID token per refresh. In production Google does that signing on its own
        // servers; here it would run on the same two cores as the broker and measure the simulator, not the broker.
        // --openid puts it back (real connections do carry openid).
        var withOpenId = args.Contains("--openid");
        string[] scopes = withOpenId ? ["openid", "email", "profile", "https://mail.google.com/"] : ["email", "profile", "https://mail.google.com/"];

        Console.WriteLine($"renew: {connectionsCount} connections, Google latency {latencyMs} ms, concurrency {concurrency}, " +
            $"{Environment.ProcessorCount} cores, ID tokens signed by the sandbox: {(withOpenId ? "yes" : "no")}");
        await using var azurite = await AzuriteInstance.StartInMemoryAsync(CancellationToken.None);
        var clientSecret = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var googleOptions = new SandboxGoogleOptions();
        googleOptions.Clients.Add(new SandboxClient(clientId, clientSecret, "http://broker.bench/callback"));
        // One account per connection: Google keeps at most 100 live refresh tokens per account and client.
        for (var i = 0; i < connectionsCount; i++)
        {
            googleOptions.Accounts.Add(new SandboxAccount($"2{i:D20}", $"user{i}@bench.example", $"User {i}"));
        }

        await using var google = await SandboxGoogle.StartAsync(googleOptions);
        var settings = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Broker:PublicBaseUrl"] = "http://broker.bench/",
            ["Google:AuthorizationEndpoint"] = google.AuthorizationEndpoint.ToString(),
            ["Google:TokenEndpoint"] = google.TokenEndpoint.ToString(),
            ["Google:RevokeEndpoint"] = google.RevokeEndpoint.ToString(),
            ["Google:CertificatesUrl"] = google.CertificatesUrl.ToString(),
            ["Google:Issuers:0"] = google.Issuer,
            ["Secrets:google-client-id"] = clientId,
            ["Secrets:google-client-secret"] = clientSecret,
            ["Secrets:token-encryption-key"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Tenants:bench:ReturnUrls:0"] = "https://bench.creatio.example/",
            ["Tokens:MaxDegreeOfParallelism"] = concurrency.ToString(CultureInfo.InvariantCulture),
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var tableCalls = new CountingPolicy();
        var tableOptions = new TableClientOptions();
        tableOptions.AddPolicy(tableCalls, HttpPipelinePosition.PerRetry);
        await using var services = new ServiceCollection()
            .AddLogging(b => b.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole())
            .AddBroker(configuration)
            .AddSingleton(new StorageAccount(configuration, tableOptions)) // counts every call to Table Storage
            .BuildServiceProvider();

        // Seed: grants minted at the sandbox, rows written in batches of 100 (one partition, so transactions apply).
        var seedWatch = Stopwatch.StartNew();
        var store = services.GetRequiredService<ConnectionStore>();
        var table = await services.GetRequiredService<BrokerTables>().GetAsync(BrokerTables.Connections, CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        var batch = new List<TableTransactionAction>();
        for (var i = 0; i < connectionsCount; i++)
        {
            var (refreshToken, accessToken) = google.IssueGrantForTesting(clientId, $"user{i}@bench.example", scopes);
            var connection = new Connection
            {
                PartitionKey = tenantId,
                RowKey = Guid.NewGuid().ToString("N"),
                CreatioUserId = Guid.NewGuid().ToString(),
                GoogleSubject = $"2{i:D20}",
                GoogleEmail = $"user{i}@bench.example",
                RequestedFeatures = "mail",
                GrantedScopes = string.Join(' ', scopes),
                ConnectedAt = now,
                LastRenewedAt = now,
            };
            // Expiring in 2 minutes: inside the renewal window, so every row is due.
            await store.SetTokensAsync(connection, refreshToken, accessToken, now.AddMinutes(2), CancellationToken.None);
            batch.Add(new TableTransactionAction(TableTransactionActionType.Add, connection));
            if (batch.Count == 100 || i == connectionsCount - 1)
            {
                await table.SubmitTransactionAsync(batch, CancellationToken.None);
                batch.Clear();
            }
        }

        Console.WriteLine($"seeded {connectionsCount} connections in {seedWatch.Elapsed.TotalSeconds:0.0} s");

        google.TokenEndpointLatency = TimeSpan.FromMilliseconds(latencyMs);
        var renewal = services.GetRequiredService<TokenRenewal>();
        var callsBefore = tableCalls.Count;
        var refreshesBefore = google.RefreshCount;
        var watch = Stopwatch.StartNew();
        var report = await renewal.RunAsync(CancellationToken.None);
        watch.Stop();

        var refreshes = google.RefreshCount - refreshesBefore;
        var perSecond = report.Refreshed / watch.Elapsed.TotalSeconds;
        var bound = concurrency / (latencyMs / 1000.0);
        Console.WriteLine($"report: {report}");
        Console.WriteLine($"refreshed:               {report.Refreshed} ({refreshes} calls at Google) in {watch.Elapsed.TotalSeconds:0.00} s");
        Console.WriteLine($"refreshes/second:        {perSecond:0}");
        Console.WriteLine($"bound (conc./latency):   {bound:0}/s");
        Console.WriteLine($"ratio to bound:          {perSecond / bound:P1}");
        Console.WriteLine($"table ops per refresh:   {(tableCalls.Count - callsBefore) / (double)Math.Max(1, report.Refreshed):0.00} ({tableCalls.Count - callsBefore} calls)");
        Console.WriteLine($"peak working set:        {Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024)} MiB");
        return report.Refreshed == connectionsCount ? 0 : 1;

        static int Option(string[] args, string name, int fallback)
        {
            var index = Array.IndexOf(args, name);
            return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
        }
    }
}

/// <summary>Counts requests sent to Table Storage (each retry too).</summary>
internal sealed class CountingPolicy : HttpPipelineSynchronousPolicy
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public override void OnSendingRequest(HttpMessage message) => Interlocked.Increment(ref _count);
}