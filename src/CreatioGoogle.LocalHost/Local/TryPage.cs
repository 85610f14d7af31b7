using System.Net;
using System.Text;
using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Http;
using CreatioGoogle.Broker.OAuth;
using CreatioGoogle.Broker.Sync;
using CreatioGoogle.Broker.Tenants;

namespace CreatioGoogle.LocalHost.Local;

/// <summary>
/// Local-only pages for trying the connect flow without Creatio: a form that plays Creatio's
/// <c>POST /api/connections</c> for the demo tenant, and a return page that shows what was stored.
/// Never part of the Functions app. Input is checked like the API's: a bad value is a 400 page, never a 500.
/// </summary>
public static class TryPage
{
    public const string ReturnPath = "/local/connected";

    /// <summary>The demo Creatio user's id as plain text, for the README's API walkthrough.</summary>
    public const string DemoUserPath = "/local/demo-user";

    public static void Map(WebApplication app)
    {
        app.MapGet("/", (LocalEnvironment local) => Html(Form(local.DemoCreatioUserId)));
        app.MapPost("/local/connect", StartAsync);
        app.MapGet(ReturnPath, ShowAsync);
        app.MapPost("/local/sync", SyncNowAsync);
        app.MapGet(DemoUserPath, (LocalEnvironment local) => local.DemoCreatioUserId is { } id
            ? Results.Text(id.ToString(), "text/plain; charset=utf-8")
            : Results.Text("No demo tenant in this run (tenants are configured).\n", "text/plain; charset=utf-8", statusCode: 404));
    }

    private static async Task<IResult> StartAsync(HttpRequest request, ConnectFlow flow, TenantAuthenticator tenants, LocalEnvironment local,
        CancellationToken cancellationToken)
    {
        if (tenants.Find(LocalEnvironment.DemoTenant) is not { } tenant)
        {
            return NoDemoTenant();
        }

        if (!request.HasFormContentType)
        {
            return Html(Page("Not started", "<p>Send the form on the start page.</p><p><a href=\"/\">Back</a></p>"), 400);
        }

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(cancellationToken);
        }
        catch (Exception e) when (e is InvalidDataException || (e is IOException && e is not BadHttpRequestException))
        {
            // A form that does not parse (broken multipart, too many fields); a body over Kestrel's limit stays a 413.
            return Html(Page("Not started", "<p>The form could not be read. Send the form on the start page.</p><p><a href=\"/\">Back</a></p>"), 400);
        }

        var connect = new ConnectRequest
        {
            CreatioUserId = form["user"].ToString() is { Length: > 0 } user ? user : (local.DemoCreatioUserId ?? Guid.NewGuid()).ToString(),
            Features = [.. form["feature"].Select(f => f ?? "")],
            ReturnUrl = new Uri(local.PublicBaseUrl, ReturnPath).ToString(),
            LoginHint = form["hint"].ToString() is { Length: > 0 } hint ? hint : null,
        };
        var (started, errors) = await flow.StartAsync(tenant, connect, cancellationToken);
        if (errors is not null)
        {
            var list = string.Concat(errors.Select(e => $"<li>{H(e.Key)}: {H(string.Join(' ', e.Value))}</li>"));
            return Html(Page("Not started", $"<ul>{list}</ul><p><a href=\"/\">Back</a></p>"), 400);
        }

