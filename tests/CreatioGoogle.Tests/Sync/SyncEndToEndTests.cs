using System.Net;
using System.Text.Json.Nodes;
using CreatioGoogle.Broker.Sync;
using CreatioGoogle.Sandbox.Creatio;
using CreatioGoogle.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CreatioGoogle.Tests.Sync;

/// <summary>
/// Creatio asks for a sync over HTTP; the job goes through the real queue in Azurite and the RunSync queue
/// trigger as the local host runs it; contacts appear on the Google side.
/// </summary>
public sealed class SyncEndToEndTests
{
    [Fact]
    public async Task Sync_now_queues_a_job_that_the_queue_trigger_runs_and_contacts_reach_google()
    {
        var creatioOptions = new SandboxCreatioOptions();
        creatioOptions.Users.Add(new SandboxCreatioUser("Integration", "integration-password"));
        creatioOptions.Users.Add(new SandboxCreatioUser("Alice", "alice-password"));
        await using var creatio = await SandboxCreatio.StartAsync(creatioOptions);
        var owner = creatio.ContactIdOf("Alice");
        creatio.SeedContact(new JsonObject { ["GivenName"] = "Ada", ["Surname"] = "Lovelace", ["Name"] = "Ada Lovelace", ["Email"] = "ada@example.org", ["OwnerId"] = owner.ToString() });
        var aliceUnit = creatio.Rows("SysAdminUnit").Single(r => r["Name"]!.GetValue<string>() == "Alice")["Id"]!.GetValue<string>();
        await using var broker = await RunningBroker.StartAsync(s =>
        {
            s["Tenants:acme:CreatioUrl"] = creatio.BaseUrl.ToString();
            s["Secrets:tenant-acme-creatio-user"] = "Integration";
            s["Secrets:tenant-acme-creatio-password"] = "integration-password";
        });
        var (connectionId, authorizationUrl) = await broker.CreateConnectionAsync(RunningBroker.ConnectBody(aliceUnit, "contacts"));
        using (var callback = await broker.Browser.GetAsync(await GoogleConsent.DecideAsync(broker.Browser, authorizationUrl, "alice@example.com")))
        {
            Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        }

        using var accepted = await broker.Browser.SendAsync(broker.ApiRequest(HttpMethod.Post, $"/api/connections/{connectionId}/sync"));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);

        var cursors = broker.Services.GetRequiredService<CursorStore>();
        Cursor? cursor = null;
        for (var attempt = 0; attempt < 100 && cursor?.LastSuccessAt is null; attempt++)
        {
            await Task.Delay(100);
            cursor = await cursors.GetAsync(connectionId, "contacts", CancellationToken.None);
        }

        Assert.True(cursor?.LastSuccessAt is not null, $"the queued sync did not complete: {cursor?.LastError}");
        Assert.Equal(1, broker.Google.People.ContactCount("alice@example.com"));
        Assert.NotNull(cursor!.ReadState<CreatioGoogle.Broker.Sync.Contacts.ContactsState>().GoogleSyncToken);
    }

    [Fact]
    public async Task Sync_now_for_an_unknown_connection_is_404_and_for_a_feature_not_connected_is_400()
    {
        await using var broker = await RunningBroker.StartAsync();
        var (connectionId, authorizationUrl) = await broker.CreateConnectionAsync(RunningBroker.ConnectBody(Guid.NewGuid().ToString(), "mail"));
        using (await broker.Browser.GetAsync(await GoogleConsent.DecideAsync(broker.Browser, authorizationUrl, "alice@example.com")))
        {
        }

        using var unknown = await broker.Browser.SendAsync(broker.ApiRequest(HttpMethod.Post, $"/api/connections/{Guid.NewGuid():N}/sync"));
        using var notConnected = await broker.Browser.SendAsync(broker.ApiRequest(HttpMethod.Post, $"/api/connections/{connectionId}/sync?feature=contacts"));

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, notConnected.StatusCode);
        Assert.Equal("application/problem+json", notConnected.Content.Headers.ContentType!.MediaType);
    }
}
