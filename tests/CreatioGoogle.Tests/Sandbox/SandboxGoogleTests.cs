using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CreatioGoogle.Sandbox.Google;
using Google.Apis.Auth;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Flows;
using Google.Apis.Auth.OAuth2.Requests;
using Google.Apis.Auth.OAuth2.Responses;
using Google.Apis.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Time.Testing;

namespace CreatioGoogle.Tests.Sandbox;

/// <summary>Drives the Google simulator over real HTTP, mostly through Google.Apis.Auth itself.</summary>
public sealed partial class SandboxGoogleTests
{
    private const string ClientId = "123-sandbox.apps.googleusercontent.com";
    private const string ClientSecret = "sandbox-client-secret";
    private const string RedirectUri = "http://127.0.0.1:7071/api/oauth/callback";
    private const string Alice = "alice@example.com";
    private const string Calendar = "https://www.googleapis.com/auth/calendar";
    private const string Contacts = "https://www.googleapis.com/auth/contacts";
    private const string UserInfoEmail = "https://www.googleapis.com/auth/userinfo.email";
    private static readonly string[] SignIn = ["openid", "email", "profile"];

    private static readonly HttpClient Http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });

    [Fact]
    public async Task FullFlow_WithGoogleLibrary_ExchangesVerifiesRefreshesAndRevokes()
    {
        await using var google = await StartAsync();
        var flow = CreateFlow(google, [.. SignIn, Calendar]);

        var auth = await AuthorizeAsync(google, flow, tick: [Calendar], state: "st-1");
        Assert.Equal("st-1", auth.Query["state"]);
        Assert.Equal(google.Issuer, auth.Query["iss"]);
        Assert.Equal("consent", auth.Query["prompt"]);
        Assert.StartsWith("4/0", auth.Code, StringComparison.Ordinal);

        var token = await flow.ExchangeCodeForTokenAsync("u1", auth.Code, auth.Verifier, RedirectUri, CancellationToken.None);
        Assert.StartsWith("sbx-at-", token.AccessToken, StringComparison.Ordinal);
        Assert.StartsWith("sbx-rt-", token.RefreshToken, StringComparison.Ordinal);
        Assert.Equal(3599, token.ExpiresInSeconds);
        Assert.Equal("Bearer", token.TokenType);
        Assert.Equal(
            new[] { "openid", UserInfoEmail, "https://www.googleapis.com/auth/userinfo.profile", Calendar }.Order(),
            token.Scope.Split(' ').Order());
        Assert.Equal(1, google.CodeExchangeCount);

        var options = new SignedTokenVerificationOptions { CertificatesUrl = google.CertificatesUrl.ToString() };
        options.TrustedIssuers.Add("https://accounts.google.com");
        options.TrustedAudiences.Add(ClientId);
        var payload = await JsonWebSignature.VerifySignedTokenAsync<GoogleJsonWebSignature.Payload>(token.IdToken, options);
        var alice = google.Accounts.Single(a => a.Email == Alice);
        Assert.Equal(alice.Sub, payload.Subject);
        Assert.Equal(Alice, payload.Email);
        Assert.True(payload.EmailVerified);
        Assert.Equal(ClientId, payload.AudienceAsList.Single());
        Assert.Equal(payload.IssuedAtTimeSeconds + 3600, payload.ExpirationTimeSeconds);

        // A foreign audience must not verify: proves the token really carries aud=client_id.
        var wrongAudience = new SignedTokenVerificationOptions { CertificatesUrl = google.CertificatesUrl.ToString() };
        wrongAudience.TrustedAudiences.Add("someone-else");
        await Assert.ThrowsAsync<InvalidJwtException>(() => JsonWebSignature.VerifySignedTokenAsync<GoogleJsonWebSignature.Payload>(token.IdToken, wrongAudience));

        Assert.True(google.IsAccessTokenValid(token.AccessToken));
        Assert.Contains(Calendar, google.ScopesOf(token.AccessToken)!);

        var refreshed = await flow.RefreshTokenAsync("u1", token.RefreshToken, CancellationToken.None);
        Assert.NotEqual(token.AccessToken, refreshed.AccessToken);
        Assert.Equal(1, google.RefreshCount);

        await flow.RevokeTokenAsync("u1", token.RefreshToken, CancellationToken.None);
        Assert.False(google.IsAccessTokenValid(token.AccessToken));
        Assert.False(google.IsAccessTokenValid(refreshed.AccessToken));

        var ex = await Assert.ThrowsAsync<TokenResponseException>(() => flow.RefreshTokenAsync("u1", token.RefreshToken, CancellationToken.None));
        Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.Equal("invalid_grant", ex.Error.Error);
        Assert.Equal("Token has been expired or revoked.", ex.Error.ErrorDescription);
        Assert.Equal(2, google.RefreshCount);
    }

    [Fact]
    public async Task Refresh_RawResponse_HasNoRefreshToken_AndRefreshedIdToken()
    {
        await using var google = await StartAsync();
        var flow = CreateFlow(google, [.. SignIn, Calendar]);
        var auth = await AuthorizeAsync(google, flow, tick: [Calendar]);
        var token = await flow.ExchangeCodeForTokenAsync("u1", auth.Code, auth.Verifier, RedirectUri, CancellationToken.None);

        var (status, body, _) = await PostTokenAsync(google, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = token.RefreshToken, ["client_id"] = ClientId, ["client_secret"] = ClientSecret });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(body.TryGetProperty("refresh_token", out _));
        Assert.StartsWith("sbx-at-", body.GetProperty("access_token").GetString(), StringComparison.Ordinal);
        Assert.Equal(3599, body.GetProperty("expires_in").GetInt32());
        Assert.Contains(Calendar, body.GetProperty("scope").GetString()!.Split(' '));
        Assert.True(body.TryGetProperty("id_token", out _));

        // Narrowing on refresh is allowed, widening is invalid_scope.
        var (wideStatus, wide, _) = await PostTokenAsync(google, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = token.RefreshToken, ["client_id"] = ClientId, ["client_secret"] = ClientSecret, ["scope"] = Contacts });
        Assert.Equal(HttpStatusCode.BadRequest, wideStatus);
        Assert.Equal("invalid_scope", wide.GetProperty("error").GetString());
    }

    [Fact]
    public async Task CodeReplay_AndRedirectUriChange_AreRejected()
    {
        await using var google = await StartAsync();
        var flow = CreateFlow(google, [.. SignIn]);
        var auth = await AuthorizeAsync(google, flow);
        await flow.ExchangeCodeForTokenAsync("u1", auth.Code, auth.Verifier, RedirectUri, CancellationToken.None);

        var replay = await Assert.ThrowsAsync<TokenResponseException>(() => flow.ExchangeCodeForTokenAsync("u1", auth.Code, auth.Verifier, RedirectUri, CancellationToken.None));
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Equal("invalid_grant", replay.Error.Error);
        Assert.Equal("Bad Request", replay.Error.ErrorDescription);

        var second = await AuthorizeAsync(google, flow);
        var mismatch = await Assert.ThrowsAsync<TokenResponseException>(() => flow.ExchangeCodeForTokenAsync("u1", second.Code, second.Verifier, RedirectUri + "/", CancellationToken.None));
        Assert.Equal("redirect_uri_mismatch", mismatch.Error.Error);
        Assert.Equal(3, google.CodeExchangeCount);
    }

    [Fact]
    public async Task PkceVerifierMismatch_IsInvalidGrant_AndBurnsTheCode()
    {
        await using var google = await StartAsync();
        var flow = CreateFlow(google, [.. SignIn]);
        var auth = await AuthorizeAsync(google, flow);

        var wrong = new string('a', 128);
        var ex = await Assert.ThrowsAsync<TokenResponseException>(() => flow.ExchangeCodeForTokenAsync("u1", auth.Code, wrong, RedirectUri, CancellationToken.None));
        Assert.Equal("invalid_grant", ex.Error.Error);

        var retry = await Assert.ThrowsAsync<TokenResponseException>(() => flow.ExchangeCodeForTokenAsync("u1", auth.Code, auth.Verifier, RedirectUri, CancellationToken.None));
        Assert.Equal("invalid_grant", retry.Error.Error);

        var missing = await AuthorizeAsync(google, flow);
        var (status, body, _) = await PostTokenAsync(google, new() { ["grant_type"] = "authorization_code", ["code"] = missing.Code, ["redirect_uri"] = RedirectUri, ["client_id"] = ClientId, ["client_secret"] = ClientSecret });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task UntickedScope_IsNotGranted_ButSignInScopesAlwaysAre()
    {
        await using var google = await StartAsync();
        var flow = CreateFlow(google, [.. SignIn, Calendar, Contacts]);

        var auth = await AuthorizeAsync(google, flow, tick: [Calendar]);
        var redirectScopes = auth.Query["scope"].ToString().Split(' ');
        Assert.Contains(Calendar, redirectScopes);
        Assert.DoesNotContain(Contacts, redirectScopes);
        Assert.Contains("email", redirectScopes);
        Assert.Contains(UserInfoEmail, redirectScopes);

        var token = await flow.ExchangeCodeForTokenAsync("u1", auth.Code, auth.Verifier, RedirectUri, CancellationToken.None);
        var granted = token.Scope.Split(' ');
        Assert.Contains(Calendar, granted);
        Assert.DoesNotContain(Contacts, granted);
        Assert.Contains("openid", granted);
        Assert.DoesNotContain(Contacts, google.ScopesOf(token.AccessToken)!);

        // Ticking nothing still grants sign-in: openid/email/profile cannot be unticked.
        var none = await AuthorizeAsync(google, flow, tick: []);
        Assert.Equal(
            new[] { "openid", UserInfoEmail, "https://www.googleapis.com/auth/userinfo.profile" }.Order(),
            none.Query["scope"].ToString().Split(' ').Where(s => s.StartsWith("http", StringComparison.Ordinal) || s == "openid").Order());
    }

    [Fact]
    public async Task SecondAuthorization_WithoutPromptConsent_HasNoRefreshToken()
    {
        await using var google = await StartAsync();
        var first = CreateFlow(google, [.. SignIn, Calendar]);
        var a1 = await AuthorizeAsync(google, first, tick: [Calendar]);
        var t1 = await first.ExchangeCodeForTokenAsync("u1", a1.Code, a1.Verifier, RedirectUri, CancellationToken.None);
        Assert.NotNull(t1.RefreshToken);

        // Incremental authorization: new scope, include_granted_scopes=true, no prompt=consent.
        var incremental = CreateFlow(google, [.. SignIn, Contacts], includeGrantedScopes: true);
        var a2 = await AuthorizeAsync(google, incremental, tick: [Contacts]);
        Assert.Equal("none", a2.Query["prompt"]);
        var t2 = await incremental.ExchangeCodeForTokenAsync("u1", a2.Code, a2.Verifier, RedirectUri, CancellationToken.None);
        Assert.Null(t2.RefreshToken);
        Assert.Contains(Calendar, t2.Scope.Split(' '));
        Assert.Contains(Contacts, t2.Scope.Split(' '));

        // Without include_granted_scopes only the scopes of this consent come back.
        var narrow = CreateFlow(google, [.. SignIn]);
        var a3 = await AuthorizeAsync(google, narrow);
        var t3 = await narrow.ExchangeCodeForTokenAsync("u1", a3.Code, a3.Verifier, RedirectUri, CancellationToken.None);
        Assert.DoesNotContain(Calendar, t3.Scope.Split(' '));

        var forced = CreateFlow(google, [.. SignIn, Calendar], prompt: "consent");
        var a4 = await AuthorizeAsync(google, forced, tick: [Calendar]);
        var t4 = await forced.ExchangeCodeForTokenAsync("u1", a4.Code, a4.Verifier, RedirectUri, CancellationToken.None);
        Assert.StartsWith("sbx-rt-", t4.RefreshToken, StringComparison.Ordinal);

        // access_type=online never yields a refresh token, even with consent.
        var online = await AuthorizeRawAsync(google, "openid email", access: "online", prompt: "consent");
        var (_, body, _) = await PostTokenAsync(google, new() { ["grant_type"] = "authorization_code", ["code"] = online, ["redirect_uri"] = RedirectUri, ["client_id"] = ClientId, ["client_secret"] = ClientSecret });
        Assert.False(body.TryGetProperty("refresh_token", out _));
    }

    [Fact]
    public async Task InjectedRateLimit_Returns429WithRetryAfter_ThenRecovers()
    {
        await using var google = await StartAsync();
        var flow = CreateFlow(google, [.. SignIn, Calendar]);
        var auth = await AuthorizeAsync(google, flow, tick: [Calendar]);
        var token = await flow.ExchangeCodeForTokenAsync("u1", auth.Code, auth.Verifier, RedirectUri, CancellationToken.None);

        google.InjectTokenEndpointFailures(2, 429, TimeSpan.FromSeconds(7));
        var form = new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = token.RefreshToken, ["client_id"] = ClientId, ["client_secret"] = ClientSecret };
        var (status, body, headers) = await PostTokenAsync(google, form);
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Equal(TimeSpan.FromSeconds(7), headers.RetryAfter?.Delta);
        Assert.Equal("rate_limit_exceeded", body.GetProperty("error").GetString());

        var ex = await Assert.ThrowsAsync<TokenResponseException>(() => flow.RefreshTokenAsync("u1", token.RefreshToken, CancellationToken.None));
        Assert.Equal(HttpStatusCode.TooManyRequests, ex.StatusCode);

        var ok = await flow.RefreshTokenAsync("u1", token.RefreshToken, CancellationToken.None);
        Assert.True(google.IsAccessTokenValid(ok.AccessToken));
        Assert.Equal(3, google.RefreshCount);

        google.InjectTokenEndpointFailures(1, 503);
        var (s503, b503, h503) = await PostTokenAsync(google, form);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, s503);
        Assert.Null(h503.RetryAfter);
        Assert.True(b503.TryGetProperty("error", out _));
    }

    [Fact]
    public async Task TokenEndpointLatency_DelaysCalls()
    {
        await using var google = await StartAsync();
        google.TokenEndpointLatency = TimeSpan.FromMilliseconds(200);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var (status, _, _) = await PostTokenAsync(google, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = "sbx-rt-unknown", ["client_id"] = ClientId, ["client_secret"] = ClientSecret });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(190), started.Elapsed.ToString());
    }

    [Fact]
    public async Task TestingMode_RefreshTokenExpiresSevenDaysAfterConsent()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var google = await StartAsync(o => { o.TestingMode = true; o.Clock = clock; });
        var flow = CreateFlow(google, [.. SignIn, Calendar]);
        var auth = await AuthorizeAsync(google, flow, tick: [Calendar]);
        var token = await flow.ExchangeCodeForTokenAsync("u1", auth.Code, auth.Verifier, RedirectUri, CancellationToken.None);

        // Google's exception: sign-in-only apps keep their refresh tokens in Testing status.
        var basicFlow = CreateFlow(google, [.. SignIn], prompt: "consent");
        var basicAuth = await AuthorizeAsync(google, basicFlow, account: "bob@example.com");
        var basic = await basicFlow.ExchangeCodeForTokenAsync("u2", basicAuth.Code, basicAuth.Verifier, RedirectUri, CancellationToken.None);

        clock.Advance(TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1));
        await flow.RefreshTokenAsync("u1", token.RefreshToken, CancellationToken.None);

        clock.Advance(TimeSpan.FromMinutes(2));
        var ex = await Assert.ThrowsAsync<TokenResponseException>(() => flow.RefreshTokenAsync("u1", token.RefreshToken, CancellationToken.None));
        Assert.Equal("invalid_grant", ex.Error.Error);
        Assert.Equal("Token has been expired or revoked.", ex.Error.ErrorDescription);

        var stillOk = await basicFlow.RefreshTokenAsync("u2", basic.RefreshToken, CancellationToken.None);
        Assert.True(google.IsAccessTokenValid(stillOk.AccessToken));
    }

    [Fact]
    public async Task Codes_ExpireAfterTenMinutes_AndAccessTokensAfterTheirLifetime()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var google = await StartAsync(o => o.Clock = clock);
        var flow = CreateFlow(google, [.. SignIn]);

        var late = await AuthorizeAsync(google, flow);
        clock.Advance(TimeSpan.FromMinutes(10));
        var ex = await Assert.ThrowsAsync<TokenResponseException>(() => flow.ExchangeCodeForTokenAsync("u1", late.Code, late.Verifier, RedirectUri, CancellationToken.None));
        Assert.Equal("invalid_grant", ex.Error.Error);

        var auth = await AuthorizeAsync(google, flow, prompt: "consent");
        clock.Advance(TimeSpan.FromMinutes(9));
        var token = await flow.ExchangeCodeForTokenAsync("u1", auth.Code, auth.Verifier, RedirectUri, CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(3598));
        Assert.True(google.IsAccessTokenValid(token.AccessToken));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(google.IsAccessTokenValid(token.AccessToken));
        Assert.Null(google.ScopesOf(token.AccessToken));
    }

    [Fact]
    public async Task AuthorizationEndpoint_RejectsBadRequests_WithoutRedirecting()
    {
        await using var google = await StartAsync();
        var good = new Dictionary<string, string?> { ["client_id"] = ClientId, ["redirect_uri"] = RedirectUri, ["response_type"] = "code", ["scope"] = "openid email" };

        async Task<(HttpStatusCode Status, string Body, Uri? Location)> Get(Action<Dictionary<string, string?>> change)
        {
            var p = new Dictionary<string, string?>(good);
            change(p);
            using var response = await Http.GetAsync(QueryHelpers.AddQueryString(google.AuthorizationEndpoint.ToString(), p.Where(kv => kv.Value is not null)));
            return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Location);
        }

        var unknown = await Get(p => p["client_id"] = "nope");
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.Status);
        Assert.Contains("invalid_client", unknown.Body, StringComparison.Ordinal);

        foreach (var bad in new[] { RedirectUri + "/", "https://127.0.0.1:7071/api/oauth/callback", "http://evil.example/cb", null })
        {
            var mismatch = await Get(p => p["redirect_uri"] = bad);
            Assert.Equal(HttpStatusCode.BadRequest, mismatch.Status);
            Assert.Contains("redirect_uri_mismatch", mismatch.Body, StringComparison.Ordinal);
            Assert.Null(mismatch.Location);
        }

        var noScope = await Get(p => p["scope"] = null);
        Assert.Equal(HttpStatusCode.BadRequest, noScope.Status);
        Assert.Contains("invalid_request", noScope.Body, StringComparison.Ordinal);

        var token = await Get(p => p["response_type"] = "token");
        Assert.Equal(HttpStatusCode.BadRequest, token.Status);
        Assert.Null(token.Location);

        var badMethod = await Get(p => { p["code_challenge"] = new string('x', 43); p["code_challenge_method"] = "S512"; });
        Assert.Equal(HttpStatusCode.BadRequest, badMethod.Status);

        var page = await Get(p => { p["login_hint"] = "bob@example.com"; p["state"] = "<script>"; });
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Matches("value=\"bob@example.com\" checked", page.Body);
        Assert.DoesNotContain("<script>", page.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(ClientSecret, page.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deny_RedirectsWithAccessDeniedAndState_AndConsentRequestIsSingleUse()
    {
        await using var google = await StartAsync();
        var flow = CreateFlow(google, [.. SignIn]);
        var request = (GoogleAuthorizationCodeRequestUrl)flow.CreateAuthorizationCodeRequest(RedirectUri, out _);
        request.State = "st-deny";
        var consent = await OpenConsentAsync(request.Build());

        var location = await DecideAsync(consent, Alice, [], "deny");
        Assert.StartsWith(RedirectUri + "?", location.ToString(), StringComparison.Ordinal);
        var q = QueryHelpers.ParseQuery(location.Query);
        Assert.Equal("access_denied", q["error"]);
        Assert.Equal("st-deny", q["state"]);
        Assert.False(q.ContainsKey("code"));

        using var again = await Http.PostAsync(consent.DecisionUrl, Form(new() { ["request"] = consent.RequestId, ["account"] = Alice, ["decision"] = "allow" }));
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Null(again.Headers.Location);
    }

    [Fact]
    public async Task TokenEndpoint_AuthenticatesClients_LikeGoogle()
    {
        await using var google = await StartAsync();
        var code = await AuthorizeRawAsync(google, "openid email");
        var form = new Dictionary<string, string> { ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = RedirectUri, ["client_id"] = ClientId, ["client_secret"] = "wrong" };

        var (status, body, _) = await PostTokenAsync(google, form);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
        Assert.Equal("Unauthorized", body.GetProperty("error_description").GetString());

        // client_secret_basic works too (the code was burnt above, so get a new one).
        var code2 = await AuthorizeRawAsync(google, "openid email");
        using var basic = new HttpRequestMessage(HttpMethod.Post, google.TokenEndpoint)
        {
            Content = Form(new() { ["grant_type"] = "authorization_code", ["code"] = code2, ["redirect_uri"] = RedirectUri }),
        };
        basic.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(ClientId)}:{ClientSecret}")));
        using var basicResponse = await Http.SendAsync(basic);
        Assert.Equal(HttpStatusCode.OK, basicResponse.StatusCode);

        var (gStatus, gBody, _) = await PostTokenAsync(google, new() { ["grant_type"] = "password", ["client_id"] = ClientId, ["client_secret"] = ClientSecret });
        Assert.Equal(HttpStatusCode.BadRequest, gStatus);
        Assert.Equal("unsupported_grant_type", gBody.GetProperty("error").GetString());

        var (uStatus, uBody, _) = await PostTokenAsync(google, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = "x", ["client_id"] = "unknown", ["client_secret"] = ClientSecret });
        Assert.Equal(HttpStatusCode.Unauthorized, uStatus);
        Assert.Equal("invalid_client", uBody.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Revocation_IsGrantWide_AndRevokeAllForKillsEverything()
    {
        await using var google = await StartAsync();
        var flow = CreateFlow(google, [.. SignIn, Calendar]);
        var a1 = await AuthorizeAsync(google, flow, tick: [Calendar]);
        var t1 = await flow.ExchangeCodeForTokenAsync("u1", a1.Code, a1.Verifier, RedirectUri, CancellationToken.None);

        // Revoking the access token (form field) revokes its refresh token too.
        using (var r = await Http.PostAsync(google.RevokeEndpoint, Form(new() { ["token"] = t1.AccessToken })))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal("{}", await r.Content.ReadAsStringAsync());
        }

        var ex = await Assert.ThrowsAsync<TokenResponseException>(() => flow.RefreshTokenAsync("u1", t1.RefreshToken, CancellationToken.None));
        Assert.Equal("invalid_grant", ex.Error.Error);

        using (var again = await Http.PostAsync(new Uri(google.RevokeEndpoint + "?token=" + Uri.EscapeDataString(t1.RefreshToken)), null))
        {
            Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
            var body = JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("invalid_token", body.GetProperty("error").GetString());
        }

        // After revocation the next authorization is a first one again: consent and a new refresh token.
        var a2 = await AuthorizeAsync(google, flow, tick: [Calendar]);
        Assert.Equal("consent", a2.Query["prompt"]);
        var t2 = await flow.ExchangeCodeForTokenAsync("u1", a2.Code, a2.Verifier, RedirectUri, CancellationToken.None);
        Assert.NotNull(t2.RefreshToken);

        google.RevokeAllFor(Alice);
        Assert.False(google.IsAccessTokenValid(t2.AccessToken));
        var ex2 = await Assert.ThrowsAsync<TokenResponseException>(() => flow.RefreshTokenAsync("u1", t2.RefreshToken, CancellationToken.None));
        Assert.Equal("Token has been expired or revoked.", ex2.Error.ErrorDescription);
    }

    [Fact]
    public async Task ConcurrentRefreshes_AllSucceed_AndAreCounted()
    {
        await using var google = await StartAsync();
        var flow = CreateFlow(google, [.. SignIn, Calendar]);
        var auth = await AuthorizeAsync(google, flow, tick: [Calendar]);
        var token = await flow.ExchangeCodeForTokenAsync("u1", auth.Code, auth.Verifier, RedirectUri, CancellationToken.None);

        var form = new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = token.RefreshToken, ["client_id"] = ClientId, ["client_secret"] = ClientSecret };
        var results = await Task.WhenAll(Enumerable.Range(0, 1000).Select(_ => PostTokenAsync(google, form)));
        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.Equal(1000, results.Select(r => r.Body.GetProperty("access_token").GetString()).Distinct().Count());
        Assert.Equal(1000, google.RefreshCount);
    }

    [Fact]
    public async Task Discovery_AndJwks_HaveGoogleShape_AndIssuerIsConfigurable()
    {
        await using var google = await StartAsync(o => o.Issuer = "https://sandbox.example");
        using var discovery = JsonDocument.Parse(await Http.GetStringAsync(new Uri(google.BaseUrl, ".well-known/openid-configuration")));
        var d = discovery.RootElement;
        Assert.Equal("https://sandbox.example", d.GetProperty("issuer").GetString());
        Assert.Equal(google.TokenEndpoint.ToString(), d.GetProperty("token_endpoint").GetString());
        Assert.Equal(google.AuthorizationEndpoint.ToString(), d.GetProperty("authorization_endpoint").GetString());
        Assert.Equal(google.CertificatesUrl.ToString(), d.GetProperty("jwks_uri").GetString());
        Assert.Contains("S256", d.GetProperty("code_challenge_methods_supported").EnumerateArray().Select(e => e.GetString()));

        using var jwks = JsonDocument.Parse(await Http.GetStringAsync(google.CertificatesUrl));
        var key = jwks.RootElement.GetProperty("keys").EnumerateArray().Single();
        Assert.Equal("RSA", key.GetProperty("kty").GetString());
        Assert.Equal("RS256", key.GetProperty("alg").GetString());
        Assert.Equal("AQAB", key.GetProperty("e").GetString());
        Assert.False(string.IsNullOrEmpty(key.GetProperty("kid").GetString()));

        Assert.Equal("127.0.0.1", google.BaseUrl.Host);
        Assert.Equal(new Uri(google.BaseUrl, "o/oauth2/v2/auth"), google.AuthorizationEndpoint);
    }

    // ---- helpers -------------------------------------------------------------------------------

    private sealed record Authorization(string Code, string Verifier, IDictionary<string, Microsoft.Extensions.Primitives.StringValues> Query);

    /// <summary>Points Google's own initializer at the sandbox through its protected test constructor.</summary>
    private sealed class SandboxInitializer(SandboxGoogle google)
        : GoogleAuthorizationCodeFlow.Initializer(google.AuthorizationEndpoint.ToString(), google.TokenEndpoint.ToString(), google.RevokeEndpoint.ToString());

    private static async Task<SandboxGoogle> StartAsync(Action<SandboxGoogleOptions>? configure = null)
    {
        var options = new SandboxGoogleOptions();
        options.Clients.Add(new SandboxClient(ClientId, ClientSecret, RedirectUri));
        configure?.Invoke(options);
        return await SandboxGoogle.StartAsync(options);
    }

    private static PkceGoogleAuthorizationCodeFlow CreateFlow(SandboxGoogle google, string[] scopes, string? prompt = null, bool? includeGrantedScopes = null) =>
        new(new SandboxInitializer(google)
        {
            ClientSecrets = new ClientSecrets { ClientId = ClientId, ClientSecret = ClientSecret },
            Scopes = scopes,
            DataStore = null,
            DefaultExponentialBackOffPolicy = ExponentialBackOffPolicy.None,
            Prompt = prompt,
            IncludeGrantedScopes = includeGrantedScopes,
        });

    /// <summary>Builds the URL with the library (offline, PKCE S256), clicks through the consent page, returns the code.</summary>
    private static async Task<Authorization> AuthorizeAsync(
        SandboxGoogle google, PkceGoogleAuthorizationCodeFlow flow, string[]? tick = null, string account = Alice, string? state = null, string? prompt = null)
    {
        var request = (GoogleAuthorizationCodeRequestUrl)flow.CreateAuthorizationCodeRequest(RedirectUri, out var verifier);
        request.State = state ?? Guid.NewGuid().ToString("N");
        if (prompt is not null)
        {
            request.Prompt = prompt;
        }

        var url = request.Build();
        Assert.StartsWith(google.AuthorizationEndpoint.ToString(), url.ToString(), StringComparison.Ordinal);
        var location = await DecideAsync(await OpenConsentAsync(url), account, tick ?? []);
        var query = QueryHelpers.ParseQuery(location.Query);
        Assert.Equal(request.State, query["state"]);
        Assert.True(query.ContainsKey("code"), location.ToString());
        return new Authorization(query["code"]!, verifier, query);
    }

    /// <summary>Without the library: for access_type=online and plain (non-PKCE) requests.</summary>
    private static async Task<string> AuthorizeRawAsync(SandboxGoogle google, string scope, string access = "offline", string? prompt = null)
    {
        var p = new Dictionary<string, string?> { ["client_id"] = ClientId, ["redirect_uri"] = RedirectUri, ["response_type"] = "code", ["scope"] = scope, ["access_type"] = access };
        if (prompt is not null)
        {
            p["prompt"] = prompt;
        }

        var location = await DecideAsync(await OpenConsentAsync(new Uri(QueryHelpers.AddQueryString(google.AuthorizationEndpoint.ToString(), p))), Alice, []);
        return QueryHelpers.ParseQuery(location.Query)["code"]!;
    }

    /// <summary>The opaque request id and the form's action, resolved like a browser would.</summary>
    private sealed record Consent(string RequestId, Uri DecisionUrl);

    private static async Task<Consent> OpenConsentAsync(Uri url)
    {
        using var response = await Http.GetAsync(url);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, html);
        var action = FormAction().Match(html).Groups[1].Value;
        return new Consent(RequestField().Match(html).Groups[1].Value, new Uri(url, action));
    }

    private static async Task<Uri> DecideAsync(Consent consent, string account, string[] scopes, string decision = "allow")
    {
        var fields = new List<KeyValuePair<string, string>> { new("request", consent.RequestId), new("account", account), new("decision", decision) };
        fields.AddRange(scopes.Select(s => new KeyValuePair<string, string>("scope", s)));
        using var content = new FormUrlEncodedContent(fields);
        using var response = await Http.PostAsync(consent.DecisionUrl, content);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, body);
        return response.Headers.Location!;
    }

    private static FormUrlEncodedContent Form(Dictionary<string, string> fields) => new(fields);

    private static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseHeaders Headers)> PostTokenAsync(SandboxGoogle google, Dictionary<string, string> fields)
    {
        using var response = await Http.PostAsync(google.TokenEndpoint, Form(fields));
        var json = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(json).RootElement.Clone(), response.Headers);
    }

    [GeneratedRegex("name=\"request\" value=\"([^\"]+)\"")]
    private static partial Regex RequestField();

    [GeneratedRegex("<form method=\"post\" action=\"([^\"]+)\"")]
    private static partial Regex FormAction();
}
