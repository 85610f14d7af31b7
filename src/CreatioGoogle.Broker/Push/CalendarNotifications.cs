using CreatioGoogle.Broker.Http;
using CreatioGoogle.Broker.Sync;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace CreatioGoogle.Broker.Push;

/// <summary>
/// <c>POST /api/push/calendar</c>: Google's Calendar push notifications (an empty body, everything in X-Goog-* headers). The
/// channel must be one of ours (else 404) and carry its token (else 401, compared in constant time); nothing is queued for
/// either. A <c>sync</c> message (sent when a channel is made) is acknowledged; a change asks for a sync job, coalesced with
/// any job already waiting, so a burst makes one. The answer is 200 at once: the sync runs from the queue.
/// </summary>
public sealed class CalendarNotifications(PushChannelStore channels, SyncRequests requests, ILogger<CalendarNotifications> logger)
{
    public async Task<IActionResult> ReceiveAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var channelId = request.Headers["X-Goog-Channel-ID"].ToString();
        var state = request.Headers["X-Goog-Resource-State"].ToString();
        if (channelId.Length is 0 or > 64 || state.Length == 0)
        {
            return ApiProblem.Create(400, "Not a Calendar notification.", "Google's notifications carry X-Goog-Channel-ID and X-Goog-Resource-State.");
        }

        var channel = await channels.FindAsync(channelId, cancellationToken);
        if (channel is null)
        {
            // Unknown, or stopped and forgotten (Google may deliver a little after channels.stop).
            return ApiProblem.NotFound("notification channel");
        }

        if (!channel.TokenMatches(request.Headers["X-Goog-Channel-Token"].FirstOrDefault()))
        {
            logger.LogWarning("Calendar notification for channel {Channel} refused: wrong token", channelId);
            return ApiProblem.Create(401, "Wrong channel token.", "The notification does not carry the token this channel was made with.");
        }

        if (channel.ResourceId is { } resourceId && request.Headers["X-Goog-Resource-ID"].ToString() is { Length: > 0 } sent && sent != resourceId)
        {
            return ApiProblem.NotFound("notification channel for this resource");
        }

        if (state is "exists" or "not_exists")
        {
            var queued = await requests.RequestAsync(channel.TenantId, channel.ConnectionId, channel.Feature, "push", cancellationToken);
            logger.LogDebug("Calendar change on channel {Channel}: {Outcome}", channelId, queued ? "sync queued" : "a sync is waiting already");
        }

        // "sync" (the channel was made) and anything else are acknowledged without a sync.
        return new OkResult();
    }
}
