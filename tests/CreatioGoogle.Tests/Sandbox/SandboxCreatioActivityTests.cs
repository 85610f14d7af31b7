using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CreatioGoogle.Sandbox.Creatio;
using Microsoft.Extensions.Time.Testing;

namespace CreatioGoogle.Tests.Sandbox;

/// <summary>The sandbox Creatio's activities (meetings) and participants over raw OData 4, as a calendar sync would query them.</summary>
public sealed class SandboxCreatioActivityTests : IAsyncLifetime
{
    private const string User = "Integration";
    private const string Password = "Pa55-w0rd!-sandbox";
    private const string TypeTask = "fbe0acdc-cfc0-df11-b00f-001d60e938c6";
    private const string Meeting = "42c74c49-58e6-df11-971b-001d60e938c6";
    private const string ToDo = "f51c4643-58e6-df11-971b-001d60e938c6";
    private const string Confirmed = "7098c892-34e3-4a3e-af08-c1a139f63220";

    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false });
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2025, 3, 1, 8, 0, 0, TimeSpan.Zero));
    private SandboxCreatio _creatio = null!;
    private string _cookie = "";
    private string _csrf = "";

    public async Task InitializeAsync()
    {
        var options = new SandboxCreatioOptions { Clock = _clock };
        options.Users.Add(new SandboxCreatioUser(User, Password));
        _creatio = await SandboxCreatio.StartAsync(options);
        using var login = await Http.PostAsync(new Uri(_creatio.BaseUrl, "ServiceModel/AuthService.svc/Login"),
            new StringContent($$"""{"UserName":"{{User}}","UserPassword":"{{Password}}"}""", Encoding.UTF8, "application/json"));
        var cookies = login.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).ToList();
        _cookie = string.Join("; ", cookies);
        _csrf = cookies.Single(c => c.StartsWith("BPMCSRF=", StringComparison.Ordinal))["BPMCSRF=".Length..];
    }

    public async Task DisposeAsync() => await _creatio.DisposeAsync();

    [Fact]
    public async Task Lookups_carry_creatios_ids_and_meetings_are_found_by_type_category_and_calendar_flag()
    {
        var me = _creatio.ContactIdOf(User);
        Seed("Meeting in calendar", Meeting, showInScheduler: true);
        Seed("Meeting not in calendar", Meeting, showInScheduler: false);
        Seed("To do in calendar", ToDo, showInScheduler: true);

        var categories = await GetAsync("0/odata/ActivityCategory?$select=Id,Name,ActivityTypeId&$orderby=Name");
        var meetings = await GetAsync("0/odata/Activity?$select=Title,OwnerId&$filter=" + Uri.EscapeDataString(
            $"TypeId eq {TypeTask} and ActivityCategoryId eq {Meeting} and ShowInScheduler eq true and OwnerId eq {me}"));

        Assert.Contains(categories.Body!["value"]!.AsArray(), c => c!["Id"]!.GetValue<string>() == Meeting && c["ActivityTypeId"]!.GetValue<string>() == TypeTask);
        Assert.Equal(["Meeting in calendar"], meetings.Body!["value"]!.AsArray().Select(m => m!["Title"]!.GetValue<string>()));
        Assert.Equal(2, (await GetAsync("0/odata/ParticipantResponse?$count=true&$filter=" + Uri.EscapeDataString($"Id eq {Confirmed} or Name eq 'Declined'"))).Body!["@odata.count"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_new_activity_gets_creatios_defaults_needs_a_title_and_knows_only_the_misspelled_recipient_columns()
    {
        var created = await SendAsync(HttpMethod.Post, "0/odata/Activity", new JsonObject
        {
            ["Title"] = "Call back", ["TypeId"] = TypeTask, ["ActivityCategoryId"] = Meeting, ["Recepient"] = "a@example.com; b@example.com",
            ["CopyRecepient"] = "", ["BlindCopyRecepient"] = "", ["StartDate"] = "2025-03-02T10:00:00Z", ["DueDate"] = "2025-03-02T11:00:00Z",
        });
        var noTitle = await SendAsync(HttpMethod.Post, "0/odata/Activity", new JsonObject { ["TypeId"] = TypeTask });
        var spelledRight = await SendAsync(HttpMethod.Post, "0/odata/Activity", new JsonObject { ["Title"] = "x", ["Recipient"] = "a@example.com" });
        var unknownSelect = await GetAsync("0/odata/Activity?$select=Recipient");

        Assert.Equal(HttpStatusCode.Created, created.Status);
        var row = created.Body!;
        Assert.Equal("384d4b84-58e6-df11-971b-001d60e938c6", row["StatusId"]!.GetValue<string>()); // Not started
        Assert.Equal("ab96fa02-7fe6-df11-971b-001d60e938c6", row["PriorityId"]!.GetValue<string>()); // Medium
        Assert.Equal(_creatio.ContactIdOf(User).ToString(), row["OwnerId"]!.GetValue<string>());
        Assert.Equal(_creatio.ContactIdOf(User).ToString(), row["AuthorId"]!.GetValue<string>());
        Assert.Equal("2025-03-02T10:00:00Z", row["StartDate"]!.GetValue<string>());
        Assert.Equal("a@example.com; b@example.com", row["Recepient"]!.GetValue<string>());
        Assert.False(row["ShowInScheduler"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.BadRequest, noTitle.Status);
        Assert.Equal(HttpStatusCode.BadRequest, spelledRight.Status);
        Assert.Equal(HttpStatusCode.BadRequest, unknownSelect.Status);
    }

    [Fact]
    public async Task Participants_come_with_expand_or_a_second_query_and_unknown_navigations_are_400()
    {
        var me = _creatio.ContactIdOf(User);
        var guest = Guid.Parse(_creatio.SeedContact(new JsonObject { ["Name"] = "Guest", ["Email"] = "guest@example.com" })["Id"]!.GetValue<string>());
        var meeting = Seed("Planning", Meeting, showInScheduler: true);
        _creatio.Seed("ActivityParticipant", new JsonObject { ["ActivityId"] = meeting.ToString(), ["ParticipantId"] = me.ToString(), ["InviteResponseId"] = Confirmed });
        _creatio.Seed("ActivityParticipant", new JsonObject { ["ActivityId"] = meeting.ToString(), ["ParticipantId"] = guest.ToString() });
        Seed("Other", Meeting, showInScheduler: true);

        var expanded = await GetAsync($"0/odata/Activity({meeting})?$select=Title&$expand=Owner($select=Name),ActivityParticipantCollectionByActivity($select=ParticipantId,InviteResponseId;$orderby=InviteResponseId desc)");
        var list = await GetAsync("0/odata/Activity?$select=Title&$expand=ActivityParticipantCollectionByActivity($filter=" + Uri.EscapeDataString($"ParticipantId eq {guest}") + ")&$orderby=Title");
        var secondQuery = await GetAsync("0/odata/ActivityParticipant?$select=ActivityId&$filter=" + Uri.EscapeDataString($"ParticipantId eq {guest}"));
        var unknown = await GetAsync("0/odata/Activity?$expand=Participants");

        Assert.Equal(HttpStatusCode.OK, expanded.Status);
        Assert.Equal(User, expanded.Body!["Owner"]!["Name"]!.GetValue<string>());
        var participants = expanded.Body!["ActivityParticipantCollectionByActivity"]!.AsArray();
        Assert.Equal([me.ToString(), guest.ToString()], participants.Select(p => p!["ParticipantId"]!.GetValue<string>()));
        Assert.Equal(Guid.Empty.ToString(), participants[1]!["InviteResponseId"]!.GetValue<string>()); // no answer yet
        Assert.Contains("Activity(Title,Owner(Name),ActivityParticipantCollectionByActivity(ParticipantId,InviteResponseId))/$entity", expanded.Body!["@odata.context"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal([0, 1], list.Body!["value"]!.AsArray().Select(a => a!["ActivityParticipantCollectionByActivity"]!.AsArray().Count));
        Assert.Equal([meeting.ToString()], secondQuery.Body!["value"]!.AsArray().Select(p => p!["ActivityId"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.Status);
    }

    [Fact]
    public async Task ModifiedOn_moves_on_each_edit_of_the_row_itself_and_deleting_an_activity_deletes_its_participants()
    {
        var meeting = Seed("Review", Meeting, showInScheduler: true);
        var participant = Guid.Parse(_creatio.Seed("ActivityParticipant", new JsonObject
        {
            ["ActivityId"] = meeting.ToString(), ["ParticipantId"] = _creatio.ContactIdOf(User).ToString(),
        })["Id"]!.GetValue<string>());

        _clock.Advance(TimeSpan.FromMinutes(5));
        var patch = await SendAsync(HttpMethod.Patch, $"0/odata/Activity({meeting})", new JsonObject { ["Location"] = "Room 2" });
        var afterPatch = _creatio.Get("Activity", meeting)!["ModifiedOn"]!.GetValue<string>();
        _clock.Advance(TimeSpan.FromMinutes(5));
        _creatio.SimulateUserEdit("ActivityParticipant", participant, new JsonObject { ["InviteResponseId"] = Confirmed });
        var afterParticipant = _creatio.Get("Activity", meeting)!["ModifiedOn"]!.GetValue<string>();
        var participantModifiedOn = _creatio.Get("ActivityParticipant", participant)!["ModifiedOn"]!.GetValue<string>();
        var delete = await SendAsync(HttpMethod.Delete, $"0/odata/Activity({meeting})", null);

        Assert.Equal(HttpStatusCode.NoContent, patch.Status);
        Assert.Equal("2025-03-01T08:05:00Z", afterPatch);
        Assert.Equal(afterPatch, afterParticipant); // a participant's change is its own row's ModifiedOn, not the activity's
        Assert.Equal("2025-03-01T08:10:00Z", participantModifiedOn);
        Assert.Equal(HttpStatusCode.NoContent, delete.Status);
        Assert.Null(_creatio.Get("ActivityParticipant", participant));
    }

    private Guid Seed(string title, string category, bool showInScheduler) => Guid.Parse(_creatio.Seed("Activity", new JsonObject
    {
        ["Title"] = title, ["TypeId"] = TypeTask, ["ActivityCategoryId"] = category, ["ShowInScheduler"] = showInScheduler,
        ["OwnerId"] = _creatio.ContactIdOf(User).ToString(), ["StartDate"] = "2025-03-02T10:00:00Z", ["DueDate"] = "2025-03-02T11:00:00Z",
    })["Id"]!.GetValue<string>());

    private Task<(HttpStatusCode Status, JsonNode? Body)> GetAsync(string path) => SendAsync(HttpMethod.Get, path, null);

    private async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(HttpMethod method, string path, JsonObject? body)
    {
        using var request = new HttpRequestMessage(method, new Uri(_creatio.BaseUrl, path));
        request.Headers.Add("Cookie", _cookie);
        request.Headers.Add("BPMCSRF", _csrf);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }
}
