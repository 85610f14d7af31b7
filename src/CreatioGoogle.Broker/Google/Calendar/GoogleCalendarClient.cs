using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace CreatioGoogle.Broker.Google.Calendar;

/// <summary>
/// Typed HttpClient for Google Calendar API v3 on the Google API pipeline (<see cref="GoogleApiServiceCollectionExtensions.AddGoogleApiClient{TClient}"/>),
/// for the connected user's primary calendar only, and only the methods the <c>calendar.events</c> scope covers
/// (events.*, channels.stop). The pipeline attaches the token, retries reads (honouring Retry-After) but never writes,
/// and turns errors into <see cref="GoogleApiException"/> (Calendar's own cases: <see cref="CalendarErrors"/>).
/// </summary>
public sealed class GoogleCalendarClient
{
    /// <summary>The calendar every call addresses: the user's own.</summary>
    public const string PrimaryCalendar = "primary";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly HttpClient _http;
    private readonly int _pageSize;

    public GoogleCalendarClient(HttpClient http, IOptions<GoogleCalendarOptions> options)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _pageSize = options.Value.PageSize;
    }

    /// <summary>
    /// Pages of events.list with recurring events expanded into instances (<c>singleEvents=true</c>). Without
    /// <paramref name="syncToken"/>: a full listing of events ending after <paramref name="timeMin"/> and starting before
    /// <paramref name="timeMax"/> (both exclusive); the window is baked into the sync token of the last page. With it: what
    /// changed since, deleted events and instances included as <c>cancelled</c>. A token Google no longer takes fails with
    /// 410 (<see cref="CalendarErrors"/>' IsFullSyncRequired): list again without one.
    /// </summary>
    public async IAsyncEnumerable<CalendarEventsPage> ListEventsAsync(GoogleConnection connection, string? syncToken, DateTimeOffset? timeMin,
        DateTimeOffset? timeMax, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? pageToken = null;
        do
        {
            // Every page repeats the first request's query ("the exact same query"); syncToken forbids timeMin/timeMax.
            var query = new List<KeyValuePair<string, string>>
            {
                new("singleEvents", "true"),
                new("maxResults", _pageSize.ToString(CultureInfo.InvariantCulture)),
            };
            if (syncToken is not null)
            {
                query.Add(new("syncToken", syncToken));
            }
            else
            {
                if (timeMin is { } min)
                {
                    query.Add(new("timeMin", Rfc3339(min)));
                }

                if (timeMax is { } max)
                {
                    query.Add(new("timeMax", Rfc3339(max)));
                }
            }

            if (pageToken is not null)
            {
                query.Add(new("pageToken", pageToken));
            }

            var page = await SendAsync<EventsResponse>(connection, "calendar.events.list", HttpMethod.Get, Url(EventsPath, query), null, null, cancellationToken);
            pageToken = string.IsNullOrEmpty(page.NextPageToken) ? null : page.NextPageToken;
            yield return new CalendarEventsPage(page.Items ?? [], pageToken, page.NextSyncToken, page.TimeZone);
        }
        while (pageToken is not null);
    }

    /// <summary>One event (deleted ones too: events.get always returns them, as <c>cancelled</c>), or null when there is none.</summary>
    public async Task<CalendarEvent?> GetEventAsync(GoogleConnection connection, string eventId, CancellationToken cancellationToken = default)
    {
        try
        {
            return await SendAsync<CalendarEvent>(connection, "calendar.events.get", HttpMethod.Get, $"{EventsPath}/{EventId(eventId)}", null, null, cancellationToken);
        }
        catch (GoogleApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// events.insert. An id given in <paramref name="event"/> (base32hex, 5–1024 characters) that exists or existed fails with
    /// 409 duplicate (<see cref="CalendarErrors"/>' IsDuplicate): the event is already there.
    /// </summary>
    public Task<CalendarEvent> InsertEventAsync(GoogleConnection connection, JsonObject @event, string sendUpdates, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(@event);
        return SendAsync<CalendarEvent>(connection, "calendar.events.insert", HttpMethod.Post,
            Url(EventsPath, [new("sendUpdates", sendUpdates)]), @event, null, cancellationToken);
    }

    /// <summary>
    /// events.patch: the fields in <paramref name="changes"/> replace the event's (an array whole: send every attendee). With
    /// <paramref name="ifMatch"/>, a changed event fails with 412 conditionNotMet instead of being overwritten.
    /// </summary>
    public Task<CalendarEvent> PatchEventAsync(GoogleConnection connection, string eventId, JsonObject changes, string? ifMatch, string sendUpdates,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        return SendAsync<CalendarEvent>(connection, "calendar.events.patch", HttpMethod.Patch,
            Url($"{EventsPath}/{EventId(eventId)}", [new("sendUpdates", sendUpdates)]), changes, ifMatch, cancellationToken);
    }

    /// <summary>events.delete. Deleting a deleted event fails with 410 deleted (<see cref="CalendarErrors"/>' IsAlreadyDeleted).</summary>
    public Task DeleteEventAsync(GoogleConnection connection, string eventId, string sendUpdates, CancellationToken cancellationToken = default) =>
        SendAsync<JsonElement>(connection, "calendar.events.delete", HttpMethod.Delete,
            Url($"{EventsPath}/{EventId(eventId)}", [new("sendUpdates", sendUpdates)]), null, null, cancellationToken);

    /// <summary>
    /// events.watch of the primary calendar: Google posts to <paramref name="address"/> (HTTPS) a <c>sync</c> message, then
    /// <c>exists</c> on every change, each carrying <paramref name="token"/>. Channels cannot be renewed: make a new one before
    /// <see cref="CalendarWatchChannel.Expiration"/> (which may be earlier than asked) and stop the old one.
    /// </summary>
    public async Task<CalendarWatchChannel> WatchEventsAsync(GoogleConnection connection, string channelId, Uri address, string token,
        DateTimeOffset expiration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        var body = new JsonObject
        {
            ["id"] = channelId,
            ["type"] = "web_hook",
            ["address"] = address.ToString(),
            ["token"] = token,
            ["expiration"] = expiration.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        };
        var answer = await SendAsync<ChannelResponse>(connection, "calendar.events.watch", HttpMethod.Post, $"{EventsPath}/watch", body, null, cancellationToken);
        if (answer.Id != channelId || string.IsNullOrEmpty(answer.ResourceId))
        {
            throw new GoogleApiException("events.watch answered without the channel's id or resource id.");
        }

        var expires = long.TryParse(answer.Expiration, NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : expiration;
        return new CalendarWatchChannel(answer.Id, answer.ResourceId, expires);
    }

    /// <summary>channels.stop. An unknown or already expired channel answers 404.</summary>
    public Task StopChannelAsync(GoogleConnection connection, string channelId, string resourceId, CancellationToken cancellationToken = default) =>
        SendAsync<JsonElement>(connection, "calendar.channels.stop", HttpMethod.Post, "channels/stop",
            new JsonObject { ["id"] = channelId, ["resourceId"] = resourceId }, null, cancellationToken);

    private const string EventsPath = "calendars/" + PrimaryCalendar + "/events";

    private async Task<T> SendAsync<T>(GoogleConnection connection, string operation, HttpMethod method, string url, JsonNode? body, string? ifMatch,
        CancellationToken cancellationToken)
    {
        using var request = GoogleApiRequest.Create(method, url, connection, operation);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: Json);
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        // The pipeline answers with a success or throws GoogleApiException.
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (typeof(T) == typeof(JsonElement))
        {
            // Calls without a result (delete, stop): 204, nothing to read.
            return default!;
        }

        return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken)
            ?? throw new GoogleApiException($"Calendar API answered {operation} with an empty body.");
    }

    /// <summary>Event ids are base32hex (a–v, 0–9), instance ids add <c>_20250106T090000Z</c>: nothing to escape, but never trust it.</summary>
    private static string EventId(string eventId)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventId);
        return Uri.EscapeDataString(eventId);
    }

    private static string Rfc3339(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Url(string path, IEnumerable<KeyValuePair<string, string>> query) =>
        path + "?" + string.Join('&', query.Select(kv => Uri.EscapeDataString(kv.Key) + "=" + Uri.EscapeDataString(kv.Value)));

    private sealed record EventsResponse(List<CalendarEvent>? Items, string? NextPageToken, string? NextSyncToken, string? TimeZone);

    private sealed record ChannelResponse(string? Id, string? ResourceId, string? Expiration);
}
