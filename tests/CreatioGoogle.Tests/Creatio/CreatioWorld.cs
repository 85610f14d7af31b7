using CreatioGoogle.Broker.Creatio;
using CreatioGoogle.Broker.Secrets;
using CreatioGoogle.Broker.Tenants;
using CreatioGoogle.Sandbox.Creatio;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CreatioGoogle.Tests.Creatio;

/// <summary>A sandbox Creatio and the real client wired as the broker wires it, sharing one fake clock.</summary>
internal sealed class CreatioWorld : IAsyncDisposable
{
    public const string Tenant = "acme";
    public const string UserName = "Integration";
    public const string Password = "Pa55-w0rd!-sandbox";
    public const string ClientId = "creatio-sync-app";
    public const string ClientSecret = "client-secret-0123456789";

    private readonly ServiceProvider _services;

    private CreatioWorld(SandboxCreatio sandbox, FakeTimeProvider clock, ServiceProvider services)
    {
        Sandbox = sandbox;
        Clock = clock;
        _services = services;
        Factory = services.GetRequiredService<ICreatioClientFactory>();
    }

    public SandboxCreatio Sandbox { get; }

    /// <summary>Frozen unless a test advances it, so rows written together share one ModifiedOn.</summary>
    public FakeTimeProvider Clock { get; }

    public ICreatioClientFactory Factory { get; }

    public ICreatioClient Client => Factory.ForTenant(Tenant);

    public static async Task<CreatioWorld> StartAsync(
        CreatioAuthMode mode = CreatioAuthMode.FormsLogin, string password = Password, string clientSecret = ClientSecret,
        bool realClientClock = false)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 3, 1, 8, 0, 0, TimeSpan.Zero));
        var options = new SandboxCreatioOptions { Clock = clock };
        options.Users.Add(new SandboxCreatioUser(UserName, Password));
        options.Clients.Add(new SandboxCreatioClient(ClientId, ClientSecret, "SyncApp"));
        var sandbox = await SandboxCreatio.StartAsync(options);

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Creatio:AuthMode"] = mode.ToString(),
            ["Creatio:IdentityServerUrl"] = sandbox.IdentityServerUrl.ToString(),
            ["Creatio:RetryBaseDelay"] = "00:00:00.010",
            ["Creatio:AttemptTimeout"] = "00:00:10",
            ["Creatio:TotalRequestTimeout"] = "00:00:20",
            [$"Secrets:{SecretNames.TenantCreatioUser(Tenant)}"] = UserName,
            [$"Secrets:{SecretNames.TenantCreatioPassword(Tenant)}"] = password,
            [$"Secrets:{SecretNames.TenantCreatioClientId(Tenant)}"] = ClientId,
            [$"Secrets:{SecretNames.TenantCreatioClientSecret(Tenant)}"] = clientSecret,
        }).Build();

        var services = new ServiceCollection();
        services.AddLogging();
        // The resilience pipeline waits out retry delays on the DI clock: a frozen fake clock would never retry.
        services.AddSingleton(realClientClock ? TimeProvider.System : clock);
        services.AddSingleton<ISecretStore>(new LocalSecretStore(configuration));
        services.Configure<TenantsOptions>(o => o.Tenants[Tenant] = new TenantOptions { CreatioUrl = sandbox.BaseUrl });
        services.AddCreatioClient(configuration);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        _ = provider.GetRequiredService<IOptions<CreatioOptions>>().Value; // what ValidateOnStart does in a host
        return new CreatioWorld(sandbox, clock, provider);
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await Sandbox.DisposeAsync();
    }
}
