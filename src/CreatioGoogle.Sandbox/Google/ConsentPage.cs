using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace CreatioGoogle.Sandbox.Google;

/// <summary>
/// GET /o/oauth2/v2/auth and POST /o/oauth2/v2/auth/decision: validates the request like Google,
/// renders a plain consent page and redirects back with a code or access_denied.
/// </summary>
internal sealed class ConsentPage(
    IReadOnlyDictionary<string, SandboxClient> clients,
    IReadOnlyList<SandboxAccount> accounts,
    GrantStore store,
    string issuer)
{
    public const string DecisionPath = "/o/oauth2/v2/auth/decision";

    private static readonly HashSet<string> PromptValues = ["none", "consent", "select_account"];

    public Task AuthorizeAsync(HttpContext ctx)
    {
        var q = ctx.Request.Query;
        var clientId = Single(q, "client_id");
        if (clientId is null || !clients.TryGetValue(clientId, out var client))
        {
            return OAuthResponses.ErrorPageAsync(ctx, 401, "invalid_client", "The OAuth client was not found.", $"client_id={clientId}");
        }

        // Until the redirect_uri is proven registered, nothing may be sent to it.
        var redirectUri = Single(q, "redirect_uri");
        if (redirectUri is null || !client.RedirectUris.Contains(redirectUri, StringComparer.Ordinal))
        {
            return OAuthResponses.ErrorPageAsync(
                ctx, 400, "redirect_uri_mismatch",
                "You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy.",
                $"redirect_uri={redirectUri}");
        }

        var request = Validate(q, client, redirectUri, out var problem);
        if (request is null)
        {
            var (error, message) = problem;
            return OAuthResponses.ErrorPageAsync(ctx, 400, error, message);
        }

        if (request.Prompt.Contains("none"))
        {
            return SilentAsync(ctx, request);
        }

        var id = store.AddPending(request);
        return OAuthResponses.HtmlAsync(ctx, 200, Render(id, request));
    }

    public async Task DecideAsync(HttpContext ctx)
    {
        if (!ctx.Request.HasFormContentType)
        {
            await OAuthResponses.ErrorPageAsync(ctx, 400, "invalid_request", "Expected a form post.");
            return;
        }

        var form = await ctx.Request.ReadFormAsync(ctx.RequestAborted);
        var request = Single(form, "request") is { } id ? store.TakePending(id) : null;
        if (request is null)
        {
            await OAuthResponses.ErrorPageAsync(ctx, 400, "invalid_request", "This consent request is unknown, expired or already answered.");
            return;
        }

        if (Single(form, "decision") != "allow")
        {
            ctx.Response.Redirect(BuildRedirect(request, [new("error", "access_denied")]));
            return;
        }

        var email = Single(form, "account");
        var account = accounts.FirstOrDefault(a => string.Equals(a.Email, email, StringComparison.OrdinalIgnoreCase));
        if (account is null)
        {
            await OAuthResponses.ErrorPageAsync(ctx, 400, "invalid_request", "Choose one of the listed accounts.");
            return;
        }

        // Granular consent: basic sign-in scopes are always granted; others only when ticked.
        var ticked = form["scope"].Where(s => s is not null).Select(s => GoogleScopes.Canonical(s!)).ToHashSet(StringComparer.Ordinal);
        var granted = request.Scopes
            .Select(GoogleScopes.Canonical)
            .Where(s => GoogleScopes.IsBasic(s) || ticked.Contains(s))
            .Distinct()
            .ToList();
        if (granted.Count == 0)
        {
            ctx.Response.Redirect(BuildRedirect(request, [new("error", "access_denied")]));
            return;
        }

        var (code, scopes, consentShown) = store.Approve(request, account, granted, interactive: true);
        ctx.Response.Redirect(BuildCodeRedirect(request, account, code, scopes, consentShown));
    }

    /// <summary>prompt=none: no UI; succeeds only when the hinted account already granted everything.</summary>
    private Task SilentAsync(HttpContext ctx, AuthorizationRequest request)
    {
        var account = request.LoginHint is null
            ? (accounts.Count == 1 ? accounts[0] : null)
            : FindByHint(request.LoginHint);
        if (account is null)
        {
            ctx.Response.Redirect(BuildRedirect(request, [new("error", request.LoginHint is null ? "account_selection_required" : "login_required")]));
            return Task.CompletedTask;
        }

        if (!store.HasCoveringGrant(request.Client.ClientId, account.Sub, request.Scopes))
        {
            ctx.Response.Redirect(BuildRedirect(request, [new("error", "consent_required")]));
            return Task.CompletedTask;
        }

        var granted = request.Scopes.Select(GoogleScopes.Canonical).Distinct().ToList();
        var (code, scopes, consentShown) = store.Approve(request, account, granted, interactive: false);
        ctx.Response.Redirect(BuildCodeRedirect(request, account, code, scopes, consentShown));
        return Task.CompletedTask;
    }

    private static AuthorizationRequest? Validate(IQueryCollection q, SandboxClient client, string redirectUri, out (string Error, string Message) problem)
    {
        problem = default;
        var responseType = Single(q, "response_type");
        if (responseType != "code")
        {
            problem = ("invalid_request", responseType is null ? "Required parameter is missing: response_type" : $"Invalid response_type: {responseType}");
            return null;
        }

        var scopes = GoogleScopes.Split(Single(q, "scope"));
        if (scopes.Count == 0)
        {
            problem = ("invalid_request", "Missing required parameter: scope");
            return null;
        }

        if (scopes.FirstOrDefault(s => !GoogleScopes.IsWellFormed(s)) is { } bad)
        {
            problem = ("invalid_scope", $"Some requested scopes were invalid. {{invalid=[{bad}]}}");
            return null;
        }

        var accessType = Single(q, "access_type") ?? "online";
        if (accessType is not ("online" or "offline"))
        {
            problem = ("invalid_request", $"Invalid access_type: {accessType}");
            return null;
        }

        var prompt = GoogleScopes.Split(Single(q, "prompt")).ToHashSet(StringComparer.Ordinal);
        if (prompt.Any(p => !PromptValues.Contains(p)) || (prompt.Contains("none") && prompt.Count > 1))
        {
            problem = ("invalid_request", "Invalid prompt: " + Single(q, "prompt"));
            return null;
        }

        var challenge = Single(q, "code_challenge");
        var method = Single(q, "code_challenge_method");
        if (challenge is null && method is not null)
        {
            problem = ("invalid_request", "Missing code_challenge.");
            return null;
        }

        if (challenge is not null)
        {
            // RFC 7636: plain is the default method; challenges are 43-128 unreserved characters.
            method ??= "plain";
            if (method is not ("S256" or "plain"))
            {
                problem = ("invalid_request", "Invalid code_challenge_method.");
                return null;
            }

            if (challenge.Length is < 43 or > 128 || !challenge.All(IsUnreserved))
            {
                problem = ("invalid_request", "Invalid code_challenge.");
                return null;
            }
        }

        return new AuthorizationRequest(
            client,
            redirectUri,
            scopes.DistinctBy(GoogleScopes.Canonical).ToList(),
            Single(q, "state"),
            accessType == "offline",
            prompt,
            string.Equals(Single(q, "include_granted_scopes"), "true", StringComparison.OrdinalIgnoreCase),
            Single(q, "login_hint"),
            challenge,
            method,
            Single(q, "nonce"));
    }

    private string BuildCodeRedirect(AuthorizationRequest request, SandboxAccount account, string code, IReadOnlyCollection<string> scopes, bool consentShown)
    {
        // Google echoes the requested aliases ("email") next to their canonical URLs in the redirect.
        var echoed = request.Scopes.Where(s => s != GoogleScopes.Canonical(s) && scopes.Contains(GoogleScopes.Canonical(s)));
        var scopeParam = GoogleScopes.Join(echoed.Concat(scopes).Distinct());
        var authUser = Math.Max(0, accounts.ToList().FindIndex(a => a.Sub == account.Sub));
        return BuildRedirect(request, [
            new("code", code),
            new("scope", scopeParam),
            new("authuser", authUser.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("prompt", consentShown ? "consent" : "none"),
        ]);
    }

    private string BuildRedirect(AuthorizationRequest request, List<KeyValuePair<string, string?>> parameters)
    {
        // state first like Google; iss per RFC 9207 (Google advertises authorization_response_iss_parameter_supported).
        if (request.State is not null)
        {
            parameters.Insert(0, new("state", request.State));
        }

        parameters.Add(new("iss", issuer));
        return QueryHelpers.AddQueryString(request.RedirectUri, parameters);
    }

    private SandboxAccount? FindByHint(string hint) =>
        accounts.FirstOrDefault(a => string.Equals(a.Email, hint, StringComparison.OrdinalIgnoreCase) || a.Sub == hint);

    private string Render(string requestId, AuthorizationRequest request)
    {
        var preselected = (request.LoginHint is null ? null : FindByHint(request.LoginHint)) ?? accounts[0];
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Sign in - Google Accounts (sandbox)</title></head>\n<body>\n");
        sb.Append("<h1>Sandbox Google: choose an account</h1>\n");
        sb.Append("<p><code>").Append(OAuthResponses.H(request.Client.ClientId)).Append("</code> wants to access your Google Account.</p>\n");
        sb.Append("<form method=\"post\" action=\"").Append(DecisionPath).Append("\">\n");
        sb.Append("<input type=\"hidden\" name=\"request\" value=\"").Append(OAuthResponses.H(requestId)).Append("\">\n<fieldset><legend>Account</legend>\n");
        foreach (var a in accounts)
        {
            sb.Append("<label><input type=\"radio\" name=\"account\" value=\"").Append(OAuthResponses.H(a.Email)).Append('"')
              .Append(a == preselected ? " checked" : string.Empty).Append("> ")
              .Append(OAuthResponses.H(a.Name)).Append(" &lt;").Append(OAuthResponses.H(a.Email)).Append("&gt;</label><br>\n");
        }

        sb.Append("</fieldset>\n<fieldset><legend>Select what the app can access</legend>\n");
        foreach (var s in request.Scopes)
        {
            // Like Google's granular consent: sign-in scopes are fixed, the rest start unticked.
            var basic = GoogleScopes.IsBasic(s);
            sb.Append("<label><input type=\"checkbox\" name=\"scope\" value=\"").Append(OAuthResponses.H(s)).Append('"')
              .Append(basic ? " checked disabled" : string.Empty).Append("> ").Append(OAuthResponses.H(s))
              .Append(basic ? " (always granted)" : string.Empty).Append("</label><br>\n");
        }

        sb.Append("</fieldset>\n<button type=\"submit\" name=\"decision\" value=\"deny\">Cancel</button>\n");
        sb.Append("<button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\n</form>\n</body></html>\n");
        return sb.ToString();
    }

    private static bool IsUnreserved(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~';

    /// <summary>Google rejects repeated parameters; treating them as absent keeps us at least as strict.</summary>
    private static string? Single(IQueryCollection q, string name) => One(q[name]);

    private static string? Single(IFormCollection f, string name) => One(f[name]);

    private static string? One(StringValues v) => v.Count == 1 && !string.IsNullOrEmpty(v[0]) ? v[0] : null;
}
