using System.Security.Cryptography;
using CreatioGoogle.Broker;
using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Http;
using CreatioGoogle.Broker.OAuth;
using CreatioGoogle.Broker.Storage;
using CreatioGoogle.Broker.Tenants;
using CreatioGoogle.Broker.Tokens;
using CreatioGoogle.Sandbox.Google;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace CreatioGoogle.Tests.Infrastructure;

/// <summary>
/// A broker wired with its real parts: Azurite (own table prefix), the sandbox Google over HTTP, local
/// secrets, one tenant "acme". Tests read as scenarios on top of it.
/// </summary>
public sealed class BrokerWorld : IAsyncDisposable
{
    public const string TenantId = "acme";
    public const string ClientId = "sandbox-client.apps.googleusercontent.com";
    public static readonly Uri CreatioSite = new("https://acme.creatio.example/");
    public static readonly Uri ReturnUrl = new("https://acme.creatio.example/0/Shell/#SectionModuleV2/ContactSectionV2");

    private readonly List<ServiceProvider> _otherInstances = [];
    private Action<IServiceCollection>? _addServices;

    private BrokerWorld(SandboxGoogle google, ServiceProvider services, Dictionary<string, string?> settings, FakeTimeProvider clock, Uri publicBaseUrl,
        IConfigurationRoot configuration)
    {
        Configuration = configuration;
        Google = google;
        Services = services;
        Settings = settings;
        Clock = clock;
        PublicBaseUrl = publicBaseUrl;
    }

    public SandboxGoogle Google { get; }

    /// <summary>The broker's live configuration: setting a key here is what an operator changing a setting does (e.g. rotating a key).</summary>
    public IConfigurationRoot Configuration { get; }
    public ServiceProvider Services { get; }
    public Dictionary<string, string?> Settings { get; }
    public FakeTimeProvider Clock { get; }
    public Uri PublicBaseUrl { get; }
    public string ApiKey => Settings["Secrets:tenant-acme-api-key"]!;
    public string ClientSecret => Settings["Secrets:google-client-secret"]!;

    public ConnectFlow ConnectFlow => Services.GetRequiredService<ConnectFlow>();
    public ConnectionStore Connections => Services.GetRequiredService<ConnectionStore>();
    public BrokerTables Tables => Services.GetRequiredService<BrokerTables>();
    public Tenant Tenant => Services.GetRequiredService<TenantAuthenticator>().Find(TenantId)!;
    public TokenService Tokens => Services.GetRequiredService<TokenService>();
    public TokenRenewal Renewal => Services.GetRequiredService<TokenRenewal>();
    public ConnectionsApi Api => Services.GetRequiredService<ConnectionsApi>();
    public GrantRevocation Revocations => Services.GetRequiredService<GrantRevocation>();

