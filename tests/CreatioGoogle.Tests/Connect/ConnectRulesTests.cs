using CreatioGoogle.Broker.Google;
using CreatioGoogle.Broker.Http;
using CreatioGoogle.Broker.Tenants;

namespace CreatioGoogle.Tests.Connect;

/// <summary>The connect flow's pure rules, without storage or HTTP.</summary>
public sealed class ConnectRulesTests
{
    private static readonly Tenant Acme = new("acme", new TenantOptions
    {
        ReturnUrls = [new Uri("https://acme.creatio.com/"), new Uri("https://crm.acme.example:8443/0/Shell")],
    });

    [Theory]
    [InlineData("https://acme.creatio.com/", true)]
    [InlineData("https://acme.creatio.com/0/Shell/#SectionModuleV2/ContactSectionV2", true)]
    [InlineData("https://ACME.creatio.com/0/", true)]
    [InlineData("https://crm.acme.example:8443/0/Shell", true)]
    [InlineData("https://crm.acme.example:8443/0/Shell/Contacts", true)]
    [InlineData("https://crm.acme.example:8443/0/ShellEvil", false)]
    [InlineData("https://crm.acme.example/0/Shell", false)]
    [InlineData("http://acme.creatio.com/", false)]
    [InlineData("https://acme.creatio.com.evil.example/", false)]
    [InlineData("https://evil.example/?next=https://acme.creatio.com/", false)]
    [InlineData("https://user:pass@acme.creatio.com/", false)]
    [InlineData("javascript:alert(1)", false)]
    public void Return_url_must_lie_under_an_allowed_prefix(string url, bool allowed)
    {
        Assert.Equal(allowed, Uri.TryCreate(url, UriKind.Absolute, out var uri) && Acme.AllowsReturnUrl(uri));
    }

    [Fact]
    public void Missing_features_are_those_whose_scope_was_not_granted()
    {
        var granted = new[] { "openid", "https://mail.google.com/", "https://www.googleapis.com/auth/userinfo.email" };

        Assert.Equal(["contacts", "calendar"], Features.MissingFrom(["mail", "contacts", "calendar"], granted));
        Assert.Empty(Features.MissingFrom(["mail"], granted));
    }

    [Fact]
    public void Browser_pages_encode_what_they_show()
    {
        var page = new BrowserPage(400, "<b>title</b>", "Google answered '<script>x</script>'.", [new PageLink("back", new Uri("https://acme.creatio.com/?a=\"x\""))]);

        var html = page.Render();

        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>title", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal);
    }
}
