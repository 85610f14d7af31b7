namespace CreatioGoogle.Sandbox.Google;

/// <summary>Scope rules Google applies: aliases and the basic sign-in scopes that granular consent cannot untick.</summary>
internal static class GoogleScopes
{
    public const string OpenId = "openid";
    public const string UserInfoEmail = "https://www.googleapis.com/auth/userinfo.email";
    public const string UserInfoProfile = "https://www.googleapis.com/auth/userinfo.profile";

    /// <summary>Google answers "email"/"profile" with their userinfo URLs in token responses; we store the canonical form.</summary>
    public static string Canonical(string scope) => scope switch
    {
        "email" => UserInfoEmail,
        "profile" => UserInfoProfile,
        _ => scope,
    };

    public static bool IsBasic(string scope) => Canonical(scope) is OpenId or UserInfoEmail or UserInfoProfile;

    /// <summary>Google rejects unknown scope strings (invalid_scope); we accept the OIDC names and any https URL.</summary>
    public static bool IsWellFormed(string scope) =>
        scope is OpenId or "email" or "profile"
        || (Uri.TryCreate(scope, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps);

    public static IReadOnlyList<string> Split(string? scope) =>
        (scope ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static string Join(IEnumerable<string> scopes) => string.Join(' ', scopes);
}
