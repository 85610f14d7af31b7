namespace CreatioGoogle.Sandbox.Google;

/// <summary>A validated request to /o/oauth2/v2/auth, kept server-side while the consent page is open.</summary>
internal sealed record AuthorizationRequest(
    SandboxClient Client,
    string RedirectUri,
    IReadOnlyList<string> Scopes,
    string? State,
    bool Offline,
    IReadOnlySet<string> Prompt,
    bool IncludeGrantedScopes,
    string? LoginHint,
    string? CodeChallenge,
    string? CodeChallengeMethod,
    string? Nonce);

/// <summary>What the token endpoint needs to answer a successful grant.</summary>
internal sealed record TokenIssue(
    string AccessToken,
    IReadOnlyCollection<string> Scopes,
    string? RefreshToken,
    SandboxAccount Account,
    string ClientId,
    string? Nonce);

internal enum GrantError
{
    None,
    InvalidGrant,
    RedirectUriMismatch,
    MissingCodeVerifier,
    InvalidCodeVerifier,
    InvalidScope,
}

/// <summary>
/// All OAuth state of the simulator: pending consent requests, codes, grants and tokens.
/// One lock guards everything: operations are microseconds long and correctness under
/// 1000 concurrent token calls matters more than lock-free throughput.
/// </summary>
internal sealed class GrantStore(TimeProvider clock, TimeSpan accessTokenLifetime, bool testingMode, bool rotateRefreshTokens = false)
{
    // Google: codes are short-lived; 10 minutes is the documented order of magnitude.
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan PendingLifetime = TimeSpan.FromHours(1);
    public static readonly TimeSpan TestingRefreshTokenLifetime = TimeSpan.FromDays(7);

    // Google invalidates refresh tokens unused for six months.
    public static readonly TimeSpan RefreshTokenIdleLimit = TimeSpan.FromDays(183);

    // Google keeps 100 live refresh tokens per account per client; the 101st silently kills the oldest.
    public const int MaxRefreshTokensPerGrant = 100;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, (AuthorizationRequest Request, DateTimeOffset ExpiresAt)> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IssuedCode> _codes = new(StringComparer.Ordinal);
    private readonly Dictionary<(string ClientId, string Sub), Grant> _grants = [];
    private readonly Dictionary<string, RefreshTokenEntry> _refreshTokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AccessTokenEntry> _accessTokens = new(StringComparer.Ordinal);

    public TimeSpan AccessTokenLifetime => accessTokenLifetime;

    public string AddPending(AuthorizationRequest request)
    {
        var id = SecureTokens.New("req-", 24);
        lock (_gate)
        {
            _pending[id] = (request, clock.GetUtcNow() + PendingLifetime);
        }

        return id;
    }

    /// <summary>Single use: a consent form cannot be submitted twice.</summary>
    public AuthorizationRequest? TakePending(string id)
    {
        lock (_gate)
        {
            if (!_pending.Remove(id, out var entry) || clock.GetUtcNow() >= entry.ExpiresAt)
            {
                return null;
            }

            return entry.Request;
        }
    }

    /// <summary>For prompt=none: has this account already granted every requested scope to this client?</summary>
    public bool HasCoveringGrant(string clientId, string sub, IEnumerable<string> scopes)
    {
        lock (_gate)
        {
            return _grants.TryGetValue((clientId, sub), out var grant)
                && scopes.All(s => grant.Scopes.Contains(GoogleScopes.Canonical(s)));
        }
    }

    /// <summary>
    /// The user clicked Allow (or prompt=none passed). Records consent and mints a code.
    /// Returns the scopes the code carries (with include_granted_scopes, the union with earlier grants).
    /// </summary>
    public (string Code, IReadOnlyCollection<string> Scopes, bool ConsentShown) Approve(
        AuthorizationRequest request, SandboxAccount account, IReadOnlyCollection<string> grantedNow, bool interactive)
    {
        var now = clock.GetUtcNow();
        var code = SecureTokens.New(SecureTokens.CodePrefix);
        lock (_gate)
        {
            var key = (request.Client.ClientId, account.Sub);
            var firstAuthorization = !_grants.TryGetValue(key, out var grant);
            if (grant is null)
            {
                grant = new Grant(request.Client.ClientId, account);
                _grants[key] = grant;
            }

            // Google shows the consent screen on the first authorization or when asked to; only then does it hand out a refresh token.
            var consentShown = interactive && (firstAuthorization || request.Prompt.Contains("consent"));
            var scopes = new List<string>();
            if (request.IncludeGrantedScopes)
            {
                scopes.AddRange(grant.Scopes);
            }

            foreach (var s in grantedNow)
            {
                if (!scopes.Contains(s))
                {
                    scopes.Add(s);
                }
            }

            grant.Scopes.UnionWith(grantedNow);
            _codes[code] = new IssuedCode(request, account, grant, scopes, consentShown, now, now + CodeLifetime);
            return (code, scopes, consentShown);
        }
    }

