using System.Net;

namespace CreatioGoogle.Broker.Google.People;

/// <summary>What People's errors mean, read off the one <see cref="GoogleApiException"/>.</summary>
public static class PeopleErrors
{
    public const string ExpiredSyncTokenReason = "EXPIRED_SYNC_TOKEN";

    extension(GoogleApiException e)
    {
        /// <summary>
        /// The sync token is too old: 400 FAILED_PRECONDITION with reason EXPIRED_SYNC_TOKEN (not 410, facts §0 trap 1).
        /// Drop the token and list everything.
        /// </summary>
        public bool IsExpiredSyncToken => e.StatusCode == HttpStatusCode.BadRequest && e.HasReason(ExpiredSyncTokenReason);

        /// <summary>
        /// Any 400 to a request that carried a sync token: expired, or refused for a reason Google does not document
        /// (seen: 400 INVALID_ARGUMENT after a token outlived what issued it). Either way the token is of no more use.
        /// </summary>
        public bool IsRejectedSyncToken => e.StatusCode == HttpStatusCode.BadRequest;

        /// <summary>updateContact with a stale etag (400 FAILED_PRECONDITION, not 412, facts §0 trap 5): re-read the person and merge.</summary>
        public bool IsEtagMismatch => e.StatusCode == HttpStatusCode.BadRequest && e.Status == "FAILED_PRECONDITION" && !e.HasReason(ExpiredSyncTokenReason);
    }
}
