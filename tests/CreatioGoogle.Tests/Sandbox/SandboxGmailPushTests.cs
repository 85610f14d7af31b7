using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CreatioGoogle.Sandbox.Google.Gmail;
using CreatioGoogle.Sandbox.Google.PubSub;
using CreatioGoogle.Tests.Infrastructure;
using Google.Apis.Auth;
using static CreatioGoogle.Tests.Sandbox.GmailSandboxWorld;

namespace CreatioGoogle.Tests.Sandbox;

/// <summary>users.watch and the Pub/Sub push it causes, received by a real HTTP endpoint and checked with Google.Apis.Auth.</summary>
public sealed class SandboxGmailPushTests
{
    private const string Audience = "https://broker.example.net/api/gmail/push";

    [Fact]
    public async Task Watch_needs_a_topic_of_the_project_that_gmail_may_publish_to_and_one_watch_per_user()
    {
        await using var world = await StartAsync();
        var pubSub = world.Gmail.PubSub;
        var topic = pubSub.CreateTopic("gmail");
        var other = pubSub.CreateTopic("other");
        var ungranted = pubSub.CreateTopic("no-grant", grantGmailPublisher: false);

        var foreignProject = await WatchAsync(world, "projects/someone-else/topics/gmail");
        var missing = await WatchAsync(world, $"projects/{pubSub.ProjectId}/topics/nope");
        var noGrant = await WatchAsync(world, ungranted);
        var ok = await WatchAsync(world, topic, [GmailLabels.Inbox]);
        var second = await WatchAsync(world, other);
        world.Clock.Advance(TimeSpan.FromHours(20));
        var renewed = await WatchAsync(world, topic, [GmailLabels.Inbox]);

        Assert.Equal(HttpStatusCode.BadRequest, foreignProject.Status);
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal(HttpStatusCode.Forbidden, noGrant.Status);
        Assert.Contains("User not authorized to perform this action", noGrant.Text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, ok.Status);
        Assert.Equal(world.Gmail.HistoryId(Alice).ToString(CultureInfo.InvariantCulture), ok.Body["historyId"]!.GetValue<string>());
        var expiration = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(ok.Body["expiration"]!.GetValue<string>(), CultureInfo.InvariantCulture));
        Assert.Equal(world.Clock.GetUtcNow() - TimeSpan.FromHours(20) + TimeSpan.FromDays(7), expiration);
        Assert.Equal(HttpStatusCode.BadRequest, second.Status);
        Assert.Contains("Only one user push notification client allowed", second.Text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, renewed.Status);
        Assert.Equal(world.Clock.GetUtcNow() + TimeSpan.FromDays(7), world.Gmail.Watch(Alice)!.Expiration);

