using System.Net;
using System.Text;
using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.OAuth;
using CreatioGoogle.Broker.Sync;
using CreatioGoogle.Broker.Tenants;

namespace CreatioGoogle.LocalHost.Local;

/// <summary>
/// Local-only pages for trying the connect flow without Creatio: a form that plays Creatio's
/// <c>POST /api/connections</c> for the demo tenant, and a return page that shows what was stored.
/// Never part of the Functions app.
/// </summary>
public static class TryPage
{
    public const string ReturnPath = "/local/connected";

    public static void Map(WebApplication app)
    {
        app.MapGet("/", (LocalEnvironment local) => Results.Content(Form(local.DemoCreatioUserId), "text/html; charset=utf-8"));
        app.MapPost("/local/connect", StartAsync);
        app.MapGet(ReturnPath, ShowAsync);
        app.MapPost("/local/sync", SyncNowAsync);
    }

    private static async Task<IResult> StartAsync(HttpRequest request, ConnectFlow flow, TenantAuthenticator tenants,
        CancellationToken cancellationToken)
    {
        var form = await request.ReadFormAsync(cancellationToken);
        var tenant = tenants.Find(LocalEnvironment.DemoTenant);
        if (tenant is null)
        {
            return Results.Content(Page("No demo tenant", "<p>Tenants are configured, so the demo tenant is off. Call POST /api/connections instead.</p>"),
                "text/html; charset=utf-8", statusCode: 404);
        }

        var connect = new ConnectRequest
        {
            CreatioUserId = form["user"].ToString() is { Length: > 0 } user ? user : Guid.NewGuid().ToString(),
            Features = [.. form["feature"].Select(f => f ?? "")],
            ReturnUrl = new Uri(new Uri($"{request.Scheme}://{request.Host}"), ReturnPath).ToString(),
            LoginHint = form["hint"].ToString() is { Length: > 0 } hint ? hint : null,
        };
        var (started, errors) = await flow.StartAsync(tenant, connect, cancellationToken);
        if (errors is not null)
        {
            var list = string.Concat(errors.Select(e => $"<li>{H(e.Key)}: {H(string.Join(' ', e.Value))}</li>"));
            return Results.Content(Page("Not started", $"<ul>{list}</ul><p><a href=\"/\">Back</a></p>"), "text/html; charset=utf-8", statusCode: 400);
        }

        return Results.Redirect(started!.AuthorizationUrl.AbsoluteUri);
    }

    /// <summary>Queues a contacts sync the way <c>POST /api/connections/{id}/sync</c> does; RunSync picks it up.</summary>
    private static async Task<IResult> SyncNowAsync(string connectionId, SyncQueue queue, TimeProvider clock, CancellationToken cancellationToken)
    {
        await queue.EnqueueAsync(new SyncJob(LocalEnvironment.DemoTenant, connectionId, "contacts", clock.GetUtcNow(), "try page"), null, cancellationToken);
        return Results.Redirect($"{ReturnPath}?connectionId={Uri.EscapeDataString(connectionId)}&status=sync-queued");
    }

    private static async Task<IResult> ShowAsync(string? connectionId, string? status, ConnectionStore connections, CursorStore cursors,
        CancellationToken cancellationToken)
    {
        var connection = connectionId is null ? null : await connections.GetAsync(LocalEnvironment.DemoTenant, connectionId, cancellationToken);
        if (connection is null)
        {
            return Results.Content(Page("No such connection", "<p><a href=\"/\">Start again</a></p>"), "text/html; charset=utf-8", statusCode: 404);
        }

        var body = new StringBuilder()
            .Append("<p>This is the page Creatio would show. The broker redirected here with status <b>").Append(H(status ?? "")).Append("</b>.</p>")
            .Append("<table>")
            .Append(Row("Connection", connection.ConnectionId))
            .Append(Row("Google account", connection.GoogleEmail))
            .Append(Row("Status", connection.Status))
            .Append(Row("Granted scopes", connection.GrantedScopes))
            .Append(Row("Missing features", connection.MissingFeatures))
            .Append(Row("Access token expires", connection.AccessTokenExpiresAt?.ToString("u") ?? ""))
            .Append(Row("Refresh token (as stored: AES-256-GCM)", connection.RefreshTokenCiphertext?[..Math.Min(24, connection.RefreshTokenCiphertext.Length)] + "…"))
            .Append(Row("Encryption key version", connection.RefreshTokenKeyVersion ?? ""))
            .Append("</table>");
        if (connection.Features.Contains("contacts"))
        {
            var cursor = await cursors.GetAsync(connection.ConnectionId, "contacts", cancellationToken);
            body.Append("<h2>Contacts sync</h2><table>")
                .Append(Row("Last success", cursor?.LastSuccessAt?.ToString("u") ?? "never"))
                .Append(Row("Last run", cursor?.LastRunSummary ?? ""))
                .Append(Row("Last error", cursor?.LastError ?? ""))
                .Append("</table>")
                .Append($"<form method=\"post\" action=\"/local/sync?connectionId={H(Uri.EscapeDataString(connection.ConnectionId))}\">")
                .Append("<button type=\"submit\">Sync contacts now</button> (then reload this page after a few seconds)</form>");
        }

        body.Append("<p><a href=\"/\">Connect again</a></p>");
        return Results.Content(Page("Connected", body.ToString()), "text/html; charset=utf-8");
    }

    private static string Form(Guid? demoUser) => Page("Try the connect flow",
        "<p>This form does what Creatio does: it asks the broker for a Google authorization URL for a Creatio user of the demo tenant, then sends your browser there.</p>" +
        "<form method=\"post\" action=\"/local/connect\">" +
        $"<p><label>Creatio user id <input name=\"user\" size=\"40\" value=\"{demoUser}\" placeholder=\"new random user\"></label></p>" +
        "<p><label>Login hint <input name=\"hint\" value=\"alice@example.com\"></label></p>" +
        "<fieldset><legend>Features</legend>" +
        "<label><input type=\"checkbox\" name=\"feature\" value=\"mail\" checked> mail</label> " +
        "<label><input type=\"checkbox\" name=\"feature\" value=\"contacts\" checked> contacts</label> " +
        "<label><input type=\"checkbox\" name=\"feature\" value=\"calendar\" checked> calendar</label></fieldset>" +
        "<p><button type=\"submit\">Connect a Google account</button></p></form>");

    private static string Row(string name, string value) => $"<tr><th align=\"left\">{H(name)}</th><td>{H(value)}</td></tr>";

    private static string Page(string title, string body) =>
        $"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{H(title)}</title>" +
        "<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:3rem auto;padding:0 1rem}td,th{padding:.2rem .6rem}</style>" +
        $"</head><body><h1>{H(title)}</h1>{body}</body></html>";

    private static string H(string value) => WebUtility.HtmlEncode(value);
}
