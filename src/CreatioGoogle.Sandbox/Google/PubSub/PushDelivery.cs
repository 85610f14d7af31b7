namespace CreatioGoogle.Sandbox.Google.PubSub;

/// <summary>The OIDC token a push request carries: Google's, or one of the bad kinds a push endpoint must refuse.</summary>
public enum PushTokenMode
{
    /// <summary>Signed by the sandbox's Google key with the subscription's audience and service account.</summary>
    Valid,

    /// <summary>No Authorization header (a subscription without authentication, or a caller that is not Pub/Sub).</summary>
    Missing,

    /// <summary>Same header and claims, signed with a key Google never published (the kid points at Google's key).</summary>
    Forged,

    /// <summary>Signed correctly, expired an hour ago.</summary>
    Expired,

    /// <summary>Signed correctly, for another audience.</summary>
    WrongAudience,

    /// <summary>Signed correctly, for another service account.</summary>
    WrongEmail,

    /// <summary>Signed correctly, email_verified false.</summary>
    UnverifiedEmail,

    /// <summary>Signed correctly, an issuer that is not Google.</summary>
    WrongIssuer,
}

/// <summary>
/// One POST Pub/Sub made to a push endpoint. Retries of one message share its <see cref="MessageId"/>; the token
/// itself is not kept, so a failing assertion never prints it.
/// </summary>
public sealed record PushDelivery(
    string Subscription,
    Uri Endpoint,
    string MessageId,
    string EmailAddress,
    ulong HistoryId,
    int Attempt,
    PushTokenMode TokenMode,
    int? StatusCode,
    string? Error,
    DateTimeOffset SentAt)
{
    /// <summary>Pub/Sub treats 102, 200, 201, 202 and 204 as an acknowledgement; anything else (or no answer) is retried.</summary>
    public bool Acknowledged => StatusCode is 102 or 200 or 201 or 202 or 204;
}

/// <summary>A notification Gmail published to a topic (or tried to): dropped ones never reach a subscription.</summary>
public sealed record PushNotification(string Topic, string EmailAddress, ulong HistoryId, string? MessageId, string? DroppedBecause, DateTimeOffset PublishedAt);
