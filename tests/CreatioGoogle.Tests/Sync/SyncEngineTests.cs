using Azure.Storage.Queues;
using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Sync;
using CreatioGoogle.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CreatioGoogle.Tests.Sync;

/// <summary>
/// The sync engine's fan-out and guard rails against Azurite: scheduling, one run at a time per job, cursor
/// saved last, failures recorded. The feature here is a recording stand-in; the engine is what is tested.
/// </summary>
public sealed class SyncEngineTests
{
    [Fact]
    public async Task Schedule_queues_one_job_per_due_connection_feature_and_skips_dead_or_unscoped_ones()
    {
        var feature = new RecordingFeature("contacts");
        await using var world = await StartAsync(feature);
        var healthy = await SeedConnectionAsync(world, "contacts,mail", ConnectionStatus.Connected);
        await SeedConnectionAsync(world, "contacts", ConnectionStatus.ReconnectNeeded);
        await SeedConnectionAsync(world, "contacts", ConnectionStatus.ScopesMissing, missing: "contacts");

        var queued = await world.Services.GetRequiredService<SyncScheduler>().ScheduleDueAsync(CancellationToken.None);
        var again = await world.Services.GetRequiredService<SyncScheduler>().ScheduleDueAsync(CancellationToken.None);

        Assert.Equal(1, queued);
        Assert.Equal(0, again); // still waiting in the queue: not queued twice
        var job = Assert.Single(await PeekJobsAsync(world));
        Assert.Equal((healthy.ConnectionId, "contacts"), (job.ConnectionId, job.Feature));
    }

    [Fact]
    public async Task A_run_saves_the_cursor_the_feature_moved_and_releases_the_job()
    {
        var feature = new RecordingFeature("contacts") { NextToken = "token-2" };
        await using var world = await StartAsync(feature);
        var connection = await SeedConnectionAsync(world, "contacts", ConnectionStatus.Connected);

        var outcome = await Runner(world).RunAsync(Job(world, connection), CancellationToken.None);

        Assert.Equal(SyncRunOutcome.Completed, outcome);
        var cursor = await world.Services.GetRequiredService<CursorStore>().GetAsync(connection.ConnectionId, "contacts", CancellationToken.None);
        Assert.Equal("token-2", cursor!.ReadState<TokenState>().Token);
        Assert.Null(cursor.LeaseOwner);
        Assert.Null(cursor.LastError);
        Assert.NotNull(cursor.LastSuccessAt);
    }

    [Fact]
    public async Task A_failed_run_keeps_the_old_cursor_records_the_error_and_rethrows_for_the_queue_to_retry()
    {
        var feature = new RecordingFeature("contacts") { NextToken = "token-1" };
        await using var world = await StartAsync(feature);
        var connection = await SeedConnectionAsync(world, "contacts", ConnectionStatus.Connected);
        await Runner(world).RunAsync(Job(world, connection), CancellationToken.None);
        feature.NextToken = "token-2";
        feature.FailWith = new InvalidOperationException("Creatio answered 500");

        await Assert.ThrowsAsync<InvalidOperationException>(() => Runner(world).RunAsync(Job(world, connection), CancellationToken.None));

        var cursor = await world.Services.GetRequiredService<CursorStore>().GetAsync(connection.ConnectionId, "contacts", CancellationToken.None);
        Assert.Equal("token-1", cursor!.ReadState<TokenState>().Token);
        Assert.Contains("Creatio answered 500", cursor.LastError, StringComparison.Ordinal);
        Assert.Equal(1, cursor.ConsecutiveFailures);
        Assert.Null(cursor.LeaseOwner); // the retry may run
    }

