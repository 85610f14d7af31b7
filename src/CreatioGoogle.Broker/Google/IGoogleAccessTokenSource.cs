namespace CreatioGoogle.Broker.Google;

/// <summary>Which connection a Google API call acts for (its tenant and connection id).</summary>
public sealed record GoogleConnection(string TenantId, string ConnectionId);

/// <summary>What asking for a connection's access token came to. A dead grant is an answer, not an error.</summary>
public abstract record GoogleAccessToken
{
    private GoogleAccessToken()
    {
    }

    public sealed record Issued(string AccessToken) : GoogleAccessToken;

    /// <summary>Google refused the grant (revoked, expired): nothing can be done until the user connects again.</summary>
    public sealed record ReconnectNeeded(string? Reason) : GoogleAccessToken;

    /// <summary>The connection no longer exists (disconnected meanwhile).</summary>
    public sealed record ConnectionGone : GoogleAccessToken;

    /// <summary>Google's token endpoint is busy or down and no usable token is at hand.</summary>
    public sealed record Unavailable(TimeSpan RetryAfter, string? Error) : GoogleAccessToken;
}

/// <summary>
/// A live Google access token for one connection, refreshed by the implementation when needed. The Google API pipeline
/// (<see cref="GoogleApiHandler"/>) asks for it on every call; typed clients never hold tokens.
/// </summary>
public interface IGoogleAccessTokenSource
{
    /// <param name="forceRefresh">
    /// Google just refused the token it had (401): refresh even if it has not expired, unless a refresh already happened
    /// after this call began.
    /// </param>
    Task<GoogleAccessToken> GetAccessTokenAsync(GoogleConnection connection, bool forceRefresh, CancellationToken cancellationToken);
}
