using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace CreatioGoogle.Sandbox.Google;

/// <summary>Opaque random values. Prefixes are deliberately not Google's ("ya29.", "1//") so leak scanners never fire on test data.</summary>
internal static class SecureTokens
{
    public const string AccessTokenPrefix = "sbx-at-";
    public const string RefreshTokenPrefix = "sbx-rt-";

    // Real codes look like "4/0A..."; keeping the slash makes callers prove they URL-decode the code.
    public const string CodePrefix = "4/0sbx-";

    public static string New(string prefix, int bytes = 32) => prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(bytes));

    public static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    /// <summary>RFC 7636 S256: BASE64URL(SHA256(ASCII(verifier))).</summary>
    public static string S256(string verifier) => Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
}
