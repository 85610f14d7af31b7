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
    DateTimeOffset? LastFailureAt,
    IReadOnlyList<RevocationView> PendingRevocations)
{
    /// <param name="revocations">Grants of this connection Google has not confirmed revoking yet (e.g. a refused account switch).</param>
    public static ConnectionView Of(Connection c, IEnumerable<PendingRevocation>? revocations = null) => new(
        c.ConnectionId, c.CreatioUserId, new GoogleAccountView(c.GoogleEmail, c.GoogleSubject), c.Features, c.Scopes, c.Missing,
        c.Status, c.StatusReason, c.AccessTokenExpiresAt, c.ConnectedAt, c.LastRenewedAt, c.LastError, c.LastFailureAt,
        (revocations ?? []).Select(RevocationView.Of).ToList());
}

public sealed record GoogleAccountView(string Email, string Subject);

/// <summary>A Google grant the broker gave up but Google has not confirmed revoking; retried until it does. Never the token.</summary>
public sealed record RevocationView(
    string RevocationId,
    string ConnectionId,
    string CreatioUserId,
    string GoogleEmail,
    string Reason,
    DateTimeOffset Since,
    int Attempts,
    string? LastError,
    DateTimeOffset NextAttemptAt)
{
    public static RevocationView Of(PendingRevocation r) =>
        new(r.RevocationId, r.ConnectionId, r.CreatioUserId, r.GoogleEmail, r.Reason, r.CreatedAt, r.Attempts, r.LastError, r.NextAttemptAt);
}
