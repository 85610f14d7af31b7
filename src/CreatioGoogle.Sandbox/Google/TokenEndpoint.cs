using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace CreatioGoogle.Sandbox.Google;

/// <summary>POST /token: authorization_code and refresh_token grants with Google's status codes and error bodies.</summary>
internal sealed class TokenEndpoint(
    IReadOnlyDictionary<string, SandboxClient> clients,
    GrantStore store,
    IdTokenSigner signer,
    FaultInjector faults)
{
    private int _refreshCount;
    private int _codeExchangeCount;

    public int RefreshCount => Volatile.Read(ref _refreshCount);

    public int CodeExchangeCount => Volatile.Read(ref _codeExchangeCount);

    /// <summary>Rewrites each ID token before it is sent: a broken or malicious identity provider, for tests.</summary>
    public Func<string, string>? IdTokenTampering { get; set; }

    public async Task HandleAsync(HttpContext ctx)
    {
        var ct = ctx.RequestAborted;

        await faults.DelayAsync(ct);

        var form = ctx.Request.HasFormContentType ? await ctx.Request.ReadFormAsync(ct) : null;
        var grantType = form is null ? null : One(form["grant_type"]);

        // Counted before injected failures so tests can see every retry the broker made.
        if (grantType == "refresh_token")
        {
            Interlocked.Increment(ref _refreshCount);
        }
        else if (grantType == "authorization_code")
        {
            Interlocked.Increment(ref _codeExchangeCount);
        }

        if (await faults.TryAnswerAsync(ctx))
        {
            return;
        }

        if (form is null)
        {
            await OAuthResponses.ErrorAsync(ctx, 400, "invalid_request", "Bad Request");
            return;
        }

        var (client, clientError) = Authenticate(clients, ctx.Request, form);
        if (client is null)
        {
            var (clientStatus, error, description) = clientError;
            await OAuthResponses.ErrorAsync(ctx, clientStatus, error, description);
            return;
        }

        switch (grantType)
        {
            case "authorization_code":
                await ExchangeCodeAsync(ctx, form, client);
                break;
            case "refresh_token":
                await RefreshAsync(ctx, form, client);
                break;
            default:
                await OAuthResponses.ErrorAsync(ctx, 400, "unsupported_grant_type", $"Invalid grant_type: {grantType}");
                break;
        }
    }

    private async Task ExchangeCodeAsync(HttpContext ctx, IFormCollection form, SandboxClient client)
    {
        var code = One(form["code"]);
        if (code is null)
        {
            await OAuthResponses.ErrorAsync(ctx, 400, "invalid_request", "Missing required parameter: code");
            return;
        }

        var (issue, error) = store.RedeemCode(code, client.ClientId, One(form["redirect_uri"]), One(form["code_verifier"]));
        await WriteResultAsync(ctx, issue, error);
    }

    private async Task RefreshAsync(HttpContext ctx, IFormCollection form, SandboxClient client)
    {
        var refreshToken = One(form["refresh_token"]);
        if (refreshToken is null)
        {
            await OAuthResponses.ErrorAsync(ctx, 400, "invalid_request", "Missing required parameter: refresh_token");
            return;
        }

        var (issue, error) = store.Refresh(refreshToken, client.ClientId, GoogleScopes.Split(One(form["scope"])));
        await WriteResultAsync(ctx, issue, error);
    }

    private Task WriteResultAsync(HttpContext ctx, TokenIssue? issue, GrantError error)
    {
        if (issue is null)
        {
            var (status, code, description) = error switch
            {
                GrantError.RedirectUriMismatch => (400, "redirect_uri_mismatch", "Bad Request"),
                GrantError.MissingCodeVerifier => (400, "invalid_grant", "Missing code verifier."),
                GrantError.InvalidCodeVerifier => (400, "invalid_grant", "Bad Request"),
                GrantError.InvalidScope => (400, "invalid_scope", "Some requested scopes were invalid."),
                _ => (400, "invalid_grant", IsRefresh(ctx) ? "Token has been expired or revoked." : "Bad Request"),
            };
            return OAuthResponses.ErrorAsync(ctx, status, code, description);
        }

        var body = new JsonObject
        {
            ["access_token"] = issue.AccessToken,
            ["expires_in"] = (long)store.AccessTokenLifetime.TotalSeconds,
        };
        if (issue.RefreshToken is not null)
        {
            body["refresh_token"] = issue.RefreshToken;
        }

        body["scope"] = GoogleScopes.Join(issue.Scopes);
        body["token_type"] = "Bearer";

        // Google returns a fresh id_token on code exchange and on refresh whenever openid is in scope.
        if (issue.Scopes.Contains(GoogleScopes.OpenId))
        {
            var idToken = signer.CreateIdToken(issue);
            body["id_token"] = IdTokenTampering is { } tamper ? tamper(idToken) : idToken;
        }

        return OAuthResponses.JsonAsync(ctx, 200, body);
    }

    private static bool IsRefresh(HttpContext ctx) => ctx.Request.Form["grant_type"] == "refresh_token";

    /// <summary>client_secret_post or client_secret_basic (RFC 6749 §2.3.1: form-urlencoded id and secret inside Basic).</summary>
    internal static (SandboxClient? Client, (int Status, string Error, string Description) Error) Authenticate(
        IReadOnlyDictionary<string, SandboxClient> clients, HttpRequest request, IFormCollection form)
    {
        string? clientId = One(form["client_id"]);
        string? secret = One(form["client_secret"]);
        if (AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var auth)
            && string.Equals(auth.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) && auth.Parameter is not null)
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(auth.Parameter));
                var colon = decoded.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    clientId = Uri.UnescapeDataString(decoded[..colon].Replace('+', ' '));
                    secret = Uri.UnescapeDataString(decoded[(colon + 1)..].Replace('+', ' '));
                }
            }
            catch (FormatException)
            {
                return (null, (401, "invalid_client", "Unauthorized"));
            }
        }

        if (clientId is null)
        {
            return (null, (400, "invalid_request", "Could not determine client ID from request."));
        }

        if (!clients.TryGetValue(clientId, out var client))
        {
            return (null, (401, "invalid_client", "The OAuth client was not found."));
        }

        if (secret is null)
        {
            return (null, (400, "invalid_request", "client_secret is missing."));
        }

        return SecureTokens.FixedTimeEquals(secret, client.ClientSecret)
            ? (client, default)
            : (null, (401, "invalid_client", "Unauthorized"));
    }

    private static string? One(StringValues v) => v.Count == 1 && !string.IsNullOrEmpty(v[0]) ? v[0] : null;
}
