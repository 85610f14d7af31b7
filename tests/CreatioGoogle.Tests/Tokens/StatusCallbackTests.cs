using System.Text.Json;
using Azure.Storage.Queues;
using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Storage;
using CreatioGoogle.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CreatioGoogle.Tests.Tokens;

/// <summary>
/// Status changes reach Creatio as signed POSTs through the <c>status-callbacks</c> queue. The queue name is
/// fixed (the function's trigger), so these tests share it: they run in one class (sequentially) and each only
/// looks at its own connection's messages.
/// </summary>
public sealed class StatusCallbackTests
{
    [Fact]
    public async Task Connect_is_reported_as_a_signed_post_with_an_idempotency_id()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        await using var world = await StartAsync(receiver);
        var connection = await world.ConnectedAsync();

        var message = await TakeAsync(world, connection.ConnectionId, StatusCallbackEvents.Connected);
        await Delivery(world).DeliverAsync(message, default);

        var received = Assert.Single(receiver.Requests);
        var secret = world.Configuration["Secrets:tenant-acme-webhook-secret"]!;
        Assert.True(StatusCallbackSignature.Verify(secret, received.Headers["X-Broker-Timestamp"], received.Body, received.Headers["X-Broker-Signature"]));
        Assert.False(StatusCallbackSignature.Verify("other-secret", received.Headers["X-Broker-Timestamp"], received.Body, received.Headers["X-Broker-Signature"]));
        Assert.Equal(world.Clock.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), received.Headers["X-Broker-Timestamp"]);
        var body = JsonDocument.Parse(received.Body).RootElement;
        Assert.Equal(body.GetProperty("id").GetString(), received.Headers["Idempotency-Key"]);
        Assert.Equal("connected", body.GetProperty("event").GetString());
        Assert.Equal(connection.ConnectionId, body.GetProperty("connectionId").GetString());
        Assert.Equal(connection.CreatioUserId, body.GetProperty("creatioUserId").GetString());
        Assert.DoesNotContain("sbx-", received.Body, StringComparison.Ordinal); // no tokens in callbacks
    }

    [Fact]
    public async Task Dead_grant_is_reported_as_reconnect_needed_and_a_reconnect_as_recovered()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        // Tokens born inside the renewal window, so no clock change: the reconnect's ID token is checked against real time.
        await using var world = await StartAsync(receiver, TimeSpan.FromMinutes(10));
        var connection = await world.ConnectedAsync();
        await TakeAsync(world, connection.ConnectionId, StatusCallbackEvents.Connected);
        world.Google.RevokeAllFor("alice@example.com");

        await world.Renewal.RunAsync(default);
        var dead = await TakeAsync(world, connection.ConnectionId, StatusCallbackEvents.ReconnectNeeded);
        var token = await world.Tokens.GetAccessTokenAsync(world.Tenant, connection.ConnectionId, default);
        var reconnect = Assert.IsType<CreatioGoogle.Broker.Tokens.TokenAnswer.ReconnectNeeded>(token).Reconnect;
        var redirect = await GoogleConsent.DecideAsync(world.Browser, reconnect.AuthorizationUrl, "alice@example.com");
        await world.ConnectFlow.CompleteAsync(BrokerWorld.CallbackOf(redirect), default);
        var recovered = await TakeAsync(world, connection.ConnectionId, StatusCallbackEvents.Recovered);

        Assert.Contains("revoked", JsonDocument.Parse(dead).RootElement.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("connected", JsonDocument.Parse(recovered).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Disconnect_is_reported_and_a_failing_creatio_makes_delivery_throw_so_the_queue_retries()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        await using var world = await StartAsync(receiver);
        var connection = await world.ConnectedAsync();
        await world.CallAsync((api, r) => api.DeleteConnectionAsync(r, connection.ConnectionId, default), "DELETE");
        var message = await TakeAsync(world, connection.ConnectionId, StatusCallbackEvents.Disconnected);
        receiver.StatusCode = 500;

        // The client's retries wait on the broker's (fake) clock: let time pass while they run.
        await Assert.ThrowsAsync<HttpRequestException>(() => WhileTimePassesAsync(world, Delivery(world).DeliverAsync(message, default)));
        receiver.StatusCode = 204;
        await Delivery(world).DeliverAsync(message, default);

        // Every attempt carried the same idempotency id, so Creatio can drop the duplicates.
        Assert.True(receiver.Requests.Count >= 2);
        Assert.Single(receiver.Requests.Select(r => r.Headers["Idempotency-Key"]).Distinct());
    }

    private static Task<BrokerWorld> StartAsync(CallbackReceiver receiver, TimeSpan? tokenLifetime = null) => BrokerWorld.StartAsync(s =>
    {
        s["Tenants:acme:CallbackUrl"] = receiver.Url.ToString();
        s["Secrets:tenant-acme-webhook-secret"] = BrokerWorld.RandomText();
    }, g => g.AccessTokenLifetime = tokenLifetime ?? g.AccessTokenLifetime);

    private static async Task WhileTimePassesAsync(BrokerWorld world, Task work)
    {
        while (!work.IsCompleted)
        {
            world.Clock.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(work, Task.Delay(10));
        }

        await work;
    }

    private static StatusCallbackDelivery Delivery(BrokerWorld world) => world.Services.GetRequiredService<StatusCallbackDelivery>();

    /// <summary>Takes this connection's message of the given event off the queue (what the queue trigger would get).</summary>
    private static async Task<string> TakeAsync(BrokerWorld world, string connectionId, string kind)
    {
        var queue = world.Services.GetRequiredService<StorageAccount>().CreateQueueServiceClient().GetQueueClient(world.Settings[StatusCallbackQueue.QueueNameSetting]);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var message in (await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(1))).Value)
            {
                var text = message.Body.ToString();
                var callback = JsonSerializer.Deserialize<StatusCallback>(text, StatusCallback.Json)!;
                if (callback.ConnectionId == connectionId)
                {
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                    if (callback.Event == kind)
                    {
                        return text;
                    }
                }
            }
        }

        throw new Xunit.Sdk.XunitException($"No '{kind}' status callback for connection {connectionId} was queued.");
    }
}
