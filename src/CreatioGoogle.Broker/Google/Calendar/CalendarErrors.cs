using System.Net;

namespace CreatioGoogle.Broker.Google.Calendar;

/// <summary>What Calendar's errors mean (facts §0 trap 2, §2.4), read off the one <see cref="GoogleApiException"/>.</summary>
public static class CalendarErrors
{
    public const string FullSyncRequiredReason = "fullSyncRequired";
    public const string UpdatedMinTooLongAgoReason = "updatedMinTooLongAgo";
    public const string DeletedReason = "deleted";
    public const string DuplicateReason = "duplicate";
    public const string ForbiddenForNonOrganizerReason = "forbiddenForNonOrganizer";

    extension(GoogleApiException e)
    {
        /// <summary>
        /// A listing Google will not continue: 410 <c>fullSyncRequired</c> (expired or tampered sync token) or
        /// <c>updatedMinTooLongAgo</c>. Any 410 of a listing but <c>deleted</c> means the same: list everything again.
        /// </summary>
        public bool IsFullSyncRequired => e.StatusCode == HttpStatusCode.Gone && !e.HasReason(DeletedReason);

        /// <summary>410 <c>deleted</c>: the event was deleted already (a delete made twice is a success).</summary>
        public bool IsAlreadyDeleted => e.StatusCode == HttpStatusCode.Gone && e.HasReason(DeletedReason);

        /// <summary>409 <c>duplicate</c>: an event with the requested id exists, or existed (a deleted event keeps its id).</summary>
        public bool IsDuplicate => e.StatusCode == HttpStatusCode.Conflict;

        /// <summary>412 <c>conditionNotMet</c>: the event changed since the etag sent in If-Match was read.</summary>
        public bool IsConditionNotMet => e.StatusCode == HttpStatusCode.PreconditionFailed;

        /// <summary>403 <c>forbiddenForNonOrganizer</c>: only the organizer's copy may change that.</summary>
        public bool IsForbiddenForNonOrganizer => e.StatusCode == HttpStatusCode.Forbidden && e.HasReason(ForbiddenForNonOrganizerReason);
    }
}
