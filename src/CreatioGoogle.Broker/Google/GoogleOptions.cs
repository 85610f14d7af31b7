using System.ComponentModel.DataAnnotations;

namespace CreatioGoogle.Broker.Google;

/// <summary>
/// Google's endpoints. Defaults are the real service; the local run and the tests point them at the sandbox.
/// The client ID and secret are not here: they are secrets (<c>google-client-id</c>, <c>google-client-secret</c>).
/// </summary>
public sealed class GoogleOptions
{
    public const string Section = "Google";

    [Required] public Uri AuthorizationEndpoint { get; set; } = new("https://accounts.google.com/o/oauth2/v2/auth");
    [Required] public Uri TokenEndpoint { get; set; } = new("https://oauth2.googleapis.com/token");
    [Required] public Uri RevokeEndpoint { get; set; } = new("https://oauth2.googleapis.com/revoke");
    [Required] public Uri CertificatesUrl { get; set; } = new("https://www.googleapis.com/oauth2/v3/certs");

    /// <summary>ID-token issuers accepted; Google uses both forms.</summary>
    public List<string> Issuers { get; set; } = [];

    public IReadOnlyList<string> EffectiveIssuers =>
        Issuers.Count > 0 ? Issuers : ["https://accounts.google.com", "accounts.google.com"];
}
