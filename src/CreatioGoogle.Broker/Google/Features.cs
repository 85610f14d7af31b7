namespace CreatioGoogle.Broker.Google;

/// <summary>What Creatio can ask a user to connect, and the Google scope each one needs.</summary>
public static class Features
{
    public const string Mail = "mail";
    public const string Contacts = "contacts";
    public const string Calendar = "calendar";

    /// <summary>Always requested: they identify the Google account (ID token <c>sub</c> and e-mail).</summary>
    public static readonly IReadOnlyList<string> IdentityScopes = ["openid", "email", "profile"];

    private static readonly Dictionary<string, string> ScopeOf = new(StringComparer.Ordinal)
    {
        // Creatio's Gmail mailbox uses IMAP/SMTP with OAuth, which needs full mail access.
        [Mail] = "https://mail.google.com/",
        [Contacts] = "https://www.googleapis.com/auth/contacts",
        [Calendar] = "https://www.googleapis.com/auth/calendar",
    };

    public static IReadOnlyCollection<string> All => ScopeOf.Keys;

    public static bool IsKnown(string feature) => ScopeOf.ContainsKey(feature);

    public static string Scope(string feature) => ScopeOf[feature];

    public static IReadOnlyList<string> ScopesFor(IEnumerable<string> features) =>
        [.. IdentityScopes, .. features.Select(Scope)];

    /// <summary>The requested features whose scope is not among the granted ones.</summary>
    public static IReadOnlyList<string> MissingFrom(IEnumerable<string> features, IEnumerable<string> grantedScopes)
    {
        var granted = grantedScopes.ToHashSet(StringComparer.Ordinal);
        return [.. features.Where(f => !granted.Contains(Scope(f)))];
    }
}
