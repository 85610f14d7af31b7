using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Secrets;
using CreatioGoogle.Tests.Infrastructure;

namespace CreatioGoogle.Tests.Tokens;

/// <summary>The <c>RenewTokens</c> timer's job, run directly against Azurite and the sandbox Google.</summary>
public sealed class TokenRenewalTests
{
    [Fact]
    public async Task Renewal_refreshes_tokens_expiring_within_the_window_and_leaves_the_others()
    {
        await using var world = await BrokerWorld.StartAsync();
        var early = await world.ConnectedAsync("alice@example.com");
        var late = await world.ConnectedAsync("bob@example.com");
        late.AccessTokenExpiresAt += TimeSpan.FromMinutes(30); // as if refreshed half an hour later
        await world.Connections.SaveAsync(late, default);
        world.Clock.Advance(TimeSpan.FromMinutes(50)); // early: ~10 min left (inside 15); late: ~40 min left

        var report = await world.Renewal.RunAsync(default);

        Assert.Equal(1, report.Refreshed);
        Assert.Equal(1, world.Google.RefreshCount);
        var renewed = await world.ReloadAsync(early);
        Assert.True(renewed.AccessTokenExpiresAt > world.Clock.GetUtcNow().AddMinutes(55));
        Assert.True(world.Google.IsAccessTokenValid((await world.Connections.ReadAccessTokenAsync(renewed, default))!));
        Assert.Equal(late.ETag, (await world.ReloadAsync(late)).ETag);
    }

    [Fact]
    public async Task Unused_connection_is_refreshed_once_a_day_even_when_its_token_is_long_lived()
    {
        await using var world = await BrokerWorld.StartAsync(google: g => g.AccessTokenLifetime = TimeSpan.FromDays(3));
        var connection = await world.ConnectedAsync();
        world.Clock.Advance(TimeSpan.FromHours(23));
        var before = await world.Renewal.RunAsync(default);
        world.Clock.Advance(TimeSpan.FromHours(1));

        var after = await world.Renewal.RunAsync(default);

        Assert.Equal(0, before.Refreshed);
        Assert.Equal(1, after.Refreshed);
        Assert.Equal(world.Clock.GetUtcNow(), (await world.ReloadAsync(connection)).LastRenewedAt);
    }

    [Fact]
    public async Task Revoked_grant_becomes_reconnect_needed_keeps_its_refresh_token_and_is_not_retried()
    {
        await using var world = await BrokerWorld.StartAsync();
        var connection = await world.ConnectedAsync();
        var refreshToken = await world.Connections.ReadRefreshTokenAsync(connection, default);
        world.Google.RevokeAllFor("alice@example.com");
        world.Clock.Advance(TimeSpan.FromMinutes(50));

        var first = await world.Renewal.RunAsync(default);
        world.Clock.Advance(TimeSpan.FromMinutes(5));
        var second = await world.Renewal.RunAsync(default);

        Assert.Equal(1, first.ReconnectNeeded);
        var stored = await world.ReloadAsync(connection);
        Assert.Equal(ConnectionStatus.ReconnectNeeded, stored.Status);
        Assert.Equal("invalid_grant", stored.LastError);
        Assert.Contains("revoked", stored.StatusReason, StringComparison.Ordinal);
        Assert.Equal(refreshToken, await world.Connections.ReadRefreshTokenAsync(stored, default));
        Assert.Equal(0, second.Scanned);
        Assert.Equal(1, world.Google.RefreshCount);
    }

    [Fact]
    public async Task Grant_dying_seven_days_after_consent_is_reported_as_testing_mode()
    {
        await using var world = await BrokerWorld.StartAsync(google: g => g.TestingMode = true);
        var connection = await world.ConnectedAsync();
        world.Clock.Advance(TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));

        await world.Renewal.RunAsync(default);

