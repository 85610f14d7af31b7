using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace CreatioGoogle.Sandbox.Google.PubSub;

/// <summary>
/// The sandbox's Cloud Pub/Sub project as far as Gmail push needs it: topics (with or without Gmail's publisher
/// grant), push subscriptions (endpoint, OIDC audience, service account) and delivery. A notification is POSTed in
/// Pub/Sub's push format with <c>Authorization: Bearer &lt;OIDC ID token&gt;</c> signed by the sandbox's Google key
/// (the JWKS at <see cref="SandboxGoogle.CertificatesUrl"/>); a non-2xx answer is retried with exponential back-off,
/// a bounded number of times. Gmail publishes at most one notification per user per <see cref="NotificationInterval"/>
/// (changes in between are coalesced), and notifications "may be delayed or dropped": <see cref="NotificationDelay"/>
/// and <see cref="DropNotifications"/> play that. Delays are real time; token timestamps use the simulator clock.
/// </summary>
public sealed class SandboxPubSub : IAsyncDisposable
{
    /// <summary>The account Gmail publishes as; a topic must grant it roles/pubsub.publisher.</summary>
    public const string GmailPushServiceAccount = "gmail-api-push@system.gserviceaccount.com";

    private const string GoogleIssuer = "https://accounts.google.com";
    private static readonly TimeSpan TokenLifetime = TimeSpan.FromHours(1);

