using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace CreatioGoogle.Sandbox.Google;

/// <summary>GET /v1/userinfo (openidconnect.googleapis.com): claims limited by the token's scopes.</summary>
internal sealed class UserInfoEndpoint(GrantStore store)
{
    public Task HandleAsync(HttpContext ctx)
    {
        string? header = ctx.Request.Headers.Authorization;
        var token = header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        if (token is null || store.FindLiveAccessToken(token) is not { } found)
        {
            ctx.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            return OAuthResponses.ErrorAsync(ctx, 401, "invalid_request", "Invalid Credentials");
        }

        var body = new JsonObject { ["sub"] = found.Account.Sub };
        if (found.Scopes.Contains(GoogleScopes.UserInfoProfile))
        {
            body["name"] = found.Account.Name;
        }

        if (found.Scopes.Contains(GoogleScopes.UserInfoEmail))
        {
            body["email"] = found.Account.Email;
            body["email_verified"] = true;
        }

        return OAuthResponses.JsonAsync(ctx, 200, body);
    }
}
