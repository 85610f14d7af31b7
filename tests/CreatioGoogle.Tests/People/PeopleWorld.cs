using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CreatioGoogle.Broker.Google;
using CreatioGoogle.Broker.Google.People;
using CreatioGoogle.Sandbox.Google;
using CreatioGoogle.Sandbox.Google.People;
using CreatioGoogle.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CreatioGoogle.Tests.People;

/// <summary>
/// A sandbox Google (People on the same host) on a fake clock, an access token for alice obtained through the real
/// consent page and token endpoint, and the product's <see cref="GooglePeopleClient"/> wired through DI.
/// Also the <see cref="IGoogleAccessTokenSource"/>: it refreshes the token when the fake clock has outrun it.
/// </summary>
internal sealed class PeopleWorld : IAsyncDisposable, IGoogleAccessTokenSource
{
    public const string Alice = "alice@example.com";
    public const string Contacts = "https://www.googleapis.com/auth/contacts";
    public const string Tenant = "acme";
    public const string Connection = "conn-1";

    private const string ClientId = "123-people.apps.googleusercontent.com";
    private const string ClientSecret = "people-client-secret";
    private const string RedirectUri = "http://127.0.0.1:7071/api/oauth/callback";

    private static readonly HttpClient Browser = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });

    private readonly ServiceProvider _services;
    private string _refreshToken = null!;

    private PeopleWorld(SandboxGoogle google, FakeTimeProvider clock)
    {
        Google = google;
        Clock = clock;
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["GooglePeople:BaseUrl"] = google.PeopleBaseUrl.ToString() })
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IGoogleAccessTokenSource>(this);
        services.AddGooglePeopleClient(config);
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public SandboxGoogle Google { get; }

    public SandboxPeople People => Google.People;

    public FakeTimeProvider Clock { get; }

    public string AccessToken { get; private set; } = null!;

    /// <summary>When set, handed to the client instead of the real token (for 401 tests).</summary>
    public string? TokenOverride { get; set; }

    public GooglePeopleClient Client => _services.GetRequiredService<GooglePeopleClient>();

    public static async Task<PeopleWorld> StartAsync(string scope = "openid email " + Contacts)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 3, 1, 9, 0, 0, TimeSpan.Zero));
        var options = new SandboxGoogleOptions { Clock = clock };
        options.Clients.Add(new SandboxClient(ClientId, ClientSecret, RedirectUri));
        var google = await SandboxGoogle.StartAsync(options);
        var world = new PeopleWorld(google, clock);
        try
        {
            await world.ConsentAsync(scope);
            return world;
        }
        catch
        {
            await world.DisposeAsync();
            throw;
        }
    }

    /// <summary>Access tokens asked for with forceRefresh (the pipeline's answer to a 401).</summary>
    public int ForcedRefreshes { get; private set; }

    public async Task<GoogleAccessToken> GetAccessTokenAsync(GoogleConnection connection, bool forceRefresh, CancellationToken cancellationToken)
    {
        Assert.Equal((Tenant, Connection), (connection.TenantId, connection.ConnectionId));
        ForcedRefreshes += forceRefresh ? 1 : 0;
        if (TokenOverride is not null && !(forceRefresh && RefreshReplacesOverride))
        {
            return new GoogleAccessToken.Issued(TokenOverride);
        }

        TokenOverride = null;
        if (forceRefresh || !Google.IsAccessTokenValid(AccessToken))
        {
            var body = await PostTokenAsync(new() { ["grant_type"] = "refresh_token", ["refresh_token"] = _refreshToken }, cancellationToken);
            AccessToken = body.GetProperty("access_token").GetString()!;
        }

        return new GoogleAccessToken.Issued(AccessToken);
    }

    /// <summary>When true, a forced refresh replaces <see cref="TokenOverride"/> with a real token (a refused token, then a good one).</summary>
    public bool RefreshReplacesOverride { get; set; }

    /// <summary>A list over all pages: (pages, people, final sync token).</summary>
    public async Task<(List<PeopleConnectionsPage> Pages, List<Person> People, string SyncToken)> SyncAsync(string? syncToken = null)
    {
        var pages = new List<PeopleConnectionsPage>();
        await foreach (var page in Client.ListConnectionsAsync(Tenant, Connection, syncToken))
        {
            pages.Add(page);
        }

        return (pages, [.. pages.SelectMany(p => p.Connections)], pages[^1].NextSyncToken!);
    }

    public static IEnumerable<JsonObject> NewContacts(int count, string prefix = "Seed") =>
        Enumerable.Range(0, count).Select(i => new JsonObject
        {
            ["names"] = new JsonArray(new JsonObject { ["givenName"] = prefix, ["familyName"] = $"N{i:D5}" }),
            ["emailAddresses"] = new JsonArray(new JsonObject { ["value"] = $"{prefix.ToLowerInvariant()}{i}@example.org" }),
        });

    public static Person NewPerson(string given, string family = "Tester") => new()
    {
        Names = [new Name { GivenName = given, FamilyName = family }],
        EmailAddresses = [new EmailAddress { Value = $"{given.ToLowerInvariant()}@example.org", Type = "work" }],
        PhoneNumbers = [new PhoneNumber { Value = "+1 555 0100", Type = "mobile" }],
        Organizations = [new Organization { Name = "Acme", Title = "Buyer" }],
        Birthdays = [new Birthday { Date = new GoogleDate { Year = 1990, Month = 4, Day = 2 } }],
        Biographies = [new Biography { Value = "Met at the fair", ContentType = "TEXT_PLAIN" }],
    };

    /// <summary>A call without the client, for protocol checks the client would refuse to make.</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> RawAsync(HttpMethod method, string pathAndQuery, JsonNode? body = null, string? token = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(Google.PeopleBaseUrl, pathAndQuery));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? ((GoogleAccessToken.Issued)await GetAccessTokenAsync(new GoogleConnection(Tenant, Connection), false, CancellationToken.None)).AccessToken);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = await Browser.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await Google.DisposeAsync();
    }

    private async Task ConsentAsync(string scope)
    {
        var url = QueryHelpers.AddQueryString(Google.AuthorizationEndpoint.ToString(), new Dictionary<string, string?>
        {
            ["client_id"] = ClientId,
            ["redirect_uri"] = RedirectUri,
            ["response_type"] = "code",
            ["scope"] = scope,
            ["access_type"] = "offline",
            ["prompt"] = "consent",
        });
        var location = await GoogleConsent.DecideAsync(Browser, new Uri(url), Alice);
        var code = QueryHelpers.ParseQuery(location.Query)["code"].ToString();
        Assert.False(string.IsNullOrEmpty(code), location.ToString());
        var body = await PostTokenAsync(new() { ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = RedirectUri }, CancellationToken.None);
        AccessToken = body.GetProperty("access_token").GetString()!;
        _refreshToken = body.GetProperty("refresh_token").GetString()!;
    }

    private async Task<JsonElement> PostTokenAsync(Dictionary<string, string> fields, CancellationToken cancellationToken)
    {
        fields["client_id"] = ClientId;
        fields["client_secret"] = ClientSecret;
        using var content = new FormUrlEncodedContent(fields);
        using var response = await Browser.PostAsync(Google.TokenEndpoint, content, cancellationToken);
        var json = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, json);
        return JsonDocument.Parse(json).RootElement.Clone();
    }
}