        // stop ends it (50 units; watch is 100); then another topic is fine; an expired watch is gone.
        world.Gmail.ResetCounters();
        Assert.Equal(HttpStatusCode.NoContent, (await world.PostAsync("gmail/v1/users/me/stop", null)).Status);
        Assert.Null(world.Gmail.Watch(Alice));
        Assert.Equal(HttpStatusCode.OK, (await WatchAsync(world, other)).Status);
        Assert.Equal(150, world.Gmail.UnitsUsed(Alice));
        world.Clock.Advance(TimeSpan.FromDays(7) + TimeSpan.FromSeconds(1));
        Assert.Null(world.Gmail.Watch(Alice));
    }

    [Fact]
    public async Task A_change_is_pushed_with_the_new_history_id_and_an_oidc_token_signed_by_the_sandboxs_google_key()
    {
        // Google.Apis.Auth checks expiry against the real clock: the simulator starts there.
        await using var world = await StartAsync(DateTimeOffset.UtcNow);
        await using var endpoint = await CallbackReceiver.StartAsync();
        var topic = Subscribe(world, endpoint);
        Assert.Equal(HttpStatusCode.OK, (await WatchAsync(world, topic, [GmailLabels.Inbox])).Status);

        world.Gmail.Deliver(Alice, Mail("push me"));
        await world.Gmail.PubSub.WhenIdleAsync();

        var request = Assert.Single(endpoint.Requests);
        var body = JsonNode.Parse(request.Body)!;
        var message = body["message"]!;
        Assert.Equal($"projects/{world.Gmail.PubSub.ProjectId}/subscriptions/broker-push", body["subscription"]!.GetValue<string>());
        Assert.Equal(message["messageId"]!.GetValue<string>(), message["message_id"]!.GetValue<string>());
        Assert.Equal(message["publishTime"]!.GetValue<string>(), message["publish_time"]!.GetValue<string>());
        Assert.Empty(message["attributes"]!.AsObject());
        var data = JsonNode.Parse(Convert.FromBase64String(message["data"]!.GetValue<string>()))!;
        Assert.Equal(Alice, data["emailAddress"]!.GetValue<string>());
        Assert.Equal(world.Gmail.HistoryId(Alice), data["historyId"]!.GetValue<ulong>());

        // The pushed id is the mailbox's NEW id: history from it is empty (facts §0 trap 4).
        var fromPushed = await world.GetAsync($"gmail/v1/users/me/history?startHistoryId={data["historyId"]}");
        Assert.Null(fromPushed.Body["history"]);

        var payload = await VerifyAsync(world, BearerOf(request));
        Assert.Equal("https://accounts.google.com", payload.Issuer);
        Assert.Equal(Audience, payload.Audience);
        Assert.Equal("gmail-push@sandbox-project.iam.gserviceaccount.com", payload.Email);
        Assert.True(payload.EmailVerified);
        Assert.Matches("^[0-9]{21}$", payload.Subject);
        Assert.Equal(3600, payload.ExpirationTimeSeconds - payload.IssuedAtTimeSeconds);
        Assert.Equal(payload.Subject, Claims(BearerOf(request))["azp"]!.GetValue<string>());

        var delivery = Assert.Single(world.Gmail.PubSub.Deliveries);
        Assert.True(delivery.Acknowledged);
        Assert.Equal(1, delivery.Attempt);
        Assert.Equal(message["messageId"]!.GetValue<string>(), delivery.MessageId);
    }

    [Fact]
    public async Task Changes_are_coalesced_to_at_most_one_notification_per_interval_per_user()
    {
        await using var world = await StartAsync();
        await using var endpoint = await CallbackReceiver.StartAsync();
        var topic = Subscribe(world, endpoint);
        world.Gmail.PubSub.NotificationInterval = TimeSpan.FromMilliseconds(500);
        await WatchAsync(world, topic);
        await WatchAsync(world, topic, token: world.TokenFor(Bob, Readonly));

        var burst = Stopwatch.StartNew();
        for (var i = 0; i < 10; i++)
        {
            world.Gmail.Deliver(Alice, Mail($"burst {i}"));
        }

        burst.Stop();
        world.Gmail.Deliver(Bob, Mail("for bob", to: Bob));
        await world.Gmail.PubSub.WhenIdleAsync();

        // One right away, then at most one per interval while the burst lasts, then one for what came since:
        // the last one published names the mailbox's final id. (Deliveries may complete out of order, as at Pub/Sub.)
        var published = world.Gmail.PubSub.Published.Where(p => p.EmailAddress == Alice).ToList();
        Assert.InRange(published.Count, 1, 2 + (int)(burst.Elapsed / TimeSpan.FromMilliseconds(500)));
        Assert.Equal(world.Gmail.HistoryId(Alice), published[^1].HistoryId);
        Assert.Equal(published.Count, world.Gmail.PubSub.Deliveries.Count(d => d.EmailAddress == Alice));
        Assert.Equal(world.Gmail.HistoryId(Bob), Assert.Single(world.Gmail.PubSub.Deliveries, d => d.EmailAddress == Bob).HistoryId);
    }

    [Fact]
    public async Task Only_changes_the_label_filter_covers_are_published()
    {
        await using var world = await StartAsync();
        await using var endpoint = await CallbackReceiver.StartAsync();
        var topic = Subscribe(world, endpoint);
        world.Gmail.PubSub.NotificationInterval = TimeSpan.Zero;
        await WatchAsync(world, topic, [GmailLabels.Inbox]);

        world.Gmail.DeliverSent(Alice, Mail("sent by alice", from: Alice));
        await world.Gmail.PubSub.WhenIdleAsync();
        Assert.Empty(endpoint.Requests);

        world.Gmail.Deliver(Alice, Mail("to the inbox"));
        await world.Gmail.PubSub.WhenIdleAsync();
        Assert.Single(endpoint.Requests);

        // exclude: everything but spam.
        await world.PostAsync("gmail/v1/users/me/stop", null);
        await WatchAsync(world, topic, [GmailLabels.Spam], "exclude");
        world.Gmail.Deliver(Alice, Mail("junk"), [GmailLabels.Spam]);
        await world.Gmail.PubSub.WhenIdleAsync();
        Assert.Single(endpoint.Requests);
        world.Gmail.DeliverSent(Alice, Mail("sent again", from: Alice));
        await world.Gmail.PubSub.WhenIdleAsync();
        Assert.Equal(2, endpoint.Requests.Count);
    }

    [Fact]
    public async Task A_failing_endpoint_is_retried_with_back_off_a_bounded_number_of_times_and_recovery_ends_the_retries()
    {
        await using var world = await StartAsync();
        await using var endpoint = await CallbackReceiver.StartAsync();
        var topic = Subscribe(world, endpoint);
        var pubSub = world.Gmail.PubSub;
        pubSub.NotificationInterval = TimeSpan.Zero;
        pubSub.MaxDeliveryAttempts = 3;
        pubSub.InitialRetryDelay = TimeSpan.FromMilliseconds(50);
        await WatchAsync(world, topic);
        endpoint.StatusCode = 503;

        world.Gmail.Deliver(Alice, Mail("nobody home"));
        await pubSub.WhenIdleAsync();

        var failed = pubSub.Deliveries;
        Assert.Equal([1, 2, 3], failed.Select(d => d.Attempt));
        Assert.Single(failed.Select(d => d.MessageId).Distinct());
        Assert.All(failed, d => Assert.Equal(503, d.StatusCode));
        Assert.DoesNotContain(failed, d => d.Acknowledged);

        pubSub.MaxDeliveryAttempts = 10;
        pubSub.InitialRetryDelay = TimeSpan.FromMilliseconds(300);
        endpoint.StatusCode = 500;
        world.Gmail.Deliver(Alice, Mail("try again"));
        await WaitUntilAsync(() => endpoint.Requests.Count > 3);
        endpoint.StatusCode = 204;
        await pubSub.WhenIdleAsync();

        var second = pubSub.Deliveries.Skip(3).ToList();
        Assert.InRange(second.Count, 2, 9);
        Assert.True(second[^1].Acknowledged);
        Assert.All(second.SkipLast(1), d => Assert.False(d.Acknowledged));
    }

    [Fact]
    public async Task Push_tokens_of_the_bad_kinds_are_refused_by_googles_library_and_a_valid_one_passes()
    {
        // Google.Apis.Auth checks expiry against the real clock: the simulator starts there.
        await using var world = await StartAsync(DateTimeOffset.UtcNow);
        await using var endpoint = await CallbackReceiver.StartAsync();
        var topic = Subscribe(world, endpoint);
        await WatchAsync(world, topic);

        async Task<string?> TokenSentWith(PushTokenMode mode)
        {
            var delivery = Assert.Single(await world.Gmail.PushNowAsync(Alice, mode));
            Assert.Equal(mode, delivery.TokenMode);
            return endpoint.Requests.Last().Headers.TryGetValue("Authorization", out var header) ? header["Bearer ".Length..] : null;
        }

        var valid = await TokenSentWith(PushTokenMode.Valid);
        var forged = await TokenSentWith(PushTokenMode.Forged);
        var expired = await TokenSentWith(PushTokenMode.Expired);
        var wrongAudience = await TokenSentWith(PushTokenMode.WrongAudience);
        var wrongIssuer = await TokenSentWith(PushTokenMode.WrongIssuer);
        var wrongEmail = await TokenSentWith(PushTokenMode.WrongEmail);
        var unverified = await TokenSentWith(PushTokenMode.UnverifiedEmail);
        var missing = await TokenSentWith(PushTokenMode.Missing);

        await VerifyAsync(world, valid!);
        await Assert.ThrowsAsync<InvalidJwtException>(() => VerifyAsync(world, forged!));
        await Assert.ThrowsAsync<InvalidJwtException>(() => VerifyAsync(world, expired!));
        await Assert.ThrowsAsync<InvalidJwtException>(() => VerifyAsync(world, wrongAudience!));
        await Assert.ThrowsAsync<InvalidJwtException>(() => VerifyAsync(world, wrongIssuer!));

        // Signature, issuer, audience and expiry are the library's; the e-mail claims are the endpoint's own check.
        Assert.NotEqual("gmail-push@sandbox-project.iam.gserviceaccount.com", (await VerifyAsync(world, wrongEmail!)).Email);
        Assert.False((await VerifyAsync(world, unverified!)).EmailVerified);
        Assert.Null(missing);

        // The mode also applies to the pushes Gmail makes on its own.
        world.Gmail.PubSub.TokenMode = PushTokenMode.Forged;
        world.Gmail.Deliver(Alice, Mail("forged push"));
        await world.Gmail.PubSub.WhenIdleAsync();
        await Assert.ThrowsAsync<InvalidJwtException>(() => VerifyAsync(world, BearerOf(endpoint.Requests.Last())));
    }

    [Fact]
    public async Task Notifications_can_be_dropped_or_delayed_and_a_topic_gmail_may_no_longer_publish_to_gets_none()
    {
        await using var world = await StartAsync();
        await using var endpoint = await CallbackReceiver.StartAsync();
        var topic = Subscribe(world, endpoint);
        var pubSub = world.Gmail.PubSub;
        pubSub.NotificationInterval = TimeSpan.Zero;
        await WatchAsync(world, topic);

        pubSub.DropNotifications(1);
        world.Gmail.Deliver(Alice, Mail("lost"));
        await pubSub.WhenIdleAsync();
        Assert.Empty(endpoint.Requests);
        Assert.Equal("dropped by the test", Assert.Single(pubSub.Published).DroppedBecause);

        pubSub.NotificationDelay = TimeSpan.FromMilliseconds(400);
        var clock = Stopwatch.StartNew();
        world.Gmail.Deliver(Alice, Mail("late"));
        await WaitUntilAsync(() => !endpoint.Requests.IsEmpty);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(390), $"delivered after {clock.Elapsed}");
        await pubSub.WhenIdleAsync();

        // An organisation policy takes the publisher grant away: Gmail's publications fail, and so does a new watch.
        pubSub.NotificationDelay = TimeSpan.Zero;
        pubSub.SetGmailPublisher(topic, granted: false);
        world.Gmail.Deliver(Alice, Mail("blocked"));
        await pubSub.WhenIdleAsync();
        Assert.Single(endpoint.Requests);
        Assert.Equal("Gmail may not publish to the topic", pubSub.Published[^1].DroppedBecause);
        Assert.Equal(HttpStatusCode.Forbidden, (await WatchAsync(world, topic)).Status);
    }

    [Fact]
    public async Task The_history_id_in_push_data_can_be_a_string_as_the_push_guide_shows_it()
    {
        await using var world = await StartAsync();
        await using var endpoint = await CallbackReceiver.StartAsync();
        var topic = Subscribe(world, endpoint);
        world.Gmail.PubSub.HistoryIdAsString = true;
        await WatchAsync(world, topic);

        await world.Gmail.PushNowAsync(Alice);

        var data = JsonNode.Parse(Convert.FromBase64String(JsonNode.Parse(Assert.Single(endpoint.Requests).Body)!["message"]!["data"]!.GetValue<string>()))!;
        Assert.Equal(world.Gmail.HistoryId(Alice).ToString(CultureInfo.InvariantCulture), data["historyId"]!.GetValue<string>());
    }

    private static string Subscribe(GmailSandboxWorld world, CallbackReceiver endpoint)
    {
        var topic = world.Gmail.PubSub.CreateTopic("gmail-push");
        world.Gmail.PubSub.CreatePushSubscription(topic, "broker-push", endpoint.Url, Audience);
        return topic;
    }

    private static Task<Answer> WatchAsync(GmailSandboxWorld world, string topicName, string[]? labelIds = null, string? behavior = null, string? token = null)
    {
        var body = new JsonObject { ["topicName"] = topicName };
        if (labelIds is not null)
        {
            body["labelIds"] = new JsonArray([.. labelIds.Select(l => (JsonNode)l)]);
        }

        if (behavior is not null)
        {
            body["labelFilterBehavior"] = behavior;
        }

        return world.PostAsync("gmail/v1/users/me/watch", body, token);
    }

    /// <summary>What a push endpoint does with Google.Apis.Auth: signature against the sandbox's JWKS, issuer, audience, expiry.</summary>
    private static Task<GoogleJsonWebSignature.Payload> VerifyAsync(GmailSandboxWorld world, string token)
    {
        var options = new SignedTokenVerificationOptions { CertificatesUrl = world.Google.CertificatesUrl.ToString() };
        options.TrustedIssuers.Add("https://accounts.google.com");
        options.TrustedAudiences.Add(Audience);
        return JsonWebSignature.VerifySignedTokenAsync<GoogleJsonWebSignature.Payload>(token, options);
    }

    private static string BearerOf(CallbackReceiver.Received request) => request.Headers["Authorization"]["Bearer ".Length..];

    private static JsonNode Claims(string jwt)
    {
        var part = jwt.Split('.')[1].Replace('-', '+').Replace('_', '/');
        return JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(part.PadRight(part.Length + ((4 - (part.Length % 4)) % 4), '='))))!;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), "the condition did not come true within 20 s");
            await Task.Delay(20);
        }
    }
}
