using System.Net;
using System.Text;
using Microsoft.AspNetCore.Mvc;

namespace CreatioGoogle.Broker.Http;

/// <summary>A link on a page shown to a person.</summary>
public sealed record PageLink(string Text, Uri Url);

/// <summary>
/// What a person in a browser sees when something needs their attention: a plain HTML page that says what
/// happened and what to do, with a fitting status code. Never a stack trace.
/// </summary>
public sealed record BrowserPage(int StatusCode, string Title, string Message, IReadOnlyList<PageLink> Links)
{
    public IActionResult ToActionResult() => new ContentResult
    {
        StatusCode = StatusCode,
        ContentType = "text/html; charset=utf-8",
        Content = Render(),
    };

    public string Render()
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>").Append(WebUtility.HtmlEncode(Title)).Append("</title>")
            .Append("<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;line-height:1.5}</style>")
            .Append("</head><body><h1>").Append(WebUtility.HtmlEncode(Title)).Append("</h1>");
        foreach (var paragraph in Message.Split("\n\n"))
        {
            html.Append("<p>").Append(WebUtility.HtmlEncode(paragraph)).Append("</p>");
        }

        if (Links.Count > 0)
        {
            html.Append("<ul>");
            foreach (var link in Links)
            {
                html.Append("<li><a href=\"").Append(WebUtility.HtmlEncode(link.Url.AbsoluteUri)).Append("\">")
                    .Append(WebUtility.HtmlEncode(link.Text)).Append("</a></li>");
            }

            html.Append("</ul>");
        }

        return html.Append("</body></html>").ToString();
    }
}
