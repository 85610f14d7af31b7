using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using CreatioGoogle.Broker.Secrets;
using Microsoft.Extensions.Logging;

namespace CreatioGoogle.Broker.Creatio;

/// <summary>Puts a tenant's Creatio credentials on requests and renews them when Creatio says they are gone.</summary>
internal abstract class CreatioAuthenticator
{
    /// <summary>Adds the current credential (signing in first if there is none) and returns it, for <see cref="Invalidate"/>.</summary>
    public abstract ValueTask<object> ApplyAsync(HttpRequestMessage request, CancellationToken cancellationToken);

    /// <summary>Drops <paramref name="credential"/> if it is still the current one, so the next call signs in again.</summary>
    public abstract void Invalidate(object credential);

    protected static async Task<JsonObject?> ReadObjectAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            return await JsonNode.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// Forms authentication (facts §4.1): POST <c>ServiceModel/AuthService.svc/Login</c> with
/// <c>{"UserName","UserPassword"}</c>; success is <c>Code 0</c> plus the <c>.ASPXAUTH</c>, <c>BPMCSRF</c>,
/// <c>BPMLOADER</c> and <c>UserName</c> cookies; failure is HTTP 200 with <c>Code 1</c> and a <c>Message</c>.
/// Every later request carries the cookies and the <c>BPMCSRF</c> cookie's value as a <c>BPMCSRF</c> header.
/// Cookies are kept here, not in a CookieContainer, because pooled handlers are shared by all tenants.
/// </summary>
internal sealed class FormsLoginAuthenticator(
    string tenantId, Uri site, ISecretStore secrets, Func<HttpClient> http, ILogger logger) : CreatioAuthenticator
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Session? _session;

    public override async ValueTask<object> ApplyAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var session = Volatile.Read(ref _session) ?? await LoginAsync(cancellationToken);
        request.Headers.TryAddWithoutValidation("Cookie", session.CookieHeader);
        request.Headers.TryAddWithoutValidation("BPMCSRF", session.Csrf);
        request.Headers.TryAddWithoutValidation("ForceUseSession", "true");
        return session;
    }

    public override void Invalidate(object credential) => Interlocked.CompareExchange(ref _session, null, credential as Session);

    private async Task<Session> LoginAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            // Another caller may have signed in while this one waited.
            if (Volatile.Read(ref _session) is { } current)
            {
                return current;
            }

            var userName = (await secrets.GetSecretAsync(SecretNames.TenantCreatioUser(tenantId), ct)).Value;
            var password = (await secrets.GetSecretAsync(SecretNames.TenantCreatioPassword(tenantId), ct)).Value;
            var loginUrl = new Uri(site, "ServiceModel/AuthService.svc/Login");
            using var request = new HttpRequestMessage(HttpMethod.Post, loginUrl)
            {
                Content = JsonContent.Create(new JsonObject { ["UserName"] = userName, ["UserPassword"] = password }),
            };
            request.Headers.TryAddWithoutValidation("ForceUseSession", "true");

            using var response = await http().SendAsync(request, ct);
            if (!response.IsSuccessStatusCode)
            {
                throw Fail(userName, password, $"AuthService.svc answered HTTP {(int)response.StatusCode}");
            }

            var body = await ReadObjectAsync(response, ct);
            var code = body?["Code"] is JsonValue c && c.TryGetValue<int>(out var n) ? n : (int?)null;
            if (code != 0)
            {
                var message = body?["Message"]?.ToString();
                throw Fail(userName, password, code is null
                    ? "AuthService.svc did not answer with a login result"
                    : $"Creatio refused the login (Code {code}): {(string.IsNullOrWhiteSpace(message) ? "no message" : message)}");
            }

            var cookies = ParseCookies(response);
            if (!cookies.TryGetValue(".ASPXAUTH", out _) || !cookies.TryGetValue("BPMCSRF", out var csrf))
            {
                throw Fail(userName, password, "the login succeeded but Creatio set no .ASPXAUTH/BPMCSRF cookies");
            }

            var session = new Session(string.Join("; ", cookies.Select(kv => $"{kv.Key}={kv.Value}")), csrf);
            Volatile.Write(ref _session, session);
            logger.LogInformation("Signed in to Creatio for tenant {TenantId} as {UserName}", tenantId, userName);
            return session;
        }
        finally
        {
            _gate.Release();
        }
    }

    private CreatioAuthenticationException Fail(string userName, string password, string reason)
    {
        logger.LogWarning("Creatio login for tenant {TenantId} as {UserName} failed: {Reason}", tenantId, userName, Redact(reason, password));
        return new CreatioAuthenticationException(
            $"Creatio login for tenant '{tenantId}' as '{userName}' at {site} failed: {Redact(reason, password)}. " +
            $"Check the secrets {SecretNames.TenantCreatioUser(tenantId)} / {SecretNames.TenantCreatioPassword(tenantId)}.");
    }

    // Creatio's message should never echo the password, but a message built from its text must not either.
    private static string Redact(string text, string password) =>
        password.Length == 0 ? text : text.Replace(password, "***", StringComparison.Ordinal);

    private static Dictionary<string, string> ParseCookies(HttpResponseMessage response)
    {
        var cookies = new Dictionary<string, string>(StringComparer.Ordinal);
        if (response.Headers.TryGetValues("Set-Cookie", out var values))
        {
            foreach (var value in values)
            {
                var pair = value.Split(';', 2)[0];
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    cookies[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
                }
            }
        }

        return cookies;
    }

    private sealed record Session(string CookieHeader, string Csrf)
    {
        public override string ToString() => "Session { *** }";
    }
}

