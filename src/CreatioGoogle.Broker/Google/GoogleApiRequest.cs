namespace CreatioGoogle.Broker.Google;

/// <summary>
/// What a typed Google client puts on each request so the pipeline can act for it: the connection (whose token to
/// attach) and the API method's name (for errors and logs; the URL is never logged, it carries sync tokens).
/// </summary>
public static class GoogleApiRequest
{
    public static readonly HttpRequestOptionsKey<GoogleConnection> Connection = new("CreatioGoogle.GoogleConnection");
    public static readonly HttpRequestOptionsKey<string> Operation = new("CreatioGoogle.GoogleOperation");

    /// <summary>A request for <paramref name="connection"/>; <paramref name="operation"/> is Google's method id, e.g. <c>people.connections.list</c>.</summary>
    public static HttpRequestMessage Create(HttpMethod method, string relativeUrl, GoogleConnection connection, string operation)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var request = new HttpRequestMessage(method, new Uri(relativeUrl, UriKind.Relative));
        request.Options.Set(Connection, connection);
        request.Options.Set(Operation, operation);
        return request;
    }
}

/// <summary>
/// The connection's grant is dead or the connection is gone: a sync cannot go on until the user connects again. Thrown
/// by the pipeline instead of calling Google; the sync runner turns it into a result (the job is skipped, the cursor
/// says why), never into a retry or a reconnect link nobody asked for.
/// </summary>
public sealed class GoogleReconnectNeededException : Exception
{
    public GoogleReconnectNeededException()
        : this("The connection needs reconnecting.")
    {
    }

    public GoogleReconnectNeededException(string message)
        : base(message)
    {
    }

    public GoogleReconnectNeededException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public GoogleReconnectNeededException(GoogleConnection connection, bool connectionGone, string? reason)
        : base(connectionGone
            ? $"Connection {connection?.ConnectionId} no longer exists."
            : $"Connection {connection?.ConnectionId} needs reconnecting: Google refused its grant ({reason ?? "no reason given"}).")
    {
        ConnectionGone = connectionGone;
        GrantReason = reason;
    }

    /// <summary>True when the connection was deleted (disconnected), false when its grant is dead.</summary>
    public bool ConnectionGone { get; }

    /// <summary>Why Google refused the grant, as recorded on the connection (e.g. revoked, testing_app_expiry).</summary>
    public string? GrantReason { get; }
}
