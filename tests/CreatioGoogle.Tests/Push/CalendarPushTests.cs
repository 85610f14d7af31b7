using System.Net;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Google;
using CreatioGoogle.Broker.OAuth;
using CreatioGoogle.Broker.Push;
using CreatioGoogle.Broker.Sync;
using CreatioGoogle.Sandbox.Creatio;
using CreatioGoogle.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CreatioGoogle.Tests.Push;

/// <summary>
/// Calendar push notifications: the receiver's checks (unknown channel, wrong token, the sync message, a burst), the channels'
/// lifecycle at the sandbox Google (made, replaced before expiry, stopped on disconnect), and the whole path over real HTTP.
/// </summary>
public sealed class CalendarPushTests
{
    private const string Token = "the-channel-token";

    [Fact]
    public async Task A_notification_for_an_unknown_channel_is_404_one_with_a_wrong_token_is_401_and_neither_queues_anything()
    {
        await using var world = await BrokerWorld.StartAsync();
        var connection = await world.ConnectedAsync(features: Features.Calendar);
        await SeedChannelAsync(world, connection, "channel-1");

        Assert.Equal(404, await ReceiveAsync(world, "no-such-channel", Token, "exists"));
        Assert.Equal(401, await ReceiveAsync(world, "channel-1", "a-guessed-token", "exists"));
        Assert.Equal(401, await ReceiveAsync(world, "channel-1", null, "exists"));
        Assert.Equal(400, await ReceiveAsync(world, "", Token, "exists"));

        Assert.Equal(0, await QueuedAsync(world));
    }

