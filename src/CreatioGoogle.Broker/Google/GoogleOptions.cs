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

    /// <summary>OpenID Connect userinfo: where the account's e-mail comes from when the ID token lacks it.</summary>
    [Required] public Uri UserInfoEndpoint { get; set; } = new("https://openidconnect.googleapis.com/v1/userinfo");

    /// <summary>
    /// How a revocation authenticates the client. Google needs none; an RFC 7009 server requires the client's
    /// credentials (<c>ClientSecretBasic</c>, the method RFC 6749 makes every server support, or <c>ClientSecretPost</c>).
    /// </summary>
    public RevocationClientAuthentication RevocationClientAuthentication { get; set; } = RevocationClientAuthentication.None;

    /// <summary>ID-token issuers accepted; Google uses both forms.</summary>
    public List<string> Issuers { get; set; } = [];

    public IReadOnlyList<string> EffectiveIssuers =>
        Issuers.Count > 0 ? Issuers : ["https://accounts.google.com", "accounts.google.com"];
}

public enum RevocationClientAuthentication
{
    /// <summary>Only the token is sent (Google).</summary>
    None,

    /// <summary>HTTP Basic with the form-encoded client id and secret (RFC 6749 §2.3.1).</summary>
    ClientSecretBasic,

    /// <summary><c>client_id</c> and <c>client_secret</c> in the form body.</summary>
    ClientSecretPost,
}
