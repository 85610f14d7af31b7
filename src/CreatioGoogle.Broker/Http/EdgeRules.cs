using System.Text.RegularExpressions;

namespace CreatioGoogle.Broker.Http;

/// <summary>
/// Limits on what callers send, checked where requests come in so that nothing oversized or unprintable reaches
/// storage (Table Storage refuses keys with '/', '\', '#', '?' or control characters, and strings over 32K).
/// </summary>
public static partial class EdgeRules
{
    /// <summary>Largest JSON body an API takes: a connect request is a few hundred bytes.</summary>
    public const int MaxJsonBodyBytes = 8 * 1024;

    /// <summary>Largest body the local host's Kestrel reads at all (forms of the try page included).</summary>
    public const int MaxRequestBodyBytes = 64 * 1024;

    public const int MaxUrlLength = 2048;
    public const int MaxLoginHintLength = 320;
    public const int MaxFeatures = 10;
    public const int MaxFeatureLength = 32;

    /// <summary>Connection ids are the broker's (32 hex digits); any id of letters, digits, '-' and '_' is looked up.</summary>
    public static bool IsConnectionId(string? id) => id is not null && ConnectionIdPattern().IsMatch(id);

    /// <summary>No control characters (NUL, newlines, ...).</summary>
    public static bool IsPrintable(string value) => !value.Any(char.IsControl);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex ConnectionIdPattern();
}
