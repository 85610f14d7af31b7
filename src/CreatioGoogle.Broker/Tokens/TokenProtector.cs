using System.Security.Cryptography;
using System.Text;
using CreatioGoogle.Broker.Secrets;

namespace CreatioGoogle.Broker.Tokens;

/// <summary>A token encrypted at rest, with the version of the key that encrypted it.</summary>
public sealed record ProtectedValue(string Ciphertext, string KeyVersion);

/// <summary>
/// AES-256-GCM encryption of refresh and access tokens. The key is the secret <c>token-encryption-key</c>
/// (32 random bytes, base64); its version is stored with each ciphertext so a rotated key leaves old rows
/// readable until the renewal timer re-encrypts them. The associated data binds a ciphertext to its row and
/// column, so a value copied into another row does not decrypt.
/// </summary>
public sealed class TokenProtector(ISecretStore secrets)
{
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public async Task<ProtectedValue> ProtectAsync(string plaintext, string associatedData, CancellationToken cancellationToken)
    {
        var key = await secrets.GetSecretAsync(SecretNames.TokenEncryptionKey, cancellationToken);
        var plainBytes = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[NonceSize + plainBytes.Length + TagSize];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(KeyBytes(key), TagSize))
        {
            aes.Encrypt(nonce, plainBytes, output.AsSpan(NonceSize, plainBytes.Length),
                output.AsSpan(NonceSize + plainBytes.Length), Encoding.UTF8.GetBytes(associatedData));
        }

        CryptographicOperations.ZeroMemory(plainBytes);
        return new ProtectedValue(Convert.ToBase64String(output), key.Version);
    }

    public async Task<string> UnprotectAsync(ProtectedValue value, string associatedData, CancellationToken cancellationToken)
    {
        var key = await secrets.GetSecretVersionAsync(SecretNames.TokenEncryptionKey, value.KeyVersion, cancellationToken);
        var input = Convert.FromBase64String(value.Ciphertext);
        if (input.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("Stored token ciphertext is truncated.");
        }

        var plainLength = input.Length - NonceSize - TagSize;
        var plain = new byte[plainLength];
        using (var aes = new AesGcm(KeyBytes(key), TagSize))
        {
            aes.Decrypt(input.AsSpan(0, NonceSize), input.AsSpan(NonceSize, plainLength),
                input.AsSpan(NonceSize + plainLength), plain, Encoding.UTF8.GetBytes(associatedData));
        }

        return Encoding.UTF8.GetString(plain);
    }

    /// <summary>The version new writes use; rows under another version are due for re-encryption.</summary>
    public async Task<string> CurrentKeyVersionAsync(CancellationToken cancellationToken) =>
        (await secrets.GetSecretAsync(SecretNames.TokenEncryptionKey, cancellationToken)).Version;

    private static byte[] KeyBytes(Secret key)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(key.Value.Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException(
                $"Secret '{SecretNames.TokenEncryptionKey}' (version {key.Version}) is not base64. Make one with: openssl rand -base64 32");
        }

        return bytes.Length == 32
            ? bytes
            : throw new InvalidOperationException(
                $"Secret '{SecretNames.TokenEncryptionKey}' (version {key.Version}) must be 32 bytes (AES-256); it is {bytes.Length}.");
    }
}
