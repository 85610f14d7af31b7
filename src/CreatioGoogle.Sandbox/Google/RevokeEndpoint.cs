using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace CreatioGoogle.Sandbox.Google;

/// <summary>
/// /revoke, answering as Google does: 200 for a live token (the whole grant ends), 400 <c>invalid_token</c> for a token
/// it does not know (already revoked, expired, never issued), 400 <c>invalid_request</c> without a token. Token as query
/// parameter (what Google.Apis.Auth sends) or form field. Injected failures come first, like the token endpoint's.
/// </summary>
internal sealed class RevokeEndpoint(
    GrantStore store,
    FaultInjector faults,
    IReadOnlyDictionary<string, SandboxClient> clients,
    bool requireClientAuthentication)
{
    private int _count;

    /// <summary>Revocation requests received, including refused and fault-injected ones.</summary>
    public int Count => Volatile.Read(ref _count);

    public async Task HandleAsync(HttpContext ctx)
    {
        Interlocked.Increment(ref _count);
        await faults.DelayAsync(ctx.RequestAborted);
        if (await faults.TryAnswerAsync(ctx))
        {
            return;
        }

        var form = ctx.Request.HasFormContentType ? await ctx.Request.ReadFormAsync(ctx.RequestAborted) : null;
        string? token = ctx.Request.Query["token"];
        if (string.IsNullOrEmpty(token) && form is not null)
        {
            token = form["token"];
        }

        if (requireClientAuthentication)
        {
            var (client, failure) = TokenEndpoint.Authenticate(clients, ctx.Request, form ?? new FormCollection(null));
            if (client is null)
            {
                await OAuthResponses.ErrorAsync(ctx, failure.Status, failure.Error, failure.Description);
                return;
            }
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
