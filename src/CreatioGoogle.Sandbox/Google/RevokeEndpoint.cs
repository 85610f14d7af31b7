using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace CreatioGoogle.Sandbox.Google;

/// <summary>/revoke: token as query parameter (what Google.Apis.Auth sends) or form field.</summary>
internal sealed class RevokeEndpoint(GrantStore store)
{
    public async Task HandleAsync(HttpContext ctx)
    {
        string? token = ctx.Request.Query["token"];
        if (string.IsNullOrEmpty(token) && ctx.Request.HasFormContentType)
        {
            token = (await ctx.Request.ReadFormAsync(ctx.RequestAborted))["token"];
        }

        if (string.IsNullOrEmpty(token))
        {
            await OAuthResponses.ErrorAsync(ctx, 400, "invalid_request", "Bad Request");
            return;
        }

        if (!store.Revoke(token))
        {
            await OAuthResponses.ErrorAsync(ctx, 400, "invalid_token", "Token expired or revoked");
            return;
        }

        await OAuthResponses.JsonAsync(ctx, 200, new JsonObject());
    }
}
