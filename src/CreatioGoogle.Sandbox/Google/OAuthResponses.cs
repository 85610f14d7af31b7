using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace CreatioGoogle.Sandbox.Google;

/// <summary>Writes JSON and HTML responses with Google's no-store caching headers.</summary>
internal static class OAuthResponses
{
    public static Task JsonAsync(HttpContext ctx, int status, JsonNode body)
    {
        var r = ctx.Response;
        r.StatusCode = status;
        r.ContentType = "application/json; charset=utf-8";
        r.Headers.CacheControl = "no-cache, no-store, max-age=0, must-revalidate";
        r.Headers.Pragma = "no-cache";
        return r.WriteAsync(body.ToJsonString(), ctx.RequestAborted);
    }

    public static Task ErrorAsync(HttpContext ctx, int status, string error, string description) =>
        JsonAsync(ctx, status, new JsonObject { ["error"] = error, ["error_description"] = description });

    public static Task HtmlAsync(HttpContext ctx, int status, string html)
    {
        var r = ctx.Response;
        r.StatusCode = status;
        r.ContentType = "text/html; charset=utf-8";
        r.Headers.CacheControl = "no-cache, no-store, max-age=0, must-revalidate";
        return r.WriteAsync(html, ctx.RequestAborted);
    }

    /// <summary>Google's "Access blocked" page: an error code, no redirect back to the app.</summary>
    public static Task ErrorPageAsync(HttpContext ctx, int status, string error, string message, string? details = null)
    {
        var html = $"""
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>Error {status}: {H(error)}</title></head>
            <body>
            <h1>Access blocked: authorization error</h1>
            <p>{H(message)}</p>
            <p><strong>Error {status}: {H(error)}</strong></p>
            {(details is null ? string.Empty : $"<p>Request details: {H(details)}</p>")}
            </body></html>
            """;
        return HtmlAsync(ctx, status, html);
    }

    public static string H(string? s) => WebUtility.HtmlEncode(s ?? string.Empty);
}