    /// <summary>A browser: no automatic redirects, so a test sees and follows each hop itself.</summary>
    public HttpClient Browser { get; } = new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });

    public static Task<BrokerWorld> StartAsync(Action<Dictionary<string, string?>>? configure = null,
        Action<SandboxGoogleOptions>? google = null, Action<IServiceCollection>? services = null) =>
        StartAsync(new Uri("http://broker.test"), configure, google, services);

    public static async Task<BrokerWorld> StartAsync(Uri publicBaseUrl, Action<Dictionary<string, string?>>? configure,
        Action<SandboxGoogleOptions>? configureGoogle = null, Action<IServiceCollection>? addServices = null)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var clientSecret = RandomText();
        var redirectUris = RedirectPaths.All.Select(p => new Uri(publicBaseUrl, p).ToString());
        var googleOptions = new SandboxGoogleOptions { Clock = clock };
        configureGoogle?.Invoke(googleOptions);
        googleOptions.Clients.Add(new SandboxClient(ClientId, clientSecret, redirectUris));
        var google = await SandboxGoogle.StartAsync(googleOptions);

        var settings = BrokerSettings(google, publicBaseUrl, clientSecret, await SharedAzurite.ConnectionStringAsync());
        configure?.Invoke(settings);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var world = new BrokerWorld(google, BuildBroker(configuration, clock, addServices), settings, clock, publicBaseUrl, configuration);
        world._addServices = addServices;
        return world;
    }

    /// <summary>
    /// Another broker instance (another Functions host) on the same storage, Google and clock: its own
    /// in-process state, shared table rows. For the cross-instance rules.
    /// </summary>
    public ServiceProvider StartOtherInstance()
    {
        var instance = BuildBroker(Configuration, Clock, _addServices);
        _otherInstances.Add(instance);
        return instance;
    }

    private static ServiceProvider BuildBroker(IConfiguration configuration, TimeProvider clock, Action<IServiceCollection>? addServices)
    {
        var collection = new ServiceCollection()
            .AddLogging(b => b.SetMinimumLevel(LogLevel.Warning))
            .AddSingleton(clock)
            .AddSingleton(configuration)
            .AddBroker(configuration);
        addServices?.Invoke(collection);
        return collection.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    /// <summary>Connects a user (alice by default) for mail and returns the stored connection.</summary>
    public async Task<Connection> ConnectedAsync(string account = "alice@example.com", params string[] features)
    {
        var (started, outcome) = await ConnectAsync(Request(features.Length == 0 ? ["mail"] : features), account);
        Assert.True(outcome.RedirectTo is not null, outcome.Page?.Message);
        return (await Connections.GetAsync(TenantId, started.ConnectionId, CancellationToken.None))!;
    }

    /// <summary>The connection as stored now.</summary>
    public async Task<Connection> ReloadAsync(Connection connection) =>
        (await Connections.GetAsync(connection.TenantId, connection.ConnectionId, CancellationToken.None))!;

    /// <summary>Creatio's HTTP call into an API method: headers, query, body in; status, headers and JSON body out.</summary>
    public Task<ApiResponse> CallAsync(Func<ConnectionsApi, Microsoft.AspNetCore.Http.HttpRequest, Task<Microsoft.AspNetCore.Mvc.IActionResult>> call,
        string method = "GET", string? query = null, string? apiKey = null, string tenant = TenantId) =>
        ApiCall.InvokeAsync(Api, call, method, query, tenant, apiKey ?? ApiKey);

    /// <summary>Creatio's HTTP call into any API handler of the broker (the sync API, say).</summary>
    public Task<ApiResponse> CallAsync(Func<Microsoft.AspNetCore.Http.HttpRequest, Task<Microsoft.AspNetCore.Mvc.IActionResult>> call,
        string method, string? query = null, string? apiKey = null, string tenant = TenantId) =>
        ApiCall.InvokeAsync(call, method, query, tenant, apiKey ?? ApiKey);

    /// <summary>The settings a deployment would give, pointing at this world's sandbox and Azurite.</summary>
    public static Dictionary<string, string?> BrokerSettings(SandboxGoogle google, Uri publicBaseUrl, string clientSecret, string storage) => new()
    {
        ["AzureWebJobsStorage"] = storage,
        ["Storage:TablePrefix"] = SharedAzurite.UniquePrefix(),
        ["Broker:PublicBaseUrl"] = publicBaseUrl.ToString(),
        ["Google:AuthorizationEndpoint"] = google.AuthorizationEndpoint.ToString(),
        ["Google:TokenEndpoint"] = google.TokenEndpoint.ToString(),
        ["Google:RevokeEndpoint"] = google.RevokeEndpoint.ToString(),
        ["Google:CertificatesUrl"] = google.CertificatesUrl.ToString(),
        ["Google:UserInfoEndpoint"] = google.UserInfoEndpoint.ToString(),
        ["Google:Issuers:0"] = google.Issuer,
        ["GooglePeople:BaseUrl"] = google.PeopleBaseUrl.ToString(),
        ["GoogleCalendar:BaseUrl"] = google.CalendarBaseUrl.ToString(),
        ["Secrets:google-client-id"] = ClientId,
        ["Secrets:google-client-secret"] = clientSecret,
        ["Secrets:token-encryption-key"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        ["Secrets:tenant-acme-api-key"] = RandomText(),
        ["Tenants:acme:ReturnUrls:0"] = CreatioSite.ToString(),
        // Queues are per world too: other brokers on the shared Azurite (the local host's triggers) must not take its messages.
        ["SyncQueueName"] = "sync" + SharedAzurite.UniquePrefix(),
        ["StatusCallbackQueueName"] = "callbacks" + SharedAzurite.UniquePrefix(),
    };

    public ConnectRequest Request(params string[] features) => new()
    {
        CreatioUserId = Guid.NewGuid().ToString(),
        Features = [.. features],
        ReturnUrl = ReturnUrl.ToString(),
    };

    /// <summary>Creatio asks to connect; returns where to send the browser.</summary>
    public async Task<ConnectStarted> StartConnectAsync(ConnectRequest request)
    {
        var (started, errors) = await ConnectFlow.StartAsync(Tenant, request, CancellationToken.None);
        Assert.True(errors is null, errors is null ? "" : string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(' ', e.Value)}")));
        return started!;
    }

    /// <summary>Google's redirect to the broker, read as the callback would read its query string.</summary>
    public static CallbackParameters CallbackOf(Uri redirect)
    {
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(redirect.Query);
        return new CallbackParameters(query.GetValueOrDefault("code"), query.GetValueOrDefault("state"),
            query.GetValueOrDefault("error"), query.GetValueOrDefault("error_description"));
    }

    /// <summary>The whole connect flow at the flow level: start, consent on Google, callback.</summary>
    public async Task<(ConnectStarted Started, CallbackOutcome Outcome)> ConnectAsync(
        ConnectRequest request, string account = "alice@example.com", IEnumerable<string>? untick = null)
    {
        var started = await StartConnectAsync(request);
        var redirect = await GoogleConsent.DecideAsync(Browser, started.AuthorizationUrl, account, untick: untick);
        var outcome = await ConnectFlow.CompleteAsync(CallbackOf(redirect), CancellationToken.None);
        return (started, outcome);
    }

    public static string RandomText() => Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();

    public async ValueTask DisposeAsync()
    {
        Browser.Dispose();
        foreach (var instance in _otherInstances)
        {
            await instance.DisposeAsync();
        }

        await Services.DisposeAsync();
        await Google.DisposeAsync();
    }
}
