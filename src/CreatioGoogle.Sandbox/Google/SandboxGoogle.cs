using System.Text.Json.Nodes;
using CreatioGoogle.Sandbox.Google.Calendar;
using CreatioGoogle.Sandbox.Google.Gmail;
using CreatioGoogle.Sandbox.Google.People;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CreatioGoogle.Sandbox.Google;

/// <summary>
/// An in-process Google OAuth 2.0 / OpenID Connect authorization server on 127.0.0.1 for tests and offline runs.
/// It is deliberately as strict as Google: exact redirect URIs, single-use codes, PKCE, granular consent,
/// refresh tokens only after a consent screen, grant-wide revocation.
/// </summary>
public sealed class SandboxGoogle : IAsyncDisposable
{
    private static readonly SandboxAccount[] DefaultAccounts =
    [
        new("110000000000000000001", "alice@example.com", "Alice Example"),
        new("110000000000000000002", "bob@example.com", "Bob Example"),
    ];

    private readonly WebApplication _app;
    private readonly GrantStore _store;
    private readonly IdTokenSigner _signer;
    private readonly FaultInjector _faults = new();
    private readonly FaultInjector _revokeFaults = new();
    private readonly TokenEndpoint _tokenEndpoint;
    private readonly RevokeEndpoint _revoke;
    private readonly IReadOnlyList<SandboxAccount> _accounts;
    private readonly Dictionary<string, SandboxClient> _clients;
    private int _disposed;

    private SandboxGoogle(SandboxGoogleOptions options, WebApplication app)
    {
        _app = app;
        Issuer = options.Issuer;
        _accounts = options.Accounts.Count > 0 ? [.. options.Accounts] : DefaultAccounts;
        var clients = options.Clients.ToDictionary(c => c.ClientId, StringComparer.Ordinal);
        _store = new GrantStore(options.Clock, options.AccessTokenLifetime, options.TestingMode, options.RotateRefreshTokens);
        _clients = clients;
        _signer = new IdTokenSigner(options.Issuer, options.Clock, options.OmitEmailFromIdTokens);
        _tokenEndpoint = new TokenEndpoint(clients, _store, _signer, _faults);

        var consent = new ConsentPage(clients, _accounts, _store, options.Issuer);
        var revoke = _revoke = new RevokeEndpoint(_store, _revokeFaults, clients, options.RevokeRequiresClientAuthentication);
        var userInfo = new UserInfoEndpoint(_store);
        app.MapGet("/o/oauth2/v2/auth", consent.AuthorizeAsync);
        app.MapPost(ConsentPage.DecisionPath, consent.DecideAsync);
        app.MapPost("/token", _tokenEndpoint.HandleAsync);
        app.MapMethods("/revoke", ["GET", "POST"], revoke.HandleAsync);
        app.MapGet("/v1/userinfo", userInfo.HandleAsync);
        app.MapGet("/oauth2/v3/certs", WriteJwksAsync);
        app.MapGet("/.well-known/openid-configuration", WriteDiscoveryAsync);

        // People API (people.googleapis.com) on the same host: it checks the bearer tokens issued above.
        var peopleStore = new PeopleStore(options.Clock);
        var peopleApi = new PeopleApi(_store.FindLiveAccessToken, peopleStore);
        peopleApi.Map(app);
        People = new SandboxPeople(peopleApi, peopleStore, AccountByEmail);

        // Calendar API (www.googleapis.com/calendar/v3) on the same host, with push notifications for watch channels.
        var push = new PushChannels(options.Clock);
        var calendarStore = new CalendarStore(options.Clock, push.NotifyChanged);
        var calendarApi = new CalendarApi(_store.FindLiveAccessToken, calendarStore, push, () => BaseUrl);
        calendarApi.Map(app);
        Calendar = new SandboxCalendar(calendarApi, calendarStore, push, AccountByEmail);
        // Gmail API (gmail.googleapis.com) and its Pub/Sub push, signed with the key published above.
        Gmail = new SandboxGmail(_store.FindLiveAccessToken, options.Clock, _signer, AccountByEmail, app);
        ControlEndpoints.Map(app, this);
    }

    public Uri BaseUrl { get; private set; } = null!;

    public Uri AuthorizationEndpoint => new(BaseUrl, "o/oauth2/v2/auth");

