using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using CreatioGoogle.Broker.Connections;
using CreatioGoogle.LocalHost.Local;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace CreatioGoogle.Tests.Infrastructure;

/// <summary>
/// The broker as the local run hosts it (the Functions app's functions on Kestrel, sandbox Google started by
/// the local defaults), listening on a free port, with one tenant "acme". Everything talks real HTTP.
/// </summary>
public sealed class RunningBroker : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly LocalEnvironment _environment;
    private readonly string _dataDirectory;

    private RunningBroker(WebApplication app, LocalEnvironment environment, Uri baseUrl, Dictionary<string, string?> settings, string dataDirectory,
        bool demo)
    {
        TenantId = demo ? LocalEnvironment.DemoTenant : BrokerWorld.TenantId;
        _app = app;
        _environment = environment;
        BaseUrl = baseUrl;
        Settings = settings;
        _dataDirectory = dataDirectory;
    }

    public Uri BaseUrl { get; }
    public Dictionary<string, string?> Settings { get; }
    /// <summary>"acme", or "demo" for a run with the local run's demo tenant (and its sandbox Creatio and try page).</summary>
    public string TenantId { get; }
    public string ApiKey => Settings.TryGetValue($"Secrets:tenant-{TenantId}-api-key", out var key) && key is not null
        ? key
        : Environment.Settings[$"Secrets:tenant-{TenantId}-api-key"]!;
    public LocalEnvironment Environment => _environment;
    public string TablePrefix => Settings["Storage:TablePrefix"]!;
    public CreatioGoogle.Sandbox.Google.SandboxGoogle Google => _environment.Google!;
    public IServiceProvider Services => _app.Services;
    public ConnectionStore Connections => _app.Services.GetRequiredService<ConnectionStore>();

    /// <summary>A browser that does not follow redirects: each hop is made, and checked, by the test.</summary>
    public HttpClient Browser { get; } = new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });

    /// <param name="builder">Last changes to the web app builder (a log sink, say).</param>
    /// <param name="demo">No tenant configured: the local run's demo tenant, sandbox Creatio and try page, as in a plain local run.</param>
    public static async Task<RunningBroker> StartAsync(Action<Dictionary<string, string?>>? configure = null,
        Action<WebApplicationBuilder>? builder = null, bool demo = false)
    {
        var baseUrl = new Uri($"http://127.0.0.1:{CreatioGoogle.Sandbox.LoopbackHost.FreePort()}");
        var settings = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = await SharedAzurite.ConnectionStringAsync(),
            ["Storage:TablePrefix"] = SharedAzurite.UniquePrefix(),
            ["Secrets:token-encryption-key"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Secrets:tenant-acme-api-key"] = BrokerWorld.RandomText(),
            ["Tenants:acme:ReturnUrls:0"] = BrokerWorld.CreatioSite.ToString(),
            ["Logging:LogLevel:Default"] = "Warning",
            ["SyncQueueName"] = "sync" + SharedAzurite.UniquePrefix(),
            ["StatusCallbackQueueName"] = "callbacks" + SharedAzurite.UniquePrefix(),
        };
        if (demo)
        {
            settings.Remove("Tenants:acme:ReturnUrls:0");
            settings.Remove("Secrets:tenant-acme-api-key");
        }

        configure?.Invoke(settings);
        var dataDirectory = Directory.CreateTempSubdirectory("broker-test-").FullName;
        var (app, environment) = await LocalBrokerApp.CreateAsync([], baseUrl, settings, dataDirectory, CancellationToken.None, builder);
        await LocalBrokerApp.StartAsync(app, environment, baseUrl, CancellationToken.None);
        return new RunningBroker(app, environment, baseUrl, settings, dataDirectory, demo);
    }

    public HttpRequestMessage ApiRequest(HttpMethod method, string path, object? body = null, string? apiKey = null)
    {
        var request = new HttpRequestMessage(method, new Uri(BaseUrl, path));
        request.Headers.Add("X-Creatio-Tenant", TenantId);
        request.Headers.Add("X-Api-Key", apiKey ?? ApiKey);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return request;
    }

    public static object ConnectBody(string creatioUserId, params string[] features) => new
    {
        creatioUserId,
        features,
        returnUrl = BrokerWorld.ReturnUrl.ToString(),
        loginHint = "alice@example.com",
    };

    /// <summary>Creatio's call: returns the connection id and the Google URL.</summary>
    public async Task<(string ConnectionId, Uri AuthorizationUrl)> CreateConnectionAsync(object body)
    {
        using var response = await Browser.SendAsync(ApiRequest(HttpMethod.Post, "/api/connections", body));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        return (json.GetProperty("connectionId").GetString()!, new Uri(json.GetProperty("authorizationUrl").GetString()!));
    }


    public async ValueTask DisposeAsync()
    {
        Browser.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _environment.DisposeAsync();
        Directory.Delete(_dataDirectory, recursive: true);
    }
}
