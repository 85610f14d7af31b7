using System.Text.Json.Nodes;

namespace CreatioGoogle.Sandbox.Creatio;

/// <summary>
/// Creatio's activities (facts §4.4): <c>Activity</c> with the Activity_Base columns as the OData model names them
/// (the misspelled <c>Recepient</c>, <c>CopyRecepient</c>, <c>BlindCopyRecepient</c> and <c>DurationInMnutesAndHours</c>
/// included), its <c>ActivityParticipant</c> detail, and the lookups a meeting sync uses, seeded with Creatio's GUIDs
/// (ActivityConsts, Terrasoft.Configuration).
/// </summary>
internal static class ActivitySchemas
{
    public static readonly Guid TypeTask = new("fbe0acdc-cfc0-df11-b00f-001d60e938c6");
    public static readonly Guid TypeEmail = new("e2831dec-cfc0-df11-b00f-001d60e938c6");
    public static readonly Guid TypeCall = new("e1831dec-cfc0-df11-b00f-001d60e938c6");
    public static readonly Guid TypeVisit = new("e3831dec-cfc0-df11-b00f-001d60e938c6");

    public static readonly Guid CategoryToDo = new("f51c4643-58e6-df11-971b-001d60e938c6");
    public static readonly Guid CategoryMeeting = new("42c74c49-58e6-df11-971b-001d60e938c6");
    public static readonly Guid CategoryEmail = new("8038a396-7825-e011-8165-00155d043204");
    public static readonly Guid CategoryCall = new("e52bd583-7825-e011-8165-00155d043204");

    public static readonly Guid StatusNotStarted = new("384d4b84-58e6-df11-971b-001d60e938c6");
    public static readonly Guid StatusInProgress = new("394d4b84-58e6-df11-971b-001d60e938c6");
    public static readonly Guid StatusCompleted = new("4bdbb88f-58e6-df11-971b-001d60e938c6");
    public static readonly Guid StatusCanceled = new("201cfba8-58e6-df11-971b-001d60e938c6");

    public static readonly Guid PriorityHigh = new("d625a9fc-7ee6-df11-971b-001d60e938c6");
    public static readonly Guid PriorityMedium = new("ab96fa02-7fe6-df11-971b-001d60e938c6");
    public static readonly Guid PriorityLow = new("ac96fa02-7fe6-df11-971b-001d60e938c6");

    public static readonly Guid RoleTo = new("3a6893ce-a6e1-df11-971b-001d60e938c6");
    public static readonly Guid RoleCc = new("3c6893ce-a6e1-df11-971b-001d60e938c6");
    public static readonly Guid RoleBcc = new("ba1a7add-a6e1-df11-971b-001d60e938c6");
    public static readonly Guid RoleFrom = new("6a6390c4-a6e1-df11-971b-001d60e938c6");

    public static readonly Guid ResponseConfirmed = new("7098c892-34e3-4a3e-af08-c1a139f63220");
    public static readonly Guid ResponseDeclined = new("cc256758-4051-4021-9c51-216e37635c46");
    public static readonly Guid ResponseInDoubt = new("50e89724-522d-446e-be91-12548b8c834d");

    private static readonly (string, ColumnType)[] SystemColumns =
    [
        ("Id", ColumnType.Guid), ("CreatedOn", ColumnType.DateTime), ("CreatedById", ColumnType.Guid),
        ("ModifiedOn", ColumnType.DateTime), ("ModifiedById", ColumnType.Guid), ("ProcessListeners", ColumnType.Integer),
    ];