    public Uri TokenEndpoint => new(BaseUrl, "token");

    public Uri RevokeEndpoint => new(BaseUrl, "revoke");

    public Uri CertificatesUrl => new(BaseUrl, "oauth2/v3/certs");

    public Uri UserInfoEndpoint => new(BaseUrl, "v1/userinfo");

    public Uri DiscoveryUrl => new(BaseUrl, ".well-known/openid-configuration");

    public string Issuer { get; }

    /// <summary>Where the real https://people.googleapis.com/ would be.</summary>
    public Uri PeopleBaseUrl => BaseUrl;

    /// <summary>Test controls of the People API simulator.</summary>
    public SandboxPeople People { get; }

    /// <summary>Where the real https://www.googleapis.com/calendar/v3/ would be.</summary>
    public Uri CalendarBaseUrl => new(BaseUrl, "calendar/v3/");

    /// <summary>Test controls of the Calendar API simulator.</summary>
    public SandboxCalendar Calendar { get; }
    /// <summary>Where the real https://gmail.googleapis.com/ would be.</summary>
    public Uri GmailBaseUrl => BaseUrl;

    /// <summary>Test controls of the Gmail API simulator and its Pub/Sub push.</summary>
    public SandboxGmail Gmail { get; }

    /// <summary>The simulated users (the defaults when none were configured).</summary>
    public IReadOnlyList<SandboxAccount> Accounts => _accounts;

    /// <summary>grant_type=refresh_token calls received, including ones answered with an injected failure.</summary>
    public int RefreshCount => _tokenEndpoint.RefreshCount;

    /// <summary>grant_type=authorization_code calls received, including ones answered with an injected failure.</summary>
    public int CodeExchangeCount => _tokenEndpoint.CodeExchangeCount;

    /// <summary>Calls to /revoke received, including refused and fault-injected ones.</summary>
    public int RevokeCount => _revoke.Count;

    /// <summary>Rewrites each ID token before the token endpoint sends it: a broken or malicious identity provider.</summary>
    public Func<string, string>? IdTokenTampering
    {
        get => _tokenEndpoint.IdTokenTampering;
        set => _tokenEndpoint.IdTokenTampering = value;
    }

    /// <summary>Real-time delay added to every token call.</summary>
    public TimeSpan TokenEndpointLatency
    {
        get => _faults.Latency;
        set => _faults.Latency = value;
    }

    public static async Task<SandboxGoogle> StartAsync(SandboxGoogleOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);

