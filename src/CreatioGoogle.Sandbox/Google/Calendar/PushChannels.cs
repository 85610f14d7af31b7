using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace CreatioGoogle.Sandbox.Google.Calendar;

/// <summary>One notification the sandbox tried to deliver, for tests: what it was and how the receiver answered.</summary>
public sealed record CalendarNotification(
    string ChannelId, string ResourceState, long MessageNumber, Uri Address, DateTimeOffset QueuedAt, int? StatusCode, string? Error);

/// <summary>A watch channel as the sandbox keeps it.</summary>
public sealed record CalendarChannel(string Id, string ResourceId, Uri Address, DateTimeOffset Expiration, DateTimeOffset? StoppedAt);

/// <summary>
/// events.watch channels and their notifications, as the push guide describes them: a POST with an empty body to the
/// channel's address, first <c>X-Goog-Resource-State: sync</c>, then <c>exists</c> on every change of the calendar,
/// with the X-Goog-Channel-*/Resource-*/Message-Number headers. Delivery is fire-and-forget from a bounded queue on a
/// background task (a slow receiver never slows an API call); every attempt is recorded. Expired and stopped
/// channels stop receiving, except for <see cref="DeliverAfterStop"/> after a stop (users report late deliveries).
/// </summary>
internal sealed class PushChannels : IAsyncDisposable
{
    private const int QueueCapacity = 10_000;

    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ChannelState> _channels = new(StringComparer.Ordinal);
    private readonly List<CalendarNotification> _deliveries = [];
    private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(10) };
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _worker;

    public PushChannels(TimeProvider clock)
    {
        _clock = clock;
        _worker = Task.Run(DeliverLoopAsync);
    }

    /// <summary>Expiration of a channel whose watch request gave none (⚠ Google's default is undocumented; reports say one hour to a week).</summary>
    public TimeSpan DefaultLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Requested expirations beyond this are cut to it; the answer's expiration says what the channel got.</summary>
    public TimeSpan MaxLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long a stopped channel keeps receiving notifications ("channels.stop may not stop delivery immediately"). Default 0.</summary>
    public TimeSpan DeliverAfterStop { get; set; }

    public IReadOnlyList<CalendarNotification> Deliveries
    {
        get
        {
            lock (_gate)
            {
                return [.. _deliveries];
            }
        }
    }

    public IReadOnlyList<CalendarChannel> Channels
    {
        get
        {
            lock (_gate)
            {
                return [.. _channels.Values.Select(c => new CalendarChannel(c.Id, c.ResourceId, c.Address, c.Expiration, c.StoppedAt))];
            }
        }
    }

    /// <summary>events.watch: validates the channel, stores it and queues its "sync" message.</summary>
    public JsonObject Watch(SandboxAccount account, Uri resourceUri, JsonObject body)
    {
        var id = body["id"]?.GetValue<string>();
        var type = body["type"]?.GetValue<string>();
        var address = body["address"]?.GetValue<string>();
        var token = body["token"]?.GetValue<string>();
        if (string.IsNullOrEmpty(id) || id.Length > 64)
        {
            throw CalendarApiError.Required("A channel id of at most 64 characters is required.", "id");
        }

        if (type is not ("web_hook" or "webhook"))
        {
            throw CalendarApiError.BadRequest($"Unknown channel type: {type}. Use web_hook.", "type");
        }

        if (!Uri.TryCreate(address, UriKind.Absolute, out var target)
            || !(target.Scheme == Uri.UriSchemeHttps || (target.Scheme == Uri.UriSchemeHttp && target.IsLoopback)))
        {
            // Google delivers only to HTTPS; the sandbox also allows plain HTTP to loopback receivers in tests.
            throw CalendarApiError.BadRequest($"WebHook callback must be HTTPS: {address}", "address", "push.webhookUrlNotHttps");
        }

        if (token is { Length: > 256 })
        {
            throw CalendarApiError.BadRequest("The channel token must be at most 256 characters.", "token");
        }

        var now = _clock.GetUtcNow();
        var expiration = now + DefaultLifetime;
        if (body["expiration"] is JsonValue requested)
        {
            var ms = requested.TryGetValue<long>(out var n) ? n
                : requested.TryGetValue<string>(out var s) && long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed
                : throw CalendarApiError.BadRequest("Invalid expiration: Unix time in milliseconds expected.", "expiration");
            expiration = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            if (expiration <= now)
            {
                throw CalendarApiError.BadRequest("The channel expiration is in the past.", "expiration");
            }
        }

        if (expiration > now + MaxLifetime)
        {
            expiration = now + MaxLifetime;
        }

        // Milliseconds, like the X-Goog-Channel-Expiration Google derives from it.
        expiration = DateTimeOffset.FromUnixTimeMilliseconds(expiration.ToUnixTimeMilliseconds());
        var channel = new ChannelState(id, ResourceIdOf(account), resourceUri, target, token, expiration, account.Sub);
        lock (_gate)
        {
            if (_channels.TryGetValue(id, out var existing) && IsLive(existing, now))
            {
                throw CalendarApiError.BadRequest($"Channel id {id} not unique", "id", "channelIdNotUnique");
            }

            _channels[id] = channel;
            Enqueue(channel, "sync", now);
        }

        var response = new JsonObject
        {
            ["kind"] = "api#channel",
            ["id"] = id,
            ["resourceId"] = channel.ResourceId,
            ["resourceUri"] = resourceUri.ToString(),
        };
        if (token is not null)
        {
            response["token"] = token;
        }

        response["expiration"] = expiration.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        return response;
    }

    /// <summary>channels.stop {id, resourceId}: unknown channels, other users' channels and a wrong resourceId are 404.</summary>
    public void Stop(SandboxAccount account, JsonObject body)
    {
        var id = body["id"]?.GetValue<string>();
        var resourceId = body["resourceId"]?.GetValue<string>();
        lock (_gate)
        {
            if (id is null || !_channels.TryGetValue(id, out var channel) || channel.Sub != account.Sub || channel.ResourceId != resourceId)
            {
                throw CalendarApiError.NotFound();
            }

            channel.StoppedAt ??= _clock.GetUtcNow();
        }
    }

    /// <summary>A change of the account's calendar: an "exists" message for each of its live channels.</summary>
    public void NotifyChanged(string sub)
    {
        var now = _clock.GetUtcNow();
        lock (_gate)
        {
            foreach (var channel in _channels.Values.Where(c => c.Sub == sub && IsLive(c, now)))
            {
                Enqueue(channel, "exists", now);
            }
        }
    }

    public async Task<IReadOnlyList<CalendarNotification>> WaitForDeliveriesAsync(Func<IReadOnlyList<CalendarNotification>, bool> done, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var snapshot = Deliveries;
            if (done(snapshot))
            {
                return snapshot;
            }

            try
            {
                await Task.Delay(20, cts.Token);
            }
            catch (OperationCanceledException)
            {
                return Deliveries;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync();
        try
        {
            await _worker;
        }
        catch (OperationCanceledException)
        {
        }

        _http.Dispose();
        _stop.Dispose();
    }

    private bool IsLive(ChannelState channel, DateTimeOffset now) =>
        now < channel.Expiration && (channel.StoppedAt is not { } stopped || now < stopped + DeliverAfterStop);

    private void Enqueue(ChannelState channel, string state, DateTimeOffset now)
    {
        var pending = new Pending(channel, state, ++channel.MessageNumber, now);
        if (!_queue.Writer.TryWrite(pending))
        {
            _deliveries.Add(Record(pending, null, "dropped: the notification queue is full"));
        }
    }

    private async Task DeliverLoopAsync()
    {
        // Whether a channel gets a message is decided when the change happens (Enqueue), not when the worker gets to
        // it: a test's fake clock may have moved on meanwhile.
        await foreach (var pending in _queue.Reader.ReadAllAsync(_stop.Token))
        {
            var result = await SendAsync(pending);
            lock (_gate)
            {
                _deliveries.Add(result);
            }
        }
    }

    private async Task<CalendarNotification> SendAsync(Pending pending)
    {
        var c = pending.Channel;
        using var request = new HttpRequestMessage(HttpMethod.Post, c.Address) { Content = new ByteArrayContent([]) };
        request.Headers.Add("X-Goog-Channel-ID", c.Id);
        if (c.Token is not null)
        {
            request.Headers.Add("X-Goog-Channel-Token", c.Token);
        }

        request.Headers.Add("X-Goog-Channel-Expiration", c.Expiration.ToString("R", CultureInfo.InvariantCulture));
        request.Headers.Add("X-Goog-Resource-ID", c.ResourceId);
        request.Headers.Add("X-Goog-Resource-URI", c.ResourceUri.ToString());
        request.Headers.Add("X-Goog-Resource-State", pending.State);
        request.Headers.Add("X-Goog-Message-Number", pending.MessageNumber.ToString(CultureInfo.InvariantCulture));
        try
        {
            using var response = await _http.SendAsync(request, _stop.Token);
            return Record(pending, (int)response.StatusCode, null);
        }
        catch (HttpRequestException e)
        {
            return Record(pending, null, e.StatusCode is HttpStatusCode code ? code.ToString() : e.HttpRequestError.ToString());
        }
        catch (TaskCanceledException) when (!_stop.IsCancellationRequested)
        {
            return Record(pending, null, "timeout");
        }
    }

    private static CalendarNotification Record(Pending p, int? status, string? error) =>
        new(p.Channel.Id, p.State, p.MessageNumber, p.Channel.Address, p.QueuedAt, status, error);

    /// <summary>Opaque and stable per watched collection, like Google's (the same for every channel on the calendar).</summary>
    private static string ResourceIdOf(SandboxAccount account) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes("events:" + account.Sub))[..20]).Replace('+', '-').Replace('/', '_').TrimEnd('=');

    private sealed class ChannelState(string id, string resourceId, Uri resourceUri, Uri address, string? token, DateTimeOffset expiration, string sub)
    {
        public string Id { get; } = id;

        public string ResourceId { get; } = resourceId;

        public Uri ResourceUri { get; } = resourceUri;

        public Uri Address { get; } = address;

        public string? Token { get; } = token;

        public DateTimeOffset Expiration { get; } = expiration;

        public string Sub { get; } = sub;

        public DateTimeOffset? StoppedAt { get; set; }

        public long MessageNumber { get; set; }
    }

    private sealed record Pending(ChannelState Channel, string State, long MessageNumber, DateTimeOffset QueuedAt);
}