    // Column names from Creatio's generated OData model of Activity (Terrasoft.Configuration.OData.Activity).
    public static EntitySchema Activity { get; } = new("Activity",
    [
        .. SystemColumns,
        ("Title", ColumnType.Text), ("StartDate", ColumnType.DateTime), ("DueDate", ColumnType.DateTime), ("PriorityId", ColumnType.Guid),
        ("AuthorId", ColumnType.Guid), ("RemindToAuthor", ColumnType.Boolean), ("RemindToAuthorDate", ColumnType.DateTime),
        ("OwnerId", ColumnType.Guid), ("RemindToOwner", ColumnType.Boolean), ("RemindToOwnerDate", ColumnType.DateTime),
        ("TypeId", ColumnType.Guid), ("ActivityCategoryId", ColumnType.Guid), ("ShowInScheduler", ColumnType.Boolean),
        ("StatusId", ColumnType.Guid), ("ResultId", ColumnType.Guid), ("DetailedResult", ColumnType.Text), ("TimeZoneId", ColumnType.Guid),
        ("AccountId", ColumnType.Guid), ("ContactId", ColumnType.Guid), ("Sender", ColumnType.Text), ("Recepient", ColumnType.Text),
        ("CopyRecepient", ColumnType.Text), ("BlindCopyRecepient", ColumnType.Text), ("Body", ColumnType.Text), ("Notes", ColumnType.Text),
        ("SendDate", ColumnType.DateTime), ("EmailSendStatusId", ColumnType.Guid), ("DurationInMinutes", ColumnType.Integer),
        ("ErrorOnSend", ColumnType.Text), ("DurationInMnutesAndHours", ColumnType.Text), ("AllowedResult", ColumnType.Text),
        ("LeadId", ColumnType.Guid), ("MessageTypeId", ColumnType.Guid), ("IsHtmlBody", ColumnType.Boolean), ("MailHash", ColumnType.Text),
        ("ProcessElementId", ColumnType.Guid), ("GlobalActivityID", ColumnType.Text), ("UserEmailAddress", ColumnType.Text),
        ("OrganizerId", ColumnType.Guid), ("Location", ColumnType.Text), ("CallDirectionId", ColumnType.Guid),
        ("HeaderProperties", ColumnType.Text), ("IsAutoSubmitted", ColumnType.Boolean), ("SenderContactId", ColumnType.Guid),
        ("OpportunityId", ColumnType.Guid), ("Preview", ColumnType.Text),
    ])
    {
        Lookups = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PriorityId"] = "ActivityPriority", ["AuthorId"] = "Contact", ["OwnerId"] = "Contact", ["TypeId"] = "ActivityType",
            ["ActivityCategoryId"] = "ActivityCategory", ["StatusId"] = "ActivityStatus", ["TimeZoneId"] = "TimeZone",
            ["ContactId"] = "Contact", ["OrganizerId"] = "Contact", ["SenderContactId"] = "Contact",
        },
    };

    // Terrasoft.Configuration.OData.ActivityParticipant.
    public static EntitySchema ActivityParticipant { get; } = new("ActivityParticipant",
    [
        .. SystemColumns,
        ("ActivityId", ColumnType.Guid), ("ParticipantId", ColumnType.Guid), ("Description", ColumnType.Text), ("RoleId", ColumnType.Guid),
        ("ReadMark", ColumnType.Boolean), ("InviteParticipant", ColumnType.Boolean), ("InviteResponseId", ColumnType.Guid),
    ])
    {
        Lookups = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ActivityId"] = "Activity", ["ParticipantId"] = "Contact", ["RoleId"] = "ActivityParticipantRole", ["InviteResponseId"] = "ParticipantResponse",
        },
    };

    public static EntitySchema ActivityType { get; } = Lookup("ActivityType");

    public static EntitySchema ActivityCategory { get; } = new("ActivityCategory", [.. SystemColumns, ("Name", ColumnType.Text), ("Description", ColumnType.Text), ("ActivityTypeId", ColumnType.Guid)])
    {
        Lookups = new Dictionary<string, string>(StringComparer.Ordinal) { ["ActivityTypeId"] = "ActivityType" },
    };

    public static EntitySchema ActivityStatus { get; } = new("ActivityStatus", [.. SystemColumns, ("Name", ColumnType.Text), ("Description", ColumnType.Text), ("Finish", ColumnType.Boolean)]);

    public static EntitySchema ActivityPriority { get; } = Lookup("ActivityPriority");

    public static EntitySchema ActivityParticipantRole { get; } = Lookup("ActivityParticipantRole");

    public static EntitySchema ParticipantResponse { get; } = Lookup("ParticipantResponse");

    // ⚠ unverified: the TimeZone lookup's Code is assumed to hold the Windows zone id; no Creatio GUIDs are known for its rows.
    public static EntitySchema TimeZone { get; } = new("TimeZone", [.. SystemColumns, ("Name", ColumnType.Text), ("Description", ColumnType.Text), ("Code", ColumnType.Text)]);

    public static IReadOnlyList<EntitySchema> All { get; } =
        [Activity, ActivityParticipant, ActivityType, ActivityCategory, ActivityStatus, ActivityPriority, ActivityParticipantRole, ParticipantResponse, TimeZone];

    /// <summary>Detail rows deleted with their master, as Creatio's cascade does for an activity's participants.</summary>
    public static IReadOnlyList<(string Detail, string Column, string Master)> Cascades { get; } = [("ActivityParticipant", "ActivityId", "Activity")];

    /// <summary>The lookup rows, with Creatio's ids and English names.</summary>
    public static IEnumerable<(string Collection, JsonObject Row)> Seed()
    {
        foreach (var (id, name) in new[] { (TypeTask, "Task"), (TypeEmail, "Email"), (TypeCall, "Call"), (TypeVisit, "Visit") })
        {
            yield return ("ActivityType", Row(id, name));
        }

        foreach (var (id, name, type) in new[] { (CategoryToDo, "To do", TypeTask), (CategoryMeeting, "Meeting", TypeTask), (CategoryEmail, "E-mail", TypeEmail), (CategoryCall, "Call", TypeCall) })
        {
            yield return ("ActivityCategory", Row(id, name).With("ActivityTypeId", type.ToString()));
        }

        foreach (var (id, name, finish) in new[] { (StatusNotStarted, "Not started", false), (StatusInProgress, "In progress", false), (StatusCompleted, "Completed", true), (StatusCanceled, "Canceled", true) })
        {
            yield return ("ActivityStatus", Row(id, name).With("Finish", finish));
        }

        foreach (var (id, name) in new[] { (PriorityHigh, "High"), (PriorityMedium, "Medium"), (PriorityLow, "Low") })
        {
            yield return ("ActivityPriority", Row(id, name));
        }

        foreach (var (id, name) in new[] { (RoleTo, "To"), (RoleCc, "CC"), (RoleBcc, "BCC"), (RoleFrom, "From") })
        {
            yield return ("ActivityParticipantRole", Row(id, name));
        }

        foreach (var (id, name) in new[] { (ResponseConfirmed, "Confirmed"), (ResponseDeclined, "Declined"), (ResponseInDoubt, "In doubt") })
        {
            yield return ("ParticipantResponse", Row(id, name));
        }

        foreach (var (name, code) in new[] { ("(GMT) Coordinated Universal Time", "UTC"), ("(GMT+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", "W. Europe Standard Time"), ("(GMT-05:00) Eastern Time (US & Canada)", "Eastern Standard Time") })
        {
            yield return ("TimeZone", new JsonObject { ["Name"] = name, ["Code"] = code });
        }
    }

    /// <summary>What Creatio fills in on a new activity (Activity_Base defaults): status, priority, author and owner, dates.</summary>
    public static void ApplyDefaults(JsonObject row, Guid actor, string now)
    {
        static bool Empty(JsonNode? value) => value is null || value.GetValue<string>() == Guid.Empty.ToString() || value.GetValue<string>() == "";
        if (string.IsNullOrWhiteSpace(row["Title"]!.GetValue<string>()))
        {
            // Title is the primary display column ("Subject").
            throw new ODataException(400, "Field \"Subject\" (Title) of object \"Activity\" is required.");
        }

        foreach (var (column, value) in new[] { ("StatusId", StatusNotStarted.ToString()), ("PriorityId", PriorityMedium.ToString()), ("AuthorId", actor.ToString()), ("OwnerId", actor.ToString()) })
        {
            if (Empty(row[column]))
            {
                row[column] = value;
            }
        }

        row["StartDate"] ??= now;
        row["DueDate"] ??= now;
    }

    private static EntitySchema Lookup(string name) => new(name, [.. SystemColumns, ("Name", ColumnType.Text), ("Description", ColumnType.Text)]);

    private static JsonObject Row(Guid id, string name) => new() { ["Id"] = id.ToString(), ["Name"] = name };

    private static JsonObject With(this JsonObject row, string column, JsonNode? value)
    {
        row[column] = value;
        return row;
    }
}
