using System.Net;
using System.Net.Http.Headers;

namespace CreatioGoogle.Broker.Google;

/// <summary>
/// The outer end of every Google API client's pipeline (People, Calendar, Gmail). For each request, in order:
/// attach the access token of the connection the request carries (<see cref="GoogleApiRequest.Connection"/>);
/// send it through the retry stage (safe requests only, honouring Retry-After, see <see cref="GoogleApiRetry"/>);
/// on 401, refresh the token once and send the same request once more (Google did not act on a 401, so even a
/// POST may be repeated); turn any other error answer into one <see cref="GoogleApiException"/>.
/// A dead grant throws <see cref="GoogleReconnectNeededException"/> without calling Google.
/// </summary>
internal sealed class GoogleApiHandler(IGoogleAccessTokenSource tokens, TimeProvider clock) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!request.Options.TryGetValue(GoogleApiRequest.Connection, out var connection))
        {
            throw new InvalidOperationException("A Google API request must name its connection (GoogleApiRequest.Create).");
        }

        request.Options.TryGetValue(GoogleApiRequest.Operation, out var operation);
        var response = await SendWithTokenAsync(request, connection, forceRefresh: false, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            // The token was refused before it expired (revoked, password changed, clock skew): one fresh token, one more try.
            response.Dispose();
            response = await SendWithTokenAsync(request, connection, forceRefresh: true, cancellationToken);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw await GoogleApiException.FromResponseAsync(response, operation, clock, cancellationToken);
        }
    }

    private async Task<HttpResponseMessage> SendWithTokenAsync(HttpRequestMessage request, GoogleConnection connection, bool forceRefresh,
        CancellationToken cancellationToken)
    {
        var token = await tokens.GetAccessTokenAsync(connection, forceRefresh, cancellationToken) switch
        {
            GoogleAccessToken.Issued issued => issued.AccessToken,
            GoogleAccessToken.ReconnectNeeded dead => throw new GoogleReconnectNeededException(connection, connectionGone: false, dead.Reason),
            GoogleAccessToken.ConnectionGone => throw new GoogleReconnectNeededException(connection, connectionGone: true, reason: null),
            GoogleAccessToken.Unavailable down => throw new GoogleApiException(HttpStatusCode.ServiceUnavailable, "UNAVAILABLE",
                ["TOKEN_ENDPOINT_UNAVAILABLE"], $"Google's token endpoint is unavailable ({down.Error}); retry after {down.RetryAfter}.", down.RetryAfter),
            var other => throw new InvalidOperationException($"Unexpected token answer {other.GetType().Name}."),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await base.SendAsync(request, cancellationToken);
    }
}
