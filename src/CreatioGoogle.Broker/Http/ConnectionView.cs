using CreatioGoogle.Broker.Connections;

namespace CreatioGoogle.Broker.Http;

/// <summary>A connection as the status API shows it: who, what was granted, how it stands. No tokens, ever.</summary>
public sealed record ConnectionView(
    string ConnectionId,
    string CreatioUserId,
    GoogleAccountView GoogleAccount,
    IReadOnlyList<string> Features,
    IReadOnlyList<string> GrantedScopes,
    IReadOnlyList<string> MissingFeatures,
    string Status,
    string? StatusReason,
    DateTimeOffset? AccessTokenExpiresAt,
    DateTimeOffset ConnectedAt,
    DateTimeOffset? LastRenewedAt,
    string? LastError,
    DateTimeOffset? LastFailureAt)
{
    public static ConnectionView Of(Connection c) => new(
        c.ConnectionId, c.CreatioUserId, new GoogleAccountView(c.GoogleEmail, c.GoogleSubject), c.Features, c.Scopes, c.Missing,
        c.Status, c.StatusReason, c.AccessTokenExpiresAt, c.ConnectedAt, c.LastRenewedAt, c.LastError, c.LastFailureAt);
}

public sealed record GoogleAccountView(string Email, string Subject);
