using System.Collections.Frozen;

namespace CreatioGoogle.Sandbox.Google.People;

/// <summary>Field-mask names People accepts (facts §1.1/§1.2, from the people.connections.list and updateContact references).</summary>
internal static class PersonFields
{
    public static readonly FrozenSet<string> Readable = FrozenSet.ToFrozenSet(
    [
        "addresses", "ageRanges", "biographies", "birthdays", "calendarUrls", "clientData", "coverPhotos", "emailAddresses",
        "events", "externalIds", "genders", "imClients", "interests", "locales", "locations", "memberships", "metadata",
        "miscKeywords", "names", "nicknames", "occupations", "organizations", "phoneNumbers", "photos", "relations",
        "sipAddresses", "skills", "urls", "userDefined",
    ], StringComparer.Ordinal);

    public static readonly FrozenSet<string> Updatable = FrozenSet.ToFrozenSet(
    [
        "addresses", "biographies", "birthdays", "calendarUrls", "clientData", "emailAddresses", "events", "externalIds",
        "genders", "imClients", "interests", "locales", "locations", "memberships", "miscKeywords", "names", "nicknames",
        "occupations", "organizations", "phoneNumbers", "relations", "sipAddresses", "urls", "userDefined",
    ], StringComparer.Ordinal);

    /// <summary>updateContact: "400 if more than one value in a singleton field".</summary>
    public static readonly FrozenSet<string> Singletons = FrozenSet.ToFrozenSet(["biographies", "birthdays", "genders", "names"], StringComparer.Ordinal);

    /// <summary>Parses a comma-separated mask; unknown names and an empty mask are 400 INVALID_ARGUMENT like Google.</summary>
    public static IReadOnlySet<string> ParseMask(string? mask, string parameter, FrozenSet<string> allowed, bool required = true)
    {
        var names = (mask ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0)
        {
            if (required)
            {
                throw GoogleApiError.InvalidArgument($"{parameter} mask is required. Please specify one or more valid paths. Valid paths are documented at https://developers.google.com/people/api/rest/v1/people/get.");
            }

            return FrozenSet<string>.Empty;
        }

        foreach (var n in names)
        {
            if (!allowed.Contains(n))
            {
                throw GoogleApiError.InvalidArgument($"Invalid {parameter} mask path: \"{n}\". Valid paths are documented at https://developers.google.com/people/api/rest/v1/people/get.");
            }
        }

        return names.ToHashSet(StringComparer.Ordinal);
    }
}