        return Results.Redirect(started!.AuthorizationUrl.AbsoluteUri);
    }

    /// <summary>Queues a contacts sync the way <c>POST /api/connections/{id}/sync?feature=contacts</c> does; RunSync picks it up.</summary>
    private static async Task<IResult> SyncNowAsync(string? connectionId, SyncApi sync, TenantAuthenticator tenants, CancellationToken cancellationToken)
    {
        if (tenants.Find(LocalEnvironment.DemoTenant) is not { } tenant)
        {
            return NoDemoTenant();
        }

        if (!EdgeRules.IsConnectionId(connectionId))
        {
            return NotAConnectionId();
        }

        return await sync.SyncNowAsync(tenant, connectionId!, "contacts", "try page", cancellationToken) switch
        {
            SyncNowResult.Queued => Results.Redirect($"{ReturnPath}?connectionId={Uri.EscapeDataString(connectionId!)}&status=sync-queued"),
            SyncNowResult.NotSyncable not => Html(Page("Not queued",
                $"<p>Contacts cannot sync for this connection: {H(not.Feature.Reason)}.</p>{BackToConnection(connectionId!)}"), 400),
            SyncNowResult.ReconnectNeeded reconnect => Html(Page("Reconnect needed",
                $"<p>{H(reconnect.Connection.StatusReason ?? "Google no longer accepts this connection's grant.")}</p>" +
                $"<p><a href=\"{H(reconnect.Reconnect.AuthorizationUrl.AbsoluteUri)}\">Connect the Google account again</a></p>"), 409),
            _ => NoSuchConnection(),
        };
    }

    private static async Task<IResult> ShowAsync(string? connectionId, string? status, ConnectionStore connections, CursorStore cursors,
        GrantRevocation revocations, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(connectionId))
        {
            // Where "Back to Creatio" on the broker's error pages lands locally: this stands in for Creatio's page.
            return Html(Page("Back from the broker",
                "<p>This is the page Creatio would show. The broker sent you back without a connection: nothing was connected " +
                "(the page you came from said why).</p><p><a href=\"/\">Start again</a></p>"));
        }

        if (!EdgeRules.IsConnectionId(connectionId))
        {
            return NotAConnectionId();
        }

        var connection = await connections.GetAsync(LocalEnvironment.DemoTenant, connectionId, cancellationToken);
        if (connection is null)
        {
            return NoSuchConnection();
        }

        var body = new StringBuilder()
            .Append("<p>This is the page Creatio would show. The broker redirected here with status <b>").Append(H(status ?? "")).Append("</b>.</p>")
            .Append("<table>")
            .Append(Row("Connection", connection.ConnectionId))
            .Append(Row("Google account", connection.GoogleEmail))
            .Append(Row("Status", connection.Status))
            .Append(Row("Reason", connection.StatusReason ?? ""))
            .Append(Row("Granted scopes", connection.GrantedScopes))
            .Append(Row("Missing features", connection.MissingFeatures))
            .Append(Row("Access token expires", connection.AccessTokenExpiresAt?.ToString("u") ?? ""))
            .Append(Row("Refresh token (as stored: AES-256-GCM)", connection.RefreshTokenCiphertext?[..Math.Min(24, connection.RefreshTokenCiphertext.Length)] + "…"))
            .Append(Row("Encryption key version", connection.RefreshTokenKeyVersion ?? ""))
            .Append("</table>");
        foreach (var pending in await revocations.ListAsync(LocalEnvironment.DemoTenant, connection.ConnectionId, cancellationToken))
        {
            body.Append("<p>A Google grant of ").Append(H(pending.GoogleEmail)).Append(" (").Append(H(pending.Reason))
                .Append(") is not revoked yet: ").Append(H(pending.LastError ?? "")).Append(". The broker retries it.</p>");
        }

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
        return Html(Page(TitleFor(connection.Status), body.ToString()));
    }

    /// <summary>The result page's title says how the connection stands, not just that the flow ended.</summary>
    private static string TitleFor(string status) => status switch
    {
        ConnectionStatus.Connected => "Connected",
        ConnectionStatus.ScopesMissing => "Connected, but some access is missing",
        ConnectionStatus.ReconnectNeeded => "Reconnect needed",
        _ => $"Connection: {status}",
    };

    private static string Form(Guid? demoUser) => Page("Try the connect flow",
        "<p>This form does what Creatio does: it asks the broker for a Google authorization URL for a Creatio user of the demo tenant, then sends your browser there.</p>" +
        "<form method=\"post\" action=\"/local/connect\">" +
        $"<p><label>Creatio user id <input name=\"user\" size=\"40\" value=\"{demoUser}\" placeholder=\"the demo user\"></label></p>" +
        "<p><label>Login hint <input name=\"hint\" value=\"alice@example.com\"></label></p>" +
        "<fieldset><legend>Features</legend>" +
        "<label><input type=\"checkbox\" name=\"feature\" value=\"mail\" checked> mail</label> " +
        "<label><input type=\"checkbox\" name=\"feature\" value=\"contacts\" checked> contacts</label> " +
        "<label><input type=\"checkbox\" name=\"feature\" value=\"calendar\" checked> calendar</label></fieldset>" +
        "<p>On the sandbox's consent page, tick every box you want to allow: like Google's, it starts with them unticked.</p>" +
        "<p><button type=\"submit\">Connect a Google account</button></p></form>");

    private static IResult NoDemoTenant() =>
        Html(Page("No demo tenant", "<p>Tenants are configured, so the demo tenant is off. Call POST /api/connections instead.</p>"), 404);

    private static IResult NotAConnectionId() =>
        Html(Page("Not a connection id", "<p>Connection ids are letters, digits, '-' and '_'.</p><p><a href=\"/\">Start again</a></p>"), 400);

    private static IResult NoSuchConnection() =>
        Html(Page("No such connection", "<p><a href=\"/\">Start again</a></p>"), 404);

    private static string BackToConnection(string connectionId) =>
        $"<p><a href=\"{ReturnPath}?connectionId={H(Uri.EscapeDataString(connectionId))}\">Back</a></p>";

    private static IResult Html(string html, int status = 200) => Results.Content(html, "text/html; charset=utf-8", statusCode: status);

    private static string Row(string name, string value) => $"<tr><th align=\"left\">{H(name)}</th><td>{H(value)}</td></tr>";

    private static string Page(string title, string body) =>
        $"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{H(title)}</title>" +
        "<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:3rem auto;padding:0 1rem}td,th{padding:.2rem .6rem}</style>" +
        $"</head><body><h1>{H(title)}</h1>{body}</body></html>";

    private static string H(string value) => WebUtility.HtmlEncode(value);
}
