using System.Security.Cryptography;
using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Google;
using CreatioGoogle.Broker.Google.Calendar;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CreatioGoogle.Broker.Push;

/// <summary>What one renewal pass did.</summary>
public sealed record PushRenewal(int Created, int Stopped, int Failed);

/// <summary>
/// The lifecycle of Calendar watch channels, one per connection with the calendar feature (the <c>RenewPushChannels</c>
/// timer): a connection without a live channel gets one (<c>events.watch</c> of its primary calendar, a random token that is
/// stored only hashed); a channel about to expire is replaced, since channels cannot be renewed: the new one first, then the
/// old one is stopped (notifications may overlap; they coalesce into one job). Channels of connections that lost the
/// feature or need reconnecting are stopped. Polling stays the fallback for anything push misses.
/// </summary>
public sealed class CalendarPushChannels(
    PushChannelStore store,
    GoogleCalendarClient calendar,
    ConnectionStore connections,
    IOptions<PushOptions> options,
    IOptions<BrokerOptions> broker,
    TimeProvider clock,
    ILogger<CalendarPushChannels> logger) : IPushSubscriptions
{
    /// <summary>Where Google posts notifications (the <c>CalendarNotification</c> function).</summary>
    public const string Route = "api/push/calendar";

    /// <summary>A channel saved but not yet answered by Google is left alone this long (a watch in progress), then dropped.</summary>
    private static readonly TimeSpan PendingGrace = TimeSpan.FromMinutes(5);

    public Uri Address => new(broker.Value.PublicBaseUrl!, "/" + Route);

    /// <summary>Google delivers only to HTTPS addresses (the sandbox also to loopback HTTP, for local runs and tests).</summary>
    public bool CanReceive => options.Value.Enabled && (Address.Scheme == Uri.UriSchemeHttps || Address.IsLoopback);

    public async Task<PushRenewal> RenewAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var byConnection = (await store.ListAllAsync(Features.Calendar, cancellationToken))
            .GroupBy(c => c.ConnectionId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var watched = new HashSet<string>(StringComparer.Ordinal);
        int created = 0, stopped = 0, failed = 0;
        if (CanReceive)
        {
            await foreach (var connection in connections.QueryAsync($"Status ne '{ConnectionStatus.ReconnectNeeded}'", cancellationToken))
            {
                if (!WantsPush(connection))
                {
                    continue;
                }

                watched.Add(connection.ConnectionId);
                var channels = byConnection.GetValueOrDefault(connection.ConnectionId) ?? [];
                if (channels.Any(c => c.ResourceId is null && now - c.CreatedAt < PendingGrace))
                {
                    continue; // a watch is being made right now
                }

                var keep = channels.Where(c => c.ResourceId is not null && c.ExpiresAt - now > options.Value.RenewBefore).MaxBy(c => c.ExpiresAt);
                if (keep is null)
                {
                    try
                    {
                        keep = await CreateAsync(connection, cancellationToken);
                        created++;
                    }
                    catch (Exception e) when (e is GoogleApiException or GoogleReconnectNeededException)
                    {
                        // Not fatal: the sync keeps polling, the next pass tries again.
                        logger.LogWarning("Calendar watch for connection {Connection} failed: {Error}", connection.ConnectionId, e.Message);
                        failed++;
                        continue;
                    }
                }

                foreach (var old in channels.Where(c => c.ChannelId != keep.ChannelId))
                {
                    await StopAsync(connection.TenantId, old, cancellationToken);
                    stopped++;
                }
            }
        }

        // Channels nobody should have any more: the connection is gone, needs reconnecting, lost the feature, or push is off.
        foreach (var channel in byConnection.Where(kv => !watched.Contains(kv.Key)).SelectMany(kv => kv.Value))
        {
            await StopAsync(channel.TenantId, channel, cancellationToken);
            stopped++;
        }

        logger.LogInformation("Calendar push channels: {Created} created, {Stopped} stopped, {Failed} failed", created, stopped, failed);
        return new PushRenewal(created, stopped, failed);
    }

    public async Task StopAllAsync(string tenantId, string connectionId, CancellationToken cancellationToken)
    {
        foreach (var channel in await store.ListAsync(connectionId, Features.Calendar, cancellationToken))
        {
            await StopAsync(tenantId, channel, cancellationToken);
        }
    }

    private async Task<PushChannel> CreateAsync(Connection connection, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var channel = new PushChannel
        {
            TenantId = connection.TenantId,
            ConnectionId = connection.ConnectionId,
            Feature = Features.Calendar,
            ChannelId = Guid.NewGuid().ToString("N"),
            TokenHash = PushChannel.HashToken(token),
            CreatedAt = now,
            ExpiresAt = now + options.Value.ChannelLifetime,
        };

        // Saved before the watch: Google's first ("sync") message can arrive before its answer, and must be accepted.
        await store.SaveAsync(channel, ct);
        try
        {
            var answer = await calendar.WatchEventsAsync(new GoogleConnection(connection.TenantId, connection.ConnectionId), channel.ChannelId, Address, token,
                channel.ExpiresAt, ct);
            channel.ResourceId = answer.ResourceId;
            channel.ExpiresAt = answer.Expiration;
        }
        catch
        {
            await store.DeleteAsync(channel, CancellationToken.None);
            throw;
        }

        await store.SaveAsync(channel, ct);
        logger.LogInformation("Calendar watch channel {Channel} for connection {Connection} expires {Expiration:u}", channel.ChannelId, connection.ConnectionId,
            channel.ExpiresAt);
        return channel;
    }

    /// <summary>Stops the channel at Google (best effort: it may be gone, or the grant with it) and forgets it.</summary>
    private async Task StopAsync(string tenantId, PushChannel channel, CancellationToken ct)
    {
        if (channel.ResourceId is not null)
        {
            try
            {
                await calendar.StopChannelAsync(new GoogleConnection(tenantId, channel.ConnectionId), channel.ChannelId, channel.ResourceId, ct);
            }
            catch (Exception e) when (e is GoogleApiException or GoogleReconnectNeededException)
            {
                logger.LogInformation("Stopping calendar channel {Channel} of {Connection}: {Error}", channel.ChannelId, channel.ConnectionId, e.Message);
            }
        }

        await store.DeleteAsync(channel, ct);
    }

    private static bool WantsPush(Connection connection) =>
        connection.Features.Contains(Features.Calendar) && !connection.Missing.Contains(Features.Calendar)
        && Features.IsGranted(Features.Calendar, connection.Scopes.ToHashSet(StringComparer.Ordinal));
}
