namespace CreatioGoogle.Broker.OAuth;

/// <summary>The redirect URIs Creatio's Google set-up guide registers in Google Cloud; the broker answers all three.</summary>
public static class RedirectPaths
{
    public const string ProcessAuthenticationCode = "/0/rest/GoogleOAuthAuthenticator/ProcessAuthenticationCode";

    /// <summary>Creatio 7.17.1 and up.</summary>
    public const string LegacySocialAccountAuthPage = "/0/LegacySocialAccountAuthPage.aspx?Id=" + SocialAccountPageId;

    /// <summary>Creatio 7.17.0 and lower.</summary>
    public const string ViewPage = "/0/ViewPage.aspx?Id=" + SocialAccountPageId;

    /// <summary>The page id in the two .aspx paths; any other id is not ours.</summary>
    public const string SocialAccountPageId = "3b22f0ff-034a-48da-8758-a0660e5a26ff";

    public static readonly IReadOnlyList<string> All = [ProcessAuthenticationCode, LegacySocialAccountAuthPage, ViewPage];
}