    [Fact]
    public async Task The_sync_message_is_acknowledged_without_a_sync_and_a_burst_of_changes_queues_one_job_until_a_run_starts()
    {
        await using var world = await BrokerWorld.StartAsync();
        var connection = await world.ConnectedAsync(features: Features.Calendar);
        await SeedChannelAsync(world, connection, "channel-1");

        Assert.Equal(200, await ReceiveAsync(world, "channel-1", Token, "sync"));
        Assert.Equal(0, await QueuedAsync(world));

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => ReceiveAsync(world, "channel-1", Token, "exists")));
        Assert.All(answers, a => Assert.Equal(200, a));
        var job = Assert.Single(await PeekAsync(world));
        Assert.Equal((connection.ConnectionId, Features.Calendar, "push"), (job.ConnectionId, job.Feature, job.Reason));

        // A run starts (its lease marks the start): the next change may have come after it listed, so it queues the next job.
        world.Clock.Advance(TimeSpan.FromSeconds(1));
        var cursor = await world.Services.GetRequiredService<CursorStore>().TryAcquireAsync(job, null, TimeSpan.FromMinutes(5), CancellationToken.None);
        Assert.NotNull(cursor);
        world.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(200, await ReceiveAsync(world, "channel-1", Token, "exists"));
        Assert.Equal(2, (await PeekAsync(world)).Count);
    }

    [Fact]
    public async Task The_timer_watches_each_calendar_connection_once_replaces_a_channel_before_it_expires_and_stops_the_old_one()
    {
        await using var world = await BrokerWorld.StartAsync(new Uri($"http://127.0.0.1:{CreatioGoogle.Sandbox.LoopbackHost.FreePort()}"), null);
        var calendar = await world.ConnectedAsync(features: Features.Calendar);
        await world.ConnectedAsync("bob@example.com", Features.Mail);
        var channels = world.Services.GetRequiredService<CalendarPushChannels>();
        var store = world.Services.GetRequiredService<PushChannelStore>();

        Assert.Equal(new PushRenewal(1, 0, 0), await channels.RenewAsync(CancellationToken.None));
        Assert.Equal(new PushRenewal(0, 0, 0), await channels.RenewAsync(CancellationToken.None));
        var first = Assert.Single(await store.ListAsync(calendar.ConnectionId, Features.Calendar, CancellationToken.None));
        var atGoogle = Assert.Single(world.Google.Calendar.Channels);
        Assert.Equal((first.ChannelId, first.ResourceId, first.ExpiresAt), (atGoogle.Id, atGoogle.ResourceId, atGoogle.Expiration));
        Assert.Equal(new Uri(world.PublicBaseUrl, "/api/push/calendar"), atGoogle.Address);
        Assert.NotEqual(PushChannel.HashToken(""), first.TokenHash);

        // Six and a half days on, the seven-day channel is within a day of its end: a new one, then the old one stopped.
        world.Clock.Advance(TimeSpan.FromDays(6.5));
        Assert.Equal(new PushRenewal(1, 1, 0), await channels.RenewAsync(CancellationToken.None));
        var second = Assert.Single(await store.ListAsync(calendar.ConnectionId, Features.Calendar, CancellationToken.None));
        Assert.NotEqual(first.ChannelId, second.ChannelId);
        Assert.NotNull(world.Google.Calendar.Channels.Single(c => c.Id == first.ChannelId).StoppedAt);
        Assert.Null(await store.FindAsync(first.ChannelId, CancellationToken.None));
        Assert.Null(world.Google.Calendar.Channels.Single(c => c.Id == second.ChannelId).StoppedAt);
    }

    [Fact]
    public async Task Disconnect_stops_the_channel_at_Google_before_revoking_and_forgets_it()
    {
        await using var world = await BrokerWorld.StartAsync(new Uri($"http://127.0.0.1:{CreatioGoogle.Sandbox.LoopbackHost.FreePort()}"), null);
        var connection = await world.ConnectedAsync(features: Features.Calendar);
        await world.Services.GetRequiredService<CalendarPushChannels>().RenewAsync(CancellationToken.None);
        var channel = Assert.Single(world.Google.Calendar.Channels);

        Assert.Equal(DisconnectOutcome.Disconnected, (await world.Services.GetRequiredService<DisconnectFlow>().DisconnectAsync(world.Tenant, connection.ConnectionId, CancellationToken.None)).Outcome);

        Assert.NotNull(world.Google.Calendar.Channels.Single().StoppedAt);
        Assert.Equal(1, world.Google.Calendar.CallCount("calendar.channels.stop"));
        Assert.Null(await world.Services.GetRequiredService<PushChannelStore>().FindAsync(channel.Id, CancellationToken.None));
        Assert.Empty(await world.Services.GetRequiredService<PushChannelStore>().ListAsync(connection.ConnectionId, null, CancellationToken.None));
    }

    [Fact]
    public async Task A_connection_that_needs_reconnecting_loses_its_channel_and_none_is_made_while_push_is_off()
    {
        await using var world = await BrokerWorld.StartAsync(new Uri($"http://127.0.0.1:{CreatioGoogle.Sandbox.LoopbackHost.FreePort()}"), null);
        var connection = await world.ConnectedAsync(features: Features.Calendar);
        var channels = world.Services.GetRequiredService<CalendarPushChannels>();
        await channels.RenewAsync(CancellationToken.None);
        var channel = world.Google.Calendar.Channels.Single();

        // Without a live grant the channel cannot be stopped at Google: it is forgotten, so what it still delivers is refused (404).
        connection = await world.ReloadAsync(connection);
        connection.Status = ConnectionStatus.ReconnectNeeded;
        await world.Connections.SaveAsync(connection, CancellationToken.None);
        Assert.Equal(new PushRenewal(0, 1, 0), await channels.RenewAsync(CancellationToken.None));
        Assert.Null(await world.Services.GetRequiredService<PushChannelStore>().FindAsync(channel.Id, CancellationToken.None));
        Assert.Equal(0, world.Google.Calendar.CallCount("calendar.channels.stop"));

        await using var off = await BrokerWorld.StartAsync(new Uri($"http://127.0.0.1:{CreatioGoogle.Sandbox.LoopbackHost.FreePort()}"), s => s["Push:Enabled"] = "false");
        await off.ConnectedAsync(features: Features.Calendar);
        Assert.Equal(new PushRenewal(0, 0, 0), await off.Services.GetRequiredService<CalendarPushChannels>().RenewAsync(CancellationToken.None));
        Assert.Empty(off.Google.Calendar.Channels);
    }

    [Fact]
    public async Task A_change_in_Google_reaches_Creatio_through_the_channel_the_receiver_and_the_queue_over_real_HTTP()
    {
        var creatioOptions = new SandboxCreatioOptions();
        creatioOptions.Users.Add(new SandboxCreatioUser("Integration", "integration-password"));
        creatioOptions.Users.Add(new SandboxCreatioUser("Alice", "alice-password"));
        await using var creatio = await SandboxCreatio.StartAsync(creatioOptions);
        var aliceUnit = creatio.Rows("SysAdminUnit").Single(r => r["Name"]!.GetValue<string>() == "Alice")["Id"]!.GetValue<string>();
        await using var broker = await RunningBroker.StartAsync(s =>
        {
            s["Tenants:acme:CreatioUrl"] = creatio.BaseUrl.ToString();
            s["Secrets:tenant-acme-creatio-user"] = "Integration";
            s["Secrets:tenant-acme-creatio-password"] = "integration-password";
            // The test makes the channel itself; the timers must not race it.
            s["RenewPushChannelsSchedule"] = "0 0 0 1 1 *";
            s["ScheduleSyncsSchedule"] = "0 0 0 1 1 *";
        });
        var (connectionId, authorizationUrl) = await broker.CreateConnectionAsync(RunningBroker.ConnectBody(aliceUnit, "calendar"));
        using (var callback = await broker.Browser.GetAsync(await GoogleConsent.DecideAsync(broker.Browser, authorizationUrl, "alice@example.com")))
        {
            Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        }

        Assert.Equal(1, (await broker.Services.GetRequiredService<CalendarPushChannels>().RenewAsync(CancellationToken.None)).Created);
        var sync = await broker.Google.Calendar.WaitForNotificationsAsync(n => n.Any(x => x.ResourceState == "sync"));
        Assert.Equal(200, sync.Single().StatusCode);

        var start = DateTimeOffset.UtcNow.Date.AddDays(1).AddHours(9);
        broker.Google.Calendar.UserCreate("alice@example.com", new JsonObject
        {
            ["summary"] = "Pushed",
            ["start"] = new JsonObject { ["dateTime"] = start.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'") },
            ["end"] = new JsonObject { ["dateTime"] = start.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'") },
        });
        var delivered = await broker.Google.Calendar.WaitForNotificationsAsync(n => n.Any(x => x.ResourceState == "exists"));
        Assert.Equal(200, delivered.Single(n => n.ResourceState == "exists").StatusCode);

        var cursors = broker.Services.GetRequiredService<CursorStore>();
        Cursor? cursor = null;
        for (var attempt = 0; attempt < 150 && cursor?.LastSuccessAt is null; attempt++)
        {
            await Task.Delay(100);
            cursor = await cursors.GetAsync(connectionId, Features.Calendar, CancellationToken.None);
        }

        Assert.True(cursor?.LastSuccessAt is not null, $"the pushed sync did not complete: {cursor?.LastError}");
        Assert.Contains(creatio.Rows("Activity"), a => a["Title"]!.GetValue<string>() == "Pushed");
    }

    private static async Task SeedChannelAsync(BrokerWorld world, Connection connection, string channelId) =>
        await world.Services.GetRequiredService<PushChannelStore>().SaveAsync(new PushChannel
        {
            TenantId = connection.TenantId,
            ConnectionId = connection.ConnectionId,
            Feature = Features.Calendar,
            ChannelId = channelId,
            ResourceId = "resource-1",
            TokenHash = PushChannel.HashToken(Token),
            CreatedAt = world.Clock.GetUtcNow(),
            ExpiresAt = world.Clock.GetUtcNow().AddDays(7),
        }, CancellationToken.None);

    /// <summary>A notification as Google posts it: no body, X-Goog-* headers; the receiver's status code.</summary>
    private static async Task<int> ReceiveAsync(BrokerWorld world, string channelId, string? token, string state)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Headers["X-Goog-Channel-ID"] = channelId;
        if (token is not null)
        {
            context.Request.Headers["X-Goog-Channel-Token"] = token;
        }

        context.Request.Headers["X-Goog-Resource-State"] = state;
        context.Request.Headers["X-Goog-Resource-ID"] = "resource-1";
        context.Request.Headers["X-Goog-Message-Number"] = "7";
        var result = await world.Services.GetRequiredService<CalendarNotifications>().ReceiveAsync(context.Request, CancellationToken.None);
        return ((IStatusCodeActionResult)result).StatusCode ?? 200;
    }

    private static QueueClient Queue(BrokerWorld world) =>
        new(world.Settings["AzureWebJobsStorage"], world.Settings["SyncQueueName"], new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    private static async Task<int> QueuedAsync(BrokerWorld world)
    {
        await Queue(world).CreateIfNotExistsAsync();
        return (await Queue(world).GetPropertiesAsync()).Value.ApproximateMessagesCount;
    }

    private static async Task<List<SyncJob>> PeekAsync(BrokerWorld world) =>
        [.. (await Queue(world).PeekMessagesAsync(32)).Value.Select(m => SyncQueue.Parse(m.Body.ToString())!)];
}
