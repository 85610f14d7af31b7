namespace CreatioGoogle.Broker.Google;

/// <summary>What Creatio can ask a user to connect, and the Google scope each one needs.</summary>
public static class Features
{
    public const string Mail = "mail";
    public const string Contacts = "contacts";
    public const string Calendar = "calendar";

    /// <summary>Always requested: they identify the Google account (ID token <c>sub</c> and e-mail).</summary>
    public static readonly IReadOnlyList<string> IdentityScopes = ["openid", "email", "profile"];

    /// <summary>The scope a connect request asks for: the narrowest one that does the feature's job.</summary>
    private static readonly Dictionary<string, string> ScopeOf = new(StringComparer.Ordinal)
    {
        // Creatio's Gmail mailbox uses IMAP/SMTP with OAuth, which needs full mail access.
        [Mail] = "https://mail.google.com/",
        [Contacts] = "https://www.googleapis.com/auth/contacts",
        // calendar.v3.json: calendar.events covers events.list/get/insert/patch/update/delete/instances/watch and
        // channels.stop, everything the sync calls (it reads the calendar's zone from events.list, never calendarList or
        // calendars.get, which this scope does not cover).
        [Calendar] = "https://www.googleapis.com/auth/calendar.events",
    };

    /// <summary>
    /// Broader scopes that also cover a feature: a connection made when the feature asked for one of them (calendar asked
    /// for <c>…/auth/calendar</c> before) keeps working without a reconnect.
    /// </summary>
    private static readonly Dictionary<string, string[]> AlsoCoveredBy = new(StringComparer.Ordinal)
    {
        [Calendar] = ["https://www.googleapis.com/auth/calendar"],
    };

    public static IReadOnlyCollection<string> All => ScopeOf.Keys;

    public static bool IsKnown(string feature) => ScopeOf.ContainsKey(feature);

    public static string Scope(string feature) => ScopeOf[feature];

    public static IReadOnlyList<string> ScopesFor(IEnumerable<string> features) =>
        [.. IdentityScopes, .. features.Select(Scope)];

    /// <summary>True when any scope that covers the feature was granted (its own, or a broader one it asked for before).</summary>
    public static bool IsGranted(string feature, IReadOnlySet<string> grantedScopes)
    {
        ArgumentNullException.ThrowIfNull(grantedScopes);
        return grantedScopes.Contains(Scope(feature)) || (AlsoCoveredBy.TryGetValue(feature, out var broader) && broader.Any(grantedScopes.Contains));
    }

    /// <summary>The requested features that no granted scope covers.</summary>
    public static IReadOnlyList<string> MissingFrom(IEnumerable<string> features, IEnumerable<string> grantedScopes)
    {
        var granted = grantedScopes.ToHashSet(StringComparer.Ordinal);
        return [.. features.Where(f => !IsGranted(f, granted))];
    }
}