        var stored = await world.ReloadAsync(connection);
        Assert.Equal(ConnectionStatus.ReconnectNeeded, stored.Status);
        Assert.Contains("'Testing' publishing status", stored.StatusReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Throttling_backs_off_past_retry_after_and_counts_one_failure_per_day()
    {
        await using var world = await BrokerWorld.StartAsync();
        var connection = await world.ConnectedAsync();
        world.Google.InjectTokenEndpointFailures(1000, 429, TimeSpan.FromMinutes(10));
        var today = world.Clock.GetUtcNow();
        world.Clock.SetUtcNow(new DateTimeOffset(today.UtcDateTime.Date.AddDays(1).AddHours(1), TimeSpan.Zero)); // no midnight within the test
        var failedAt = world.Clock.GetUtcNow();

        var first = await world.Renewal.RunAsync(default);
        var afterFirst = await world.ReloadAsync(connection);
        world.Clock.Advance(TimeSpan.FromMinutes(5));
        var during = await world.Renewal.RunAsync(default);
        world.Clock.Advance(TimeSpan.FromMinutes(8));
        var second = await world.Renewal.RunAsync(default);
        var afterSecond = await world.ReloadAsync(connection);
        world.Clock.Advance(TimeSpan.FromDays(1));
        await world.Renewal.RunAsync(default);
        var nextDay = await world.ReloadAsync(connection);

        Assert.Equal(1, first.Failed);
        Assert.True(afterFirst.RetryNotBefore >= failedAt.AddMinutes(10), "Retry-After must be honoured");
        Assert.True(afterFirst.RetryNotBefore <= failedAt.AddMinutes(10 * 1.25 + 0.1), "jitter stays bounded");
        Assert.Equal(1, afterFirst.FailureCount);
        Assert.Equal("rate_limit_exceeded", afterFirst.LastError);
        Assert.Equal(1, during.BackingOff);
        Assert.Equal(1, second.Failed);
        Assert.Equal(1, afterSecond.FailureCount); // same day: not counted again
        Assert.Equal(2, nextDay.FailureCount);
        Assert.Equal(ConnectionStatus.Connected, nextDay.Status); // an outage never marks a connection dead
        Assert.Equal(3, world.Google.RefreshCount);
    }

    [Fact]
    public async Task New_refresh_token_in_a_refresh_response_replaces_the_old_one()
    {
        await using var world = await BrokerWorld.StartAsync(google: g => g.RotateRefreshTokens = true);
        var connection = await world.ConnectedAsync();
        var old = await world.Connections.ReadRefreshTokenAsync(connection, default);
        world.Clock.Advance(TimeSpan.FromMinutes(50));

        await world.Renewal.RunAsync(default);
        world.Clock.Advance(TimeSpan.FromMinutes(50));
        var again = await world.Renewal.RunAsync(default);

        var stored = await world.ReloadAsync(connection);
        Assert.NotEqual(old, await world.Connections.ReadRefreshTokenAsync(stored, default));
        Assert.Equal(1, again.Refreshed); // the old one is retired at Google; only the stored new one works
        Assert.Equal(ConnectionStatus.Connected, stored.Status);
    }

    [Fact]
    public async Task Rotated_encryption_key_is_used_for_new_writes_old_rows_stay_readable_and_renewal_reencrypts_them()
    {
        await using var world = await BrokerWorld.StartAsync();
        var connection = await world.ConnectedAsync();
        var refreshToken = await world.Connections.ReadRefreshTokenAsync(connection, default);
        var oldKey = world.Configuration["Secrets:token-encryption-key"]!;
        var oldVersion = LocalSecretStore.VersionOf(oldKey);
        var newKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        world.Configuration[$"SecretVersions:token-encryption-key:{oldVersion}"] = oldKey;
        world.Configuration["Secrets:token-encryption-key"] = newKey;

        var beforeRenewal = await world.CallAsync((api, r) => api.GetTokenAsync(r, connection.ConnectionId, default), "POST");
        var report = await world.Renewal.RunAsync(default);
        world.Configuration[$"SecretVersions:token-encryption-key:{oldVersion}"] = null; // the old key retired

        Assert.Equal(200, beforeRenewal.Status);
        Assert.Equal(1, report.Reencrypted);
        var stored = await world.ReloadAsync(connection);
        Assert.Equal(LocalSecretStore.VersionOf(newKey), stored.RefreshTokenKeyVersion);
        Assert.Equal(LocalSecretStore.VersionOf(newKey), stored.AccessTokenKeyVersion);
        Assert.Equal(refreshToken, await world.Connections.ReadRefreshTokenAsync(stored, default));
        var afterRetirement = await world.CallAsync((api, r) => api.GetTokenAsync(r, connection.ConnectionId, default), "POST");
        Assert.Equal(200, afterRetirement.Status);
        Assert.Equal(0, world.Google.RefreshCount); // re-encryption needs no call to Google
    }
}