    public (TokenIssue? Issue, GrantError Error) RedeemCode(string code, string clientId, string? redirectUri, string? codeVerifier)
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            // Any attempt consumes the code: a retry with the same code must never be what makes a flow work.
            if (!_codes.Remove(code, out var issued) || now >= issued.ExpiresAt || issued.Request.Client.ClientId != clientId
                || issued.Grant.Revoked)
            {
                return (null, GrantError.InvalidGrant);
            }

            if (redirectUri != issued.Request.RedirectUri)
            {
                return (null, GrantError.RedirectUriMismatch);
            }

            if (issued.Request.CodeChallenge is { } challenge)
            {
                if (string.IsNullOrEmpty(codeVerifier))
                {
                    return (null, GrantError.MissingCodeVerifier);
                }

                var computed = issued.Request.CodeChallengeMethod == "S256" ? SecureTokens.S256(codeVerifier) : codeVerifier;
                if (!SecureTokens.FixedTimeEquals(computed, challenge))
                {
                    return (null, GrantError.InvalidCodeVerifier);
                }
            }

            string? refreshToken = null;
            if (issued.Request.Offline && issued.ConsentShown)
            {
                refreshToken = AddRefreshToken(issued.Grant, issued.Scopes, issued.ConsentAt);
            }

            var accessToken = AddAccessToken(issued.Grant, issued.Scopes, now);
            return (new TokenIssue(accessToken, issued.Scopes, refreshToken, issued.Account, clientId, issued.Request.Nonce), GrantError.None);
        }
    }

    public (TokenIssue? Issue, GrantError Error) Refresh(string refreshToken, string clientId, IReadOnlyList<string> requestedScopes)
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            if (!_refreshTokens.TryGetValue(refreshToken, out var entry) || entry.Grant.ClientId != clientId || !IsLive(entry, now))
            {
                return (null, GrantError.InvalidGrant);
            }

            // A refresh may narrow the scopes, never widen them (Google: invalid_scope).
            IReadOnlyCollection<string> scopes = entry.Scopes;
            if (requestedScopes.Count > 0)
            {
                var canonical = requestedScopes.Select(GoogleScopes.Canonical).Distinct().ToList();
                if (canonical.Any(s => !entry.Scopes.Contains(s)))
                {
                    return (null, GrantError.InvalidScope);
                }

                scopes = canonical;
            }

            entry.LastUsedAt = now;
            var accessToken = AddAccessToken(entry.Grant, scopes, now);
            string? rotated = null;
            if (rotateRefreshTokens)
            {
                // Rotating providers answer a refresh with a new refresh token and retire the old one.
                rotated = AddRefreshToken(entry.Grant, entry.Scopes, now);
                entry.Revoked = true;
            }

            return (new TokenIssue(accessToken, scopes, rotated, entry.Grant.Account, clientId, null), GrantError.None);
        }
    }

    /// <summary>A grant as if the user had consented just now, without the browser round trip (benchmarks seed thousands).</summary>
    public (string RefreshToken, string AccessToken) IssueGrant(string clientId, SandboxAccount account, IReadOnlyCollection<string> scopes)
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            if (!_grants.TryGetValue((clientId, account.Sub), out var grant))
            {
                grant = new Grant(clientId, account);
                _grants[(clientId, account.Sub)] = grant;
            }

            grant.Scopes.UnionWith(scopes);
            return (AddRefreshToken(grant, scopes, now), AddAccessToken(grant, scopes, now));
        }
    }

    /// <summary>Revoking an access or refresh token removes the app's whole grant for that user, as at Google.</summary>
    public bool Revoke(string token)
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            Grant? grant = null;
            if (_refreshTokens.TryGetValue(token, out var rt) && IsLive(rt, now))
            {
                grant = rt.Grant;
            }
            else if (_accessTokens.TryGetValue(token, out var at) && IsLive(at, now))
            {
                grant = at.Grant;
            }

            if (grant is null)
            {
                return false;
            }

            RevokeGrant(grant);
            return true;
        }
    }

    /// <summary>True while the account has an unrevoked grant to some client (consented and not revoked since).</summary>
    public bool HasGrant(string sub)
    {
        lock (_gate)
        {
            return _grants.Keys.Any(k => k.Sub == sub);
        }
    }

    /// <summary>The user removed the app(s) at myaccount.google.com.</summary>
    public int RevokeAllFor(string sub)
    {
        lock (_gate)
        {
            var grants = _grants.Values.Where(g => g.Account.Sub == sub).ToList();
            grants.ForEach(RevokeGrant);
            return grants.Count;
        }
    }

    public (SandboxAccount Account, IReadOnlyCollection<string> Scopes)? FindLiveAccessToken(string accessToken)
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            return _accessTokens.TryGetValue(accessToken, out var at) && IsLive(at, now) ? (at.Grant.Account, at.Scopes) : null;
        }
    }

    private bool IsLive(RefreshTokenEntry rt, DateTimeOffset now) =>
        !rt.Revoked && !rt.Grant.Revoked
        && now - rt.LastUsedAt < RefreshTokenIdleLimit
        && (rt.TestingExpiresAt is null || now < rt.TestingExpiresAt);

    private static bool IsLive(AccessTokenEntry at, DateTimeOffset now) => !at.Grant.Revoked && now < at.ExpiresAt;

    private void RevokeGrant(Grant grant)
    {
        grant.Revoked = true;

        // The next authorization is a first one again: consent screen and a fresh refresh token.
        _grants.Remove((grant.ClientId, grant.Account.Sub));
    }

    private string AddRefreshToken(Grant grant, IReadOnlyCollection<string> scopes, DateTimeOffset consentAt)
    {
        var token = SecureTokens.New(SecureTokens.RefreshTokenPrefix);

        // Testing status: 7 days, except for apps asking only for name/email/profile (Google's documented exception).
        DateTimeOffset? testingExpiry = testingMode && scopes.Any(s => !GoogleScopes.IsBasic(s)) ? consentAt + TestingRefreshTokenLifetime : null;
        var entry = new RefreshTokenEntry(grant, scopes, testingExpiry) { LastUsedAt = consentAt };
        _refreshTokens[token] = entry;
        grant.RefreshTokens.Enqueue(entry);
        while (grant.RefreshTokens.Count > MaxRefreshTokensPerGrant)
        {
            grant.RefreshTokens.Dequeue().Revoked = true;
        }

        return token;
    }

    private string AddAccessToken(Grant grant, IReadOnlyCollection<string> scopes, DateTimeOffset now)
    {
        var token = SecureTokens.New(SecureTokens.AccessTokenPrefix);
        _accessTokens[token] = new AccessTokenEntry(grant, scopes, now + accessTokenLifetime);
        return token;
    }

    private sealed class Grant(string clientId, SandboxAccount account)
    {
        public string ClientId { get; } = clientId;

        public SandboxAccount Account { get; } = account;

        public HashSet<string> Scopes { get; } = new(StringComparer.Ordinal);

        public Queue<RefreshTokenEntry> RefreshTokens { get; } = new();

        public bool Revoked { get; set; }
    }

    private sealed record IssuedCode(
        AuthorizationRequest Request,
        SandboxAccount Account,
        Grant Grant,
        IReadOnlyCollection<string> Scopes,
        bool ConsentShown,
        DateTimeOffset ConsentAt,
        DateTimeOffset ExpiresAt);

    private sealed class RefreshTokenEntry(Grant grant, IReadOnlyCollection<string> scopes, DateTimeOffset? testingExpiresAt)
    {
        public Grant Grant { get; } = grant;

        public IReadOnlyCollection<string> Scopes { get; } = scopes;

        public DateTimeOffset? TestingExpiresAt { get; } = testingExpiresAt;

        public DateTimeOffset LastUsedAt { get; set; }

        public bool Revoked { get; set; }
    }

    private sealed record AccessTokenEntry(Grant Grant, IReadOnlyCollection<string> Scopes, DateTimeOffset ExpiresAt);
}