/// <summary>
/// OAuth 2.0 client credentials against Creatio's identity service (facts §4.1): POST
/// <c>{IdentityServerUrl}/connect/token</c> form-encoded <c>grant_type=client_credentials</c>, <c>client_id</c>,
/// <c>client_secret</c>; the bearer token is reused until <c>margin</c> before it expires.
/// </summary>
internal sealed class ClientCredentialsAuthenticator(
    string tenantId, Uri identityServer, ISecretStore secrets, Func<HttpClient> http, TimeProvider time, TimeSpan margin, ILogger logger)
    : CreatioAuthenticator
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Token? _token;

    public override async ValueTask<object> ApplyAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var token = Volatile.Read(ref _token);
        if (token is null || time.GetUtcNow() >= token.RenewAt)
        {
            token = await RequestTokenAsync(cancellationToken);
        }

        request.Headers.Authorization = new("Bearer", token.Value);
        return token;
    }

    public override void Invalidate(object credential) => Interlocked.CompareExchange(ref _token, null, credential as Token);

    private async Task<Token> RequestTokenAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (Volatile.Read(ref _token) is { } current && time.GetUtcNow() < current.RenewAt)
            {
                return current;
            }

            var clientId = (await secrets.GetSecretAsync(SecretNames.TenantCreatioClientId(tenantId), ct)).Value;
            var clientSecret = (await secrets.GetSecretAsync(SecretNames.TenantCreatioClientSecret(tenantId), ct)).Value;
            var tokenUrl = new Uri(new Uri(identityServer.ToString().TrimEnd('/') + "/"), "connect/token");
            using var request = new HttpRequestMessage(HttpMethod.Post, tokenUrl)
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["grant_type"] = "client_credentials",
                    ["client_id"] = clientId,
                    ["client_secret"] = clientSecret,
                }),
            };

            var requestedAt = time.GetUtcNow();
            using var response = await http().SendAsync(request, ct);
            var body = await ReadObjectAsync(response, ct);
            var accessToken = body?["access_token"]?.ToString();
            if (!response.IsSuccessStatusCode || string.IsNullOrEmpty(accessToken))
            {
                var error = body?["error"]?.ToString() ?? "no error code";
                logger.LogWarning("Creatio identity service refused client {ClientId} of tenant {TenantId}: HTTP {Status} {Error}",
                    clientId, tenantId, (int)response.StatusCode, error);
                throw new CreatioAuthenticationException(
                    $"Creatio's identity service at {tokenUrl} refused client '{clientId}' of tenant '{tenantId}': HTTP {(int)response.StatusCode} {error}. " +
                    $"Check the secrets {SecretNames.TenantCreatioClientId(tenantId)} / {SecretNames.TenantCreatioClientSecret(tenantId)}.");
            }

            var expiresIn = body?["expires_in"] is JsonValue e && e.TryGetValue<double>(out var seconds)
                ? TimeSpan.FromSeconds(seconds)
                : TimeSpan.FromMinutes(5);

            // Measured from the request, and never a margin that eats the whole lifetime of a short-lived token.
            var renewAt = requestedAt + expiresIn - TimeSpan.FromTicks(Math.Min(margin.Ticks, expiresIn.Ticks / 2));
            var token = new Token(accessToken, renewAt);
            Volatile.Write(ref _token, token);
            logger.LogInformation("Got a Creatio access token for tenant {TenantId}, renewing at {RenewAt}",
                tenantId, renewAt.ToString("O", CultureInfo.InvariantCulture));
            return token;
        }
        finally
        {
            _gate.Release();
        }
    }

    private sealed record Token(string Value, DateTimeOffset RenewAt)
    {
        public override string ToString() => $"Token {{ RenewAt = {RenewAt:O} }}";
    }
}
