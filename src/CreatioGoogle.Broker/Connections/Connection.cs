using System.Runtime.Serialization;
using Azure;
using Azure.Data.Tables;

namespace CreatioGoogle.Broker.Connections;

/// <summary>Where a connection stands, as Creatio sees it in the status API and in callbacks.</summary>
public static class ConnectionStatus
{
    /// <summary>Tokens work and every requested feature's scope was granted.</summary>
    public const string Connected = "connected";

    /// <summary>Tokens work, but the user unticked the scope of at least one requested feature.</summary>
    public const string ScopesMissing = "scopes_missing";

    /// <summary>Google refused the refresh token (revoked, expired): the user must connect again.</summary>
    public const string ReconnectNeeded = "reconnect_needed";
}

/// <summary>
/// One Creatio user's link to one Google account: a row of the <c>connections</c> table
/// (partition = tenant, row = connection id). Tokens are stored only encrypted.
/// </summary>
public sealed class Connection : ITableEntity
{
    public string PartitionKey { get; set; } = "";
    public string RowKey { get; set; } = "";
    public DateTimeOffset? Timestamp { get; set; }
    public ETag ETag { get; set; }

    [IgnoreDataMember]
    public string TenantId => PartitionKey;
    [IgnoreDataMember]
    public string ConnectionId => RowKey;

    public string CreatioUserId { get; set; } = "";
    public string GoogleSubject { get; set; } = "";
    public string GoogleEmail { get; set; } = "";

    /// <summary>Features Creatio asked for, comma separated (mail, contacts, calendar).</summary>
    public string RequestedFeatures { get; set; } = "";

    /// <summary>The scopes Google actually granted, space separated, as its token response said.</summary>
    public string GrantedScopes { get; set; } = "";

    /// <summary>Requested features whose scope was not granted, comma separated.</summary>
    public string MissingFeatures { get; set; } = "";

    public string Status { get; set; } = ConnectionStatus.Connected;
    public string? StatusReason { get; set; }

    public string? RefreshTokenCiphertext { get; set; }
    public string? RefreshTokenKeyVersion { get; set; }
    public string? AccessTokenCiphertext { get; set; }
    public string? AccessTokenKeyVersion { get; set; }
    public DateTimeOffset? AccessTokenExpiresAt { get; set; }

    /// <summary>Set when the user chose time-limited access (Google's <c>refresh_token_expires_in</c>).</summary>
    public DateTimeOffset? RefreshTokenExpiresAt { get; set; }

    public DateTimeOffset ConnectedAt { get; set; }
    public DateTimeOffset? LastRenewedAt { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset? LastFailureAt { get; set; }

    /// <summary>Failed renewals, counted at most once per UTC day so an outage does not condemn a connection.</summary>
    public int FailureCount { get; set; }

    /// <summary>Earliest time the renewal timer tries again after a 429/5xx (Retry-After, back-off).</summary>
    public DateTimeOffset? RetryNotBefore { get; set; }

    /// <summary>Failures since the last success, every one counted: only the back-off grows with it.</summary>
    public int ConsecutiveFailures { get; set; }

    /// <summary>When Google last handed out the refresh token on the row (consent time: the 7-day testing clock starts here).</summary>
    public DateTimeOffset? RefreshTokenIssuedAt { get; set; }

    /// <summary>The Creatio URL the user last came from; a reconnect link sends them back there.</summary>
    public string? LastReturnUrl { get; set; }

    /// <summary>
    /// Refresh lease: while in the future, one broker instance is refreshing this connection and others wait for
    /// its result. Taken with an If-Match write, so exactly one instance wins it.
    /// </summary>
    public DateTimeOffset? RefreshLeaseUntil { get; set; }

    /// <summary>Who holds the refresh lease (a random id per attempt), for diagnosis.</summary>
    public string? RefreshLeaseOwner { get; set; }

    [IgnoreDataMember]
    public IReadOnlyList<string> Features => Split(RequestedFeatures, ',');
    [IgnoreDataMember]
    public IReadOnlyList<string> Scopes => Split(GrantedScopes, ' ');
    [IgnoreDataMember]
    public IReadOnlyList<string> Missing => Split(MissingFeatures, ',');

    /// <summary>Associated data for a token column: binds the ciphertext to this row and column.</summary>
    public string AssociatedData(string column) => $"{TenantId}/{ConnectionId}/{column}";

    private static string[] Split(string value, char separator) =>
        value.Split(separator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
