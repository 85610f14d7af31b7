namespace CreatioGoogle.Broker.Google;

/// <summary>
/// A live Google access token for one connection (tenant + connection), refreshed by the implementation when needed.
/// Google API clients ask for it on every call rather than holding tokens themselves.
/// </summary>
public interface IGoogleAccessTokenSource
{
    Task<string> GetAccessTokenAsync(string tenantId, string connectionId, CancellationToken cancellationToken);
}
