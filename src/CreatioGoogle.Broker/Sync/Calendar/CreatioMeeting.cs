using System.Text.Json.Nodes;
using CreatioGoogle.Broker.Creatio;

namespace CreatioGoogle.Broker.Sync.Calendar;

/// <summary>Creatio's ids for what a meeting is (ActivityConsts in Terrasoft.Configuration, facts §4.4).</summary>
internal static class ActivityLookups
{
    public static readonly Guid TypeTask = new("fbe0acdc-cfc0-df11-b00f-001d60e938c6");
    public static readonly Guid CategoryMeeting = new("42c74c49-58e6-df11-971b-001d60e938c6");
    public static readonly Guid StatusNotStarted = new("384d4b84-58e6-df11-971b-001d60e938c6");
    public static readonly Guid StatusCanceled = new("201cfba8-58e6-df11-971b-001d60e938c6");
    public static readonly Guid ResponseConfirmed = new("7098c892-34e3-4a3e-af08-c1a139f63220");
    public static readonly Guid ResponseDeclined = new("cc256758-4051-4021-9c51-216e37635c46");
    public static readonly Guid ResponseInDoubt = new("50e89724-522d-446e-be91-12548b8c834d");

    public static AttendeeResponse ResponseOf(Guid inviteResponseId) =>
        inviteResponseId == ResponseConfirmed ? AttendeeResponse.Accepted
        : inviteResponseId == ResponseDeclined ? AttendeeResponse.Declined
        : inviteResponseId == ResponseInDoubt ? AttendeeResponse.Tentative
        : AttendeeResponse.NeedsAction;

    public static Guid InviteResponseOf(AttendeeResponse response) => response switch
    {
        AttendeeResponse.Accepted => ResponseConfirmed,
        AttendeeResponse.Declined => ResponseDeclined,
        AttendeeResponse.Tentative => ResponseInDoubt,
        _ => Guid.Empty,
    };
}

/// <summary>One row of <c>ActivityParticipant</c>: a contact on a meeting and its answer.</summary>
internal sealed record CreatioParticipant(Guid Id, Guid ContactId, Guid InviteResponseId, DateTimeOffset? ModifiedOn);

/// <summary>A Creatio meeting as the calendar sync reads it: the <c>Activity</c> row and its participants.</summary>
internal sealed record CreatioMeeting(JsonObject Row, IReadOnlyList<CreatioParticipant> Participants)
{
    public const string Collection = "Activity";
    public const string ParticipantCollection = "ActivityParticipant";
    public const string ParticipantsDetail = "ActivityParticipantCollectionByActivity";

    public static readonly IReadOnlyList<string> Columns =
        ["Id", "ModifiedOn", "Title", "StartDate", "DueDate", "Location", "Notes", "Recepient", "OwnerId", "OrganizerId", "StatusId", "TypeId",
            "ActivityCategoryId", "ShowInScheduler"];

    public static readonly IReadOnlyList<string> ParticipantColumns = ["Id", "ActivityId", "ParticipantId", "InviteResponseId", "ModifiedOn"];

    /// <summary>The participants detail expanded in the same query.</summary>
    public static readonly string Expand = $"{ParticipantsDetail}($select={string.Join(',', ParticipantColumns.Where(c => c != "ActivityId"))})";

    public Guid Id => Row.GetGuid("Id");

    public Guid OwnerId => Row.GetGuid("OwnerId");

    public bool IsCanceled => Row.GetGuid("StatusId") == ActivityLookups.StatusCanceled;

    /// <summary>Type Task, category Meeting, shown in the calendar: what Creatio's own "new meeting" makes.</summary>
    public bool IsMeeting => Row.GetGuid("TypeId") == ActivityLookups.TypeTask && Row.GetGuid("ActivityCategoryId") == ActivityLookups.CategoryMeeting
        && Row["ShowInScheduler"] is JsonValue shown && shown.TryGetValue<bool>(out var b) && b;

    /// <summary>
    /// The meeting's version: the latest ModifiedOn of the activity and its participant rows (a participant's answer moves only
    /// its own row).
    /// </summary>
    public DateTimeOffset? Version => Participants.Select(p => p.ModifiedOn).Append(Row.GetDateTime("ModifiedOn")).Max();

    public static CreatioMeeting FromRow(JsonObject row)
    {
        var participants = (row[ParticipantsDetail] as JsonArray ?? []).OfType<JsonObject>().Select(ParticipantFrom).ToList();
        row.Remove(ParticipantsDetail);
        return new CreatioMeeting(row, participants);
    }

    public static CreatioParticipant ParticipantFrom(JsonObject row) =>
        new(row.GetGuid("Id"), row.GetGuid("ParticipantId"), row.GetGuid("InviteResponseId"), row.GetDateTime("ModifiedOn"));
}