    [Fact]
    public async Task Two_jobs_for_one_connection_feature_never_run_at_once_the_second_is_deferred()
    {
        var feature = new RecordingFeature("contacts") { Delay = TimeSpan.FromMilliseconds(500) };
        await using var world = await StartAsync(feature);
        var connection = await SeedConnectionAsync(world, "contacts", ConnectionStatus.Connected);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Runner(world).RunAsync(Job(world, connection), CancellationToken.None)));

        Assert.Equal(1, feature.MaxConcurrency);
        Assert.Equal(1, outcomes.Count(o => o == SyncRunOutcome.Completed));
        Assert.Equal(3, outcomes.Count(o => o == SyncRunOutcome.Deferred));
        Assert.Equal(3, await QueuedCountAsync(world)); // queued again, for after the running one
    }

    [Fact]
    public async Task A_job_requested_before_the_last_run_started_is_dropped_as_covered()
    {
        var feature = new RecordingFeature("contacts");
        await using var world = await StartAsync(feature);
        var connection = await SeedConnectionAsync(world, "contacts", ConnectionStatus.Connected);
        var old = Job(world, connection);
        world.Clock.Advance(TimeSpan.FromSeconds(5));
        await Runner(world).RunAsync(Job(world, connection), CancellationToken.None);

        var outcome = await Runner(world).RunAsync(old, CancellationToken.None);

        Assert.Equal(SyncRunOutcome.AlreadyCovered, outcome);
        Assert.Equal(1, feature.Runs);
    }

    [Fact]
    public async Task A_connection_that_needs_reconnecting_is_not_synced()
    {
        var feature = new RecordingFeature("contacts");
        await using var world = await StartAsync(feature);
        var connection = await SeedConnectionAsync(world, "contacts", ConnectionStatus.ReconnectNeeded);

        var outcome = await Runner(world).RunAsync(Job(world, connection), CancellationToken.None);

        Assert.Equal(SyncRunOutcome.Skipped, outcome);
        Assert.Equal(0, feature.Runs);
    }

    private static Task<BrokerWorld> StartAsync(ISyncFeature feature) =>
        BrokerWorld.StartAsync(services: s => s.RemoveAll<ISyncFeature>().AddSingleton(feature));

    private static SyncRunner Runner(BrokerWorld world) => world.Services.GetRequiredService<SyncRunner>();

    private static SyncJob Job(BrokerWorld world, Connection connection) =>
        new(connection.TenantId, connection.ConnectionId, "contacts", world.Clock.GetUtcNow(), "test");

    private static async Task<Connection> SeedConnectionAsync(BrokerWorld world, string features, string status, string missing = "")
    {
        var connection = new Connection
        {
            PartitionKey = BrokerWorld.TenantId,
            RowKey = Guid.NewGuid().ToString("N"),
            CreatioUserId = Guid.NewGuid().ToString(),
            RequestedFeatures = features,
            MissingFeatures = missing,
            Status = status,
        };
        await world.Connections.SaveAsync(connection, CancellationToken.None);
        return connection;
    }

    private static QueueClient Queue(BrokerWorld world) =>
        new(world.Settings["AzureWebJobsStorage"], world.Settings["SyncQueueName"], new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    private static async Task<List<SyncJob>> PeekJobsAsync(BrokerWorld world) =>
        [.. (await Queue(world).PeekMessagesAsync(32)).Value.Select(m => SyncQueue.Parse(m.Body.ToString())!)];

    /// <summary>Visible and delayed messages alike (a deferred job is invisible until its delay ends).</summary>
    private static async Task<int> QueuedCountAsync(BrokerWorld world) =>
        (await Queue(world).GetPropertiesAsync()).Value.ApproximateMessagesCount;

    /// <summary>The stand-in feature's own cursor state.</summary>
    private sealed class TokenState
    {
        public string? Token { get; set; }
    }

    /// <summary>A feature that records how it was called; moves the cursor's token like a real one.</summary>
    private sealed class RecordingFeature(string feature) : ISyncFeature
    {
        private int _running;
        private int _maxConcurrency;
        private int _runs;

        public string Feature { get; } = feature;
        public string NextToken { get; set; } = "token";
        public TimeSpan Delay { get; set; }
        public Exception? FailWith { get; set; }
        public int MaxConcurrency => _maxConcurrency;
        public int Runs => _runs;

        public async Task<string> SyncAsync(SyncContext context, CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _running);
            InterlockedMax(ref _maxConcurrency, now);
            Interlocked.Increment(ref _runs);
            try
            {
                await Task.Delay(Delay, cancellationToken);
                if (FailWith is not null)
                {
                    throw FailWith;
                }

                context.Cursor.WriteState(new TokenState { Token = NextToken });
                return "ok";
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int current;
            while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
            {
            }
        }
    }
}