        var app = LoopbackHost.CreateBuilder(options.Port).Build();
        var sandbox = new SandboxGoogle(options, app);
        return await LoopbackHost.StartAsync(app, sandbox, url => sandbox.BaseUrl = url, ct);
    }

    /// <summary>Like the user removing access at myaccount.google.com: all their grants, refresh and access tokens die.</summary>
    public void RevokeAllFor(string email)
    {
        ArgumentNullException.ThrowIfNull(email);
        foreach (var account in _accounts.Where(a => string.Equals(a.Email, email, StringComparison.OrdinalIgnoreCase)))
        {
            _store.RevokeAllFor(account.Sub);
        }
    }

    /// <summary>
    /// Mints a grant for <paramref name="account"/> (a configured account's e-mail) as if they had consented to
    /// <paramref name="scopes"/> just now, skipping the browser: for seeding thousands of connections in a benchmark.
    /// </summary>
    public (string RefreshToken, string AccessToken) IssueGrantForTesting(string clientId, string account, IEnumerable<string> scopes)
    {
        if (!_clients.ContainsKey(clientId))
        {
            throw new ArgumentException($"No client {clientId} is registered.", nameof(clientId));
        }

        var found = _accounts.FirstOrDefault(a => string.Equals(a.Email, account, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"No account {account}.", nameof(account));
        return _store.IssueGrant(clientId, found, [.. scopes.Select(GoogleScopes.Canonical).Distinct()]);
    }

    /// <summary>The next <paramref name="count"/> token calls fail with this status (and Retry-After when given). Replaces any earlier injection.</summary>
    public void InjectTokenEndpointFailures(int count, int statusCode, TimeSpan? retryAfter = null) => _faults.Inject(count, statusCode, retryAfter);

    /// <summary>The next <paramref name="count"/> calls to /revoke fail with this status (400 is <c>invalid_request</c>, not <c>invalid_token</c>).</summary>
    public void InjectRevokeFailures(int count, int statusCode, TimeSpan? retryAfter = null) => _revokeFaults.Inject(count, statusCode, retryAfter);

    /// <summary>True while the account (by e-mail) has a grant to any client that was not revoked: a "live grant" at Google.</summary>
    public bool HasLiveGrant(string email) =>
        _accounts.Where(a => string.Equals(a.Email, email, StringComparison.OrdinalIgnoreCase)).Any(a => _store.HasGrant(a.Sub));

    /// <summary>For other simulators (People API, Gmail...) checking bearer tokens: issued here, unexpired, grant not revoked.</summary>
    public bool IsAccessTokenValid(string accessToken) => accessToken is not null && _store.FindLiveAccessToken(accessToken) is not null;

    /// <summary>Granted scopes of a valid access token (email/profile as their userinfo URLs), or null when invalid.</summary>
    public IReadOnlyCollection<string>? ScopesOf(string accessToken) => accessToken is null ? null : _store.FindLiveAccessToken(accessToken)?.Scopes;

    /// <summary>The account behind a valid access token, or null.</summary>
    public SandboxAccount? AccountOf(string accessToken) => accessToken is null ? null : _store.FindLiveAccessToken(accessToken)?.Account;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await _app.StopAsync(CancellationToken.None);
        }
        finally
        {
            await Gmail.DisposeAsync();
            await _app.DisposeAsync();
            await Calendar.DisposeAsync();
            _signer.Dispose();
        }
    }

    private SandboxAccount AccountByEmail(string email) =>
        _accounts.FirstOrDefault(a => string.Equals(a.Email, email, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"No sandbox account {email}.", nameof(email));

    private static void Validate(SandboxGoogleOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.AccessTokenLifetime, TimeSpan.Zero, nameof(options.AccessTokenLifetime));
        ArgumentNullException.ThrowIfNull(options.Clock, nameof(options.Clock));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Issuer, nameof(options.Issuer));
        foreach (var c in options.Clients)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(c.ClientId, nameof(SandboxClient.ClientId));
            ArgumentException.ThrowIfNullOrWhiteSpace(c.ClientSecret, nameof(SandboxClient.ClientSecret));
        }

        if (options.Clients.GroupBy(c => c.ClientId, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } dup)
        {
            throw new ArgumentException($"Duplicate client id {dup.Key}.", nameof(options));
        }
    }

    private Task WriteJwksAsync(HttpContext ctx)
    {
        // Google serves its certs cacheable; Google.Apis.Auth caches them per URL for an hour anyway.
        ctx.Response.ContentType = "application/json; charset=utf-8";
        ctx.Response.Headers.CacheControl = "public, max-age=21600, must-revalidate, no-transform";
        return ctx.Response.WriteAsync(_signer.JwksJson(), ctx.RequestAborted);
    }

    private Task WriteDiscoveryAsync(HttpContext ctx)
    {
        var doc = new JsonObject
        {
            ["issuer"] = Issuer,
            ["authorization_endpoint"] = AuthorizationEndpoint.ToString(),
            ["token_endpoint"] = TokenEndpoint.ToString(),
            ["userinfo_endpoint"] = UserInfoEndpoint.ToString(),
            ["revocation_endpoint"] = RevokeEndpoint.ToString(),
            ["jwks_uri"] = CertificatesUrl.ToString(),
            ["response_types_supported"] = new JsonArray("code"),
            ["subject_types_supported"] = new JsonArray("public"),
            ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
            ["scopes_supported"] = new JsonArray("openid", "email", "profile"),
            ["token_endpoint_auth_methods_supported"] = new JsonArray("client_secret_post", "client_secret_basic"),
            ["claims_supported"] = new JsonArray("aud", "email", "email_verified", "exp", "family_name", "given_name", "iat", "iss", "name", "sub"),
            ["code_challenge_methods_supported"] = new JsonArray("plain", "S256"),
            ["grant_types_supported"] = new JsonArray("authorization_code", "refresh_token"),
            ["authorization_response_iss_parameter_supported"] = true,
        };
        ctx.Response.ContentType = "application/json; charset=utf-8";
        return ctx.Response.WriteAsync(doc.ToJsonString(), ctx.RequestAborted);
    }
}
