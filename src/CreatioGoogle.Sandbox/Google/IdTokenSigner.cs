using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace CreatioGoogle.Sandbox.Google;

/// <summary>Signs OIDC ID tokens with an RSA key made at start (RS256, by hand) and publishes it as a JWKS.</summary>
internal sealed class IdTokenSigner : IDisposable
{
    // Google's ID tokens live one hour regardless of the access token lifetime.
    public static readonly TimeSpan IdTokenLifetime = TimeSpan.FromHours(1);

    private readonly RSA _rsa = RSA.Create(2048);
    private readonly string _kid = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
    private readonly string _issuer;
    private readonly TimeProvider _clock;
    private readonly bool _omitEmail;

    public IdTokenSigner(string issuer, TimeProvider clock, bool omitEmail = false)
    {
        _issuer = issuer;
        _clock = clock;
        _omitEmail = omitEmail;
    }

    public string JwksJson()
    {
        var p = _rsa.ExportParameters(includePrivateParameters: false);
        var key = new JsonObject
        {
            ["kty"] = "RSA",
            ["alg"] = "RS256",
            ["use"] = "sig",
            ["kid"] = _kid,
            ["n"] = Base64Url.EncodeToString(p.Modulus),
            ["e"] = Base64Url.EncodeToString(p.Exponent),
        };
        return new JsonObject { ["keys"] = new JsonArray(key) }.ToJsonString();
    }

    /// <summary>Claims follow Google: email only with the email scope (and not at all when told to omit it), name only with profile.</summary>
    public string CreateIdToken(TokenIssue issue)
    {
        var iat = _clock.GetUtcNow().ToUnixTimeSeconds();
        var account = issue.Account;
        var payload = new JsonObject
        {
            ["iss"] = _issuer,
            ["azp"] = issue.ClientId,
            ["aud"] = issue.ClientId,
            ["sub"] = account.Sub,
        };
        if (issue.Scopes.Contains(GoogleScopes.UserInfoEmail) && !_omitEmail)
        {
            payload["email"] = account.Email;
            payload["email_verified"] = true;
        }

        payload["at_hash"] = AtHash(issue.AccessToken);
        if (issue.Nonce is not null)
        {
            payload["nonce"] = issue.Nonce;
        }

        if (issue.Scopes.Contains(GoogleScopes.UserInfoProfile))
        {
            payload["name"] = account.Name;
            var parts = account.Name.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length > 0)
            {
                payload["given_name"] = parts[0];
            }

            if (parts.Length > 1)
            {
                payload["family_name"] = parts[1];
            }
        }

        payload["iat"] = iat;
        payload["exp"] = iat + (long)IdTokenLifetime.TotalSeconds;
        return Sign(payload);
    }

    public string Sign(JsonObject payload)
    {
        var header = new JsonObject { ["alg"] = "RS256", ["kid"] = _kid, ["typ"] = "JWT" };
        var signingInput = Encode(header) + "." + Encode(payload);
        var signature = _rsa.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    public void Dispose() => _rsa.Dispose();

    private static string Encode(JsonObject json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json.ToJsonString()));

    // OIDC at_hash: base64url of the left half of SHA-256 of the access token.
    private static string AtHash(string accessToken) =>
        Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)).AsSpan(0, 16));
}
