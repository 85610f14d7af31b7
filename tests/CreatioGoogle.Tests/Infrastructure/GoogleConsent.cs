using System.Net;
using System.Text.RegularExpressions;

namespace CreatioGoogle.Tests.Infrastructure;

/// <summary>
/// Plays the person on the sandbox Google's consent page with a plain HttpClient: opens the page, picks an
/// account, unticks scopes if asked, and presses Allow or Cancel. Returns where Google redirects the browser.
/// </summary>
public static partial class GoogleConsent
{
    public static async Task<Uri> DecideAsync(HttpClient browser, Uri authorizationUrl, string account,
        bool allow = true, IEnumerable<string>? untick = null, CancellationToken cancellationToken = default)
    {
        using var page = await browser.GetAsync(authorizationUrl, cancellationToken);
        var html = await page.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"Google's consent page answered {(int)page.StatusCode}: {html}");

        var requestId = WebUtility.HtmlDecode(RequestField().Match(html).Groups[1].Value);
        var unticked = (untick ?? []).ToHashSet(StringComparer.Ordinal);
        var scopes = ScopeBoxes().Matches(html).Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)).Where(s => !unticked.Contains(s));
        var form = new List<KeyValuePair<string, string>>
        {
            new("request", requestId),
            new("account", account),
            new("decision", allow ? "allow" : "deny"),
        };
        form.AddRange(scopes.Select(s => new KeyValuePair<string, string>("scope", s)));

        var formAction = new Uri(authorizationUrl, WebUtility.HtmlDecode(FormAction().Match(html).Groups[1].Value));
        using var decision = await browser.PostAsync(formAction, new FormUrlEncodedContent(form), cancellationToken);
        Assert.True(decision.StatusCode == HttpStatusCode.Redirect,
            $"Google's decision answered {(int)decision.StatusCode}: {await decision.Content.ReadAsStringAsync(cancellationToken)}");
        return decision.Headers.Location!;
    }

    [GeneratedRegex("name=\"request\" value=\"([^\"]*)\"")]
    private static partial Regex RequestField();

    [GeneratedRegex("type=\"checkbox\" name=\"scope\" value=\"([^\"]*)\"")]
    private static partial Regex ScopeBoxes();

    [GeneratedRegex("<form[^>]*action=\"([^\"]*)\"")]
    private static partial Regex FormAction();
}
