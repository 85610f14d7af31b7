using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Creatio;
using CreatioGoogle.Broker.Sync;
using CreatioGoogle.Sandbox.Creatio;
using CreatioGoogle.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CreatioGoogle.Tests.Sync;

/// <summary>What every feature's sync test world is made of.</summary>
internal sealed record SyncWorldParts(BrokerWorld Broker, SandboxCreatio Creatio, Connection Connection, WriteFault Fault);

/// <summary>
/// Starts the parts every feature's sync test world shares, the same way: a sandbox Creatio over HTTP with an integration
/// user and the Creatio users named, a <see cref="BrokerWorld"/> on the same fake clock pointed at it, a <see cref="WriteFault"/>
/// under the Creatio client (the feature puts it under its Google client too), and the owner connected for the feature.
/// </summary>
internal static class SyncWorldHost
{
    public const string IntegrationUser = "Integration";

    /// <param name="users">Creatio users; the first one owns the connection.</param>
    /// <param name="googleClients">Adds the fault (and anything else) to the feature's Google client.</param>
    /// <param name="beforeConnect">Runs on the started broker before the owner connects (a calendar's time zone...).</param>
    public static async Task<SyncWorldParts> StartAsync(string feature, string email, IReadOnlyList<string> users, Action<Dictionary<string, string?>>? configure,
        Action<IServiceCollection, WriteFault> googleClients, Action<BrokerWorld>? beforeConnect = null)
    {
        var clock = new ForwardingClock();
        var creatioOptions = new SandboxCreatioOptions { Clock = clock };
        foreach (var user in users.Prepend(IntegrationUser))
        {
            creatioOptions.Users.Add(new SandboxCreatioUser(user, user.ToLowerInvariant() + "-password"));
        }

        var creatio = await SandboxCreatio.StartAsync(creatioOptions);
        var fault = new WriteFault();
        BrokerWorld? broker = null;
        try
        {
            broker = await BrokerWorld.StartAsync(s =>
            {
                s["Tenants:acme:CreatioUrl"] = creatio.BaseUrl.ToString();
                s["Secrets:tenant-acme-creatio-user"] = IntegrationUser;
                s["Secrets:tenant-acme-creatio-password"] = IntegrationUser.ToLowerInvariant() + "-password";
                s["Creatio:MaxRetryAttempts"] = "0";
                configure?.Invoke(s);
            }, services: collection =>
            {
                googleClients(collection, fault);
                collection.AddHttpClient(CreatioClientFactory.HttpClientName).AddHttpMessageHandler(() => new WriteFaultHandler(fault));
            });
            clock.Inner = broker.Clock;
            beforeConnect?.Invoke(broker);
            var ownerUnit = creatio.Rows("SysAdminUnit").Single(r => r["Name"]!.GetValue<string>() == users[0]);
            var request = broker.Request(feature);
            request.CreatioUserId = ownerUnit["Id"]!.GetValue<string>();
            await broker.ConnectAsync(request, email);
            var connection = (await broker.Connections.ListAsync(BrokerWorld.TenantId, request.CreatioUserId, CancellationToken.None)).Single();
            return new SyncWorldParts(broker, creatio, connection, fault);
        }
        catch
        {
            if (broker is not null)
            {
                await broker.DisposeAsync();
            }

            await creatio.DisposeAsync();
            throw;
        }
    }

    /// <summary>One queued job of <paramref name="feature"/>, run by the real runner (lease, cursor saved last), a second later. Failures propagate.</summary>
    public static async Task<SyncRunOutcome> RunJobAsync(BrokerWorld broker, Connection connection, string feature)
    {
        broker.Clock.Advance(TimeSpan.FromSeconds(1));
        var job = new SyncJob(BrokerWorld.TenantId, connection.ConnectionId, feature, broker.Clock.GetUtcNow(), "test");
        return await broker.Services.GetRequiredService<SyncRunner>().RunAsync(job, CancellationToken.None);
    }

    public static Task<Cursor?> CursorAsync(BrokerWorld broker, Connection connection, string feature) =>
        broker.Services.GetRequiredService<CursorStore>().GetAsync(connection.ConnectionId, feature, CancellationToken.None);

    /// <summary>Creatio write requests since the last reset ($batch, and single creates, updates, deletes).</summary>
    public static int CreatioWrites(SandboxCreatio creatio) => creatio.CountOf(CreatioRequestKind.Batch) + creatio.CountOf(CreatioRequestKind.Create)
        + creatio.CountOf(CreatioRequestKind.Update) + creatio.CountOf(CreatioRequestKind.Delete);

    /// <summary>A clock that follows another set later (the sandbox Creatio starts before BrokerWorld makes its clock).</summary>
    private sealed class ForwardingClock : TimeProvider
    {
        public TimeProvider Inner { get; set; } = System;

        public override DateTimeOffset GetUtcNow() => Inner.GetUtcNow();
    }
}
