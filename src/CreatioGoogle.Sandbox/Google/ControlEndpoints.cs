using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CreatioGoogle.Sandbox.Google;

/// <summary>
/// Not Google's API: levers for a person trying the broker against the sandbox from outside the process (the
/// local run), the same ones tests pull in-process. POST <c>/_sandbox/revoke?email=</c> plays a user removing the
/// app's access; POST <c>/_sandbox/outage?count=&amp;status=&amp;retryAfter=</c> makes the next token calls fail;
/// POST <c>/_sandbox/revoke-failures?count=&amp;status=</c> makes the next revocations fail; POST <c>/_sandbox/latency?ms=</c> slows the token endpoint; GET <c>/_sandbox/stats</c> counts calls.
/// POST <c>/_sandbox/gmail/deliver?email=&amp;labels=</c> with an RFC 822 message as the body delivers it to that
/// mailbox (as received now; labels default to INBOX, UNREAD, CATEGORY_PERSONAL); GET <c>/_sandbox/gmail/stats</c>
/// prints Gmail calls per method and quota units per account.
/// </summary>
internal static class ControlEndpoints
{
    public static void Map(WebApplication app, SandboxGoogle google)
    {
        app.MapPost("/_sandbox/revoke", (string email) =>
        {
            google.RevokeAllFor(email);
            return Results.Text($"Access of {email} revoked: its refresh tokens now get invalid_grant.\n");
        });
        app.MapPost("/_sandbox/outage", (int? count, int? status, int? retryAfter) =>
        {
            var code = status ?? 503;
            if (code is < 400 or > 599)
            {
                return Results.BadRequest("status must be 400-599\n");
            }

            google.InjectTokenEndpointFailures(count ?? 10, code, retryAfter is { } seconds ? TimeSpan.FromSeconds(seconds) : null);
            return Results.Text($"The next {count ?? 10} token calls answer {code}.\n");
        });
        app.MapPost("/_sandbox/revoke-failures", (int? count, int? status) =>
        {
            var code = status ?? 503;
            if (code is < 400 or > 599)
            {
                return Results.BadRequest("status must be 400-599\n");
            }

            google.InjectRevokeFailures(count ?? 10, code);
            return Results.Text($"The next {count ?? 10} revocations answer {code}.\n");
        });
        app.MapPost("/_sandbox/latency", (int ms) =>
        {
            google.TokenEndpointLatency = TimeSpan.FromMilliseconds(Math.Max(0, ms));
            return Results.Text($"Token endpoint latency {ms} ms.\n");
        });
        app.MapGet("/_sandbox/stats", () => Results.Text(string.Create(CultureInfo.InvariantCulture,
            $"refreshes {google.RefreshCount}\ncode exchanges {google.CodeExchangeCount}\nrevocations {google.RevokeCount}\n")));
        app.MapPost("/_sandbox/gmail/deliver", async (HttpContext ctx, string email, string? labels) =>
        {
            var raw = await Gmail.GmailApi.ReadBodyAsync(ctx.Request, Gmail.GmailApi.MaxMessageBytes, ctx.RequestAborted);
            if (raw is null || raw.Length == 0)
            {
                return Results.BadRequest($"The body must be one RFC 822 message of at most {Gmail.GmailApi.MaxMessageBytes} bytes.\n");
            }

            try
            {
                var labelIds = labels?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                var message = google.Gmail.Deliver(email, raw, labelIds);
                return Results.Text($"Delivered {message.Id} to {email} (history id {message.HistoryId}).\n");
            }
            catch (ArgumentException e)
            {
                return Results.BadRequest(e.Message + "\n");
            }
        });
        app.MapGet("/_sandbox/gmail/stats", () => Results.Text(string.Concat(
            google.Gmail.Calls.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {c.Value}\n"))
                .Concat(google.Accounts.Select(a => string.Create(CultureInfo.InvariantCulture, $"units {a.Email} {google.Gmail.UnitsUsed(a.Email)}\n"))))));
    }
}