    private readonly TimeProvider _clock;
    private readonly IdTokenSigner _signer;
    private readonly RSA _forgeryKey = RSA.Create(2048);
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = Timeout.InfiniteTimeSpan };
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Topic> _topics = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Subscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, UserPump> _pumps = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<PushDelivery> _deliveries = [];
    private readonly List<PushNotification> _published = [];
    private readonly List<Task> _work = [];
    private readonly List<Exception> _faults = [];
    private long _nextMessageId = 1_000_000_000_000_000 + Random.Shared.Next(1, 1_000_000);
    private int _toDrop;
    private readonly SimulatedLatency _interval = new() { Value = TimeSpan.FromSeconds(1) };
    private readonly SimulatedLatency _delay = new();
    private string _projectId;

    internal SandboxPubSub(string projectId, TimeProvider clock, IdTokenSigner signer)
    {
        _projectId = projectId;
        _clock = clock;
        _signer = signer;
    }

    /// <summary>The Cloud project that owns the OAuth client; users.watch only accepts topics of this project. Set it before creating topics.</summary>
    public string ProjectId
    {
        get => _projectId;
        set
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value);
            _projectId = value;
        }
    }

    /// <summary>Real time between two notifications for one user (Gmail: at most one per second). Default 1 s.</summary>
    public TimeSpan NotificationInterval
    {
        get => _interval.Value;
        set => _interval.Value = value;
    }

    /// <summary>Extra real time before each notification is published (Google: notifications may be delayed).</summary>
    public TimeSpan NotificationDelay
    {
        get => _delay.Value;
        set => _delay.Value = value;
    }

    /// <summary>
    /// Whether <c>historyId</c> in the notification's data is a JSON string, as Gmail's push guide shows it, instead of
    /// the JSON number real notifications carry (default). A client should read either.
    /// </summary>
    public bool HistoryIdAsString { get; set; }

    /// <summary>Which token the next deliveries carry. Default <see cref="PushTokenMode.Valid"/>.</summary>
    public PushTokenMode TokenMode { get; set; }

    /// <summary>Attempts per message, the first included (real Pub/Sub retries for days; a test needs an end). Default 5.</summary>
    public int MaxDeliveryAttempts { get; set; } = 5;

    /// <summary>Back-off before the first retry, doubled each time up to <see cref="MaxRetryDelay"/>. Default 100 ms.</summary>
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long Pub/Sub waits for the endpoint before it counts the attempt as failed. Default 10 s.</summary>
    public TimeSpan AckDeadline { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Every push request made so far, in the order answers came (deliveries run side by side, so not always in publication order).</summary>
    public IReadOnlyList<PushDelivery> Deliveries
    {
        get
        {
            lock (_gate)
            {
                return [.. _deliveries];
            }
        }
    }

    /// <summary>Every notification Gmail published (or dropped), in order.</summary>
    public IReadOnlyList<PushNotification> Published
    {
        get
        {
            lock (_gate)
            {
                return [.. _published];
            }
        }
    }

    /// <summary>Creates <c>projects/{ProjectId}/topics/{topicId}</c>; by default it grants Gmail's push account the publisher role.</summary>
    public string CreateTopic(string topicId, bool grantGmailPublisher = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topicId);
        var name = $"projects/{ProjectId}/topics/{topicId}";
        lock (_gate)
        {
            _topics[name] = new Topic(name) { GmailCanPublish = grantGmailPublisher };
        }

        return name;
    }

    public void DeleteTopic(string topicName)
    {
        lock (_gate)
        {
            _topics.Remove(topicName);
        }
    }

    /// <summary>Grants or takes away Gmail's publisher role on a topic (an organisation policy can forbid the grant).</summary>
    public void SetGmailPublisher(string topicName, bool granted)
    {
        lock (_gate)
        {
            TopicNamed(topicName).GmailCanPublish = granted;
        }
    }

    /// <summary>
    /// A push subscription on <paramref name="topicName"/>. <paramref name="audience"/> defaults to the endpoint URL
    /// (as Pub/Sub does); with no <paramref name="serviceAccountEmail"/> pushes carry no token.
    /// </summary>
    public string CreatePushSubscription(string topicName, string subscriptionId, Uri endpoint, string? audience = null,
        string? serviceAccountEmail = "gmail-push@sandbox-project.iam.gserviceaccount.com")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(subscriptionId);
        ArgumentNullException.ThrowIfNull(endpoint);
        var name = $"projects/{ProjectId}/subscriptions/{subscriptionId}";
        lock (_gate)
        {
            TopicNamed(topicName);
            // A service account's unique id (the token's sub and azp): 21 digits, stable for its e-mail.
            var serviceAccountId = "1" + string.Concat(SHA256.HashData(Encoding.UTF8.GetBytes(serviceAccountEmail ?? name)).Take(20).Select(b => (b % 10).ToString(CultureInfo.InvariantCulture)));
            _subscriptions[name] = new Subscription(name, topicName, endpoint, audience ?? endpoint.ToString(), serviceAccountEmail, serviceAccountId);
        }

        return name;
    }

    public void DeleteSubscription(string subscriptionName)
    {
        lock (_gate)
        {
            _subscriptions.Remove(subscriptionName);
        }
    }

    /// <summary>The next <paramref name="count"/> notifications Gmail would publish are silently lost.</summary>
    public void DropNotifications(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Interlocked.Exchange(ref _toDrop, count);
    }

    /// <summary>
    /// Waits until no notification is pending and no delivery (or retry) is in flight. Throws when the simulator
    /// itself failed while publishing (an endpoint's failures are not that: they are in <see cref="Deliveries"/>).
    /// </summary>
    public async Task WhenIdleAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            Task[] running;
            lock (_gate)
            {
                _work.RemoveAll(t => t.IsCompleted);
                running = [.. _work];
            }

            if (running.Length == 0)
            {
                lock (_gate)
                {
                    if (_faults.Count > 0)
                    {
                        throw new AggregateException("The sandbox's Pub/Sub failed while delivering.", _faults);
                    }
                }

                return;
            }

            try
            {
                await Task.WhenAll(running).WaitAsync(cts.Token);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                throw new TimeoutException("Pub/Sub deliveries were still in flight after the timeout.");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        Task[] running;
        lock (_gate)
        {
            running = [.. _work];
        }

        try
        {
            await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException or HttpRequestException)
        {
            // Shutting down: deliveries in flight are abandoned, as when Pub/Sub loses a push endpoint.
        }

        _http.Dispose();
        _forgeryKey.Dispose();
        _stopping.Dispose();
    }

    /// <summary>users.watch's check of its topicName: does the topic exist, may Gmail publish to it.</summary>
    internal (bool Exists, bool GmailCanPublish) CheckTopic(string topicName)
    {
        lock (_gate)
        {
            return _topics.TryGetValue(topicName, out var topic) ? (true, topic.GmailCanPublish) : (false, false);
        }
    }

    /// <summary>A watched mailbox changed: publish one notification soon, coalescing with others for the same user.</summary>
    internal void NotifyChanged(string emailAddress, string topicName, Func<ulong> currentHistoryId)
    {
        lock (_gate)
        {
            if (!_pumps.TryGetValue(emailAddress, out var pump))
            {
                pump = new UserPump();
                _pumps[emailAddress] = pump;
            }

            pump.Pending = true;
            pump.Topic = topicName;
            pump.HistoryId = currentHistoryId;
            if (!pump.Running)
            {
                pump.Running = true;
                Track(() => PumpAsync(emailAddress, pump));
            }
        }
    }

    /// <summary>Publishes one notification right away to every push subscription of the topic, one attempt each, no retry.</summary>
    internal async Task<IReadOnlyList<PushDelivery>> PushOnceAsync(string topicName, string emailAddress, ulong historyId, PushTokenMode mode)
    {
        List<Subscription> targets;
        string messageId;
        lock (_gate)
        {
            targets = [.. _subscriptions.Values.Where(s => s.Topic == topicName)];
            messageId = NextMessageId();
            _published.Add(new PushNotification(topicName, emailAddress, historyId, messageId, null, _clock.GetUtcNow()));
        }

        var results = new List<PushDelivery>();
        foreach (var subscription in targets)
        {
            results.Add(await SendAsync(subscription, messageId, emailAddress, historyId, attempt: 1, mode, _stopping.Token));
        }

        return results;
    }

    private async Task PumpAsync(string emailAddress, UserPump pump)
    {
        while (true)
        {
            var sinceLast = pump.LastPublished is { } last ? Stopwatch.GetElapsedTime(last) : TimeSpan.MaxValue;
            var wait = (sinceLast < NotificationInterval ? NotificationInterval - sinceLast : TimeSpan.Zero) + NotificationDelay;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _stopping.Token);
            }

            string topic;
            ulong historyId;
            lock (_gate)
            {
                if (!pump.Pending)
                {
                    pump.Running = false;
                    return;
                }

                pump.Pending = false;
                pump.LastPublished = Stopwatch.GetTimestamp();
                topic = pump.Topic!;
                historyId = pump.HistoryId!();
            }

            // The notification names the mailbox's history id at the time it is sent: its NEW id (facts §0 trap 4).
            Publish(topic, emailAddress, historyId);
        }
    }

    private void Publish(string topicName, string emailAddress, ulong historyId)
    {
        lock (_gate)
        {
            var now = _clock.GetUtcNow();
            string? dropped = null;
            if (!_topics.TryGetValue(topicName, out var topic))
            {
                dropped = "topic deleted";
            }
            else if (!topic.GmailCanPublish)
            {
                dropped = "Gmail may not publish to the topic";
            }
            else if (_toDrop > 0)
            {
                _toDrop--;
                dropped = "dropped by the test";
            }

            if (dropped is not null)
            {
                _published.Add(new PushNotification(topicName, emailAddress, historyId, null, dropped, now));
                return;
            }

            var messageId = NextMessageId();
            _published.Add(new PushNotification(topicName, emailAddress, historyId, messageId, null, now));
            foreach (var subscription in _subscriptions.Values.Where(s => s.Topic == topicName))
            {
                Track(() => DeliverAsync(subscription, messageId, emailAddress, historyId));
            }
        }
    }

    private async Task DeliverAsync(Subscription subscription, string messageId, string emailAddress, ulong historyId)
    {
        var delay = InitialRetryDelay;
        for (var attempt = 1; attempt <= Math.Max(1, MaxDeliveryAttempts); attempt++)
        {
            var delivery = await SendAsync(subscription, messageId, emailAddress, historyId, attempt, TokenMode, _stopping.Token);
            if (delivery.Acknowledged || attempt == MaxDeliveryAttempts)
            {
                return;
            }

            await Task.Delay(delay, _stopping.Token);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
        }
    }

    private async Task<PushDelivery> SendAsync(Subscription subscription, string messageId, string emailAddress, ulong historyId, int attempt, PushTokenMode mode, CancellationToken cancellationToken)
    {
        var now = _clock.GetUtcNow();
        var publishTime = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

        // Gmail's payload: {"emailAddress": ..., "historyId": <number>} (a JSON number in real notifications, e.g.
        // googleworkspace/python-samples#200; the push guide shows a string). Pub/Sub's JSON carries bytes as standard base64.
        JsonNode id = HistoryIdAsString ? historyId.ToString(CultureInfo.InvariantCulture) : historyId;
        var data = new JsonObject { ["emailAddress"] = emailAddress, ["historyId"] = id }.ToJsonString();
        var body = new JsonObject
        {
            ["message"] = new JsonObject
            {
                ["attributes"] = new JsonObject(),
                ["data"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(data)),
                ["messageId"] = messageId,
                ["message_id"] = messageId,
                ["publishTime"] = publishTime,
                ["publish_time"] = publishTime,
            },
            ["subscription"] = subscription.Name,
        };

        using var request = new HttpRequestMessage(HttpMethod.Post, subscription.Endpoint)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        // Google's push user agent is not a product token, so it is added unvalidated.
        request.Headers.TryAddWithoutValidation("User-Agent", "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)");
        if (subscription.ServiceAccountEmail is not null && mode != PushTokenMode.Missing)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token(subscription, mode, now));
        }

        int? status = null;
        string? error = null;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(AckDeadline);
        try
        {
            using var response = await _http.SendAsync(request, deadline.Token);
            status = (int)response.StatusCode;
        }
        catch (HttpRequestException e)
        {
            error = e.Message;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            error = "No answer within the ack deadline.";
        }

        var delivery = new PushDelivery(subscription.Name, subscription.Endpoint, messageId, emailAddress, historyId, attempt, mode, status, error, now);
        lock (_gate)
        {
            _deliveries.Add(delivery);
        }

        return delivery;
    }

    /// <summary>Pub/Sub's OIDC token (claims as in "Authentication for push subscriptions"), or one of the bad kinds.</summary>
    private string Token(Subscription subscription, PushTokenMode mode, DateTimeOffset now)
    {
        var issuedAt = mode == PushTokenMode.Expired ? now - TokenLifetime - TimeSpan.FromHours(1) : now;
        var claims = new JsonObject
        {
            ["aud"] = mode == PushTokenMode.WrongAudience ? subscription.Audience + "/not-this-one" : subscription.Audience,
            ["azp"] = subscription.ServiceAccountId,
            ["email"] = mode == PushTokenMode.WrongEmail ? "someone-else@attacker-project.iam.gserviceaccount.com" : subscription.ServiceAccountEmail,
            ["email_verified"] = mode != PushTokenMode.UnverifiedEmail,
            ["exp"] = (issuedAt + TokenLifetime).ToUnixTimeSeconds(),
            ["iat"] = issuedAt.ToUnixTimeSeconds(),
            ["iss"] = mode == PushTokenMode.WrongIssuer ? "https://accounts.example.com" : GoogleIssuer,
            ["sub"] = subscription.ServiceAccountId,
        };
        var token = _signer.Sign(claims);
        if (mode != PushTokenMode.Forged)
        {
            return token;
        }

        // Keep Google's header (its kid) and the claims; sign with a key Google never published.
        var signingInput = token[..token.LastIndexOf('.')];
        var signature = _forgeryKey.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    private void Track(Func<Task> work)
    {
        var task = Task.Run(async () =>
        {
            try
            {
                await work();
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                // Sandbox shutting down.
            }
            catch (Exception e)
            {
                // A bug in the simulator, not an endpoint's failure (those are recorded in Deliveries): kept for WhenIdleAsync to throw.
                lock (_gate)
                {
                    _faults.Add(e);
                }
            }
        });
        lock (_gate)
        {
            _work.Add(task);
        }
    }

    private string NextMessageId() => Interlocked.Increment(ref _nextMessageId).ToString(CultureInfo.InvariantCulture);

    private Topic TopicNamed(string topicName) =>
        _topics.GetValueOrDefault(topicName) ?? throw new ArgumentException($"No topic {topicName} in project {ProjectId}.", nameof(topicName));

    private sealed class Topic(string name)
    {
        public string Name { get; } = name;

        public bool GmailCanPublish { get; set; }
    }

    private sealed record Subscription(string Name, string Topic, Uri Endpoint, string Audience, string? ServiceAccountEmail, string ServiceAccountId);

    private sealed class UserPump
    {
        public bool Pending { get; set; }

        public bool Running { get; set; }

        public string? Topic { get; set; }

        public Func<ulong>? HistoryId { get; set; }

        /// <summary>Stopwatch timestamp of the last publication, for the one-per-interval rule.</summary>
        public long? LastPublished { get; set; }
    }
}
