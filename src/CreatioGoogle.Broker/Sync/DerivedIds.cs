using System.Security.Cryptography;
using System.Text;

namespace CreatioGoogle.Broker.Sync;

/// <summary>
/// Ids a sync chooses from the other side's id, the same on every run, so a run that died after a create finds the item
/// by its id ("already exists") instead of creating another.
/// </summary>
internal static class DerivedIds
{
    /// <summary>A name-based GUID (SHA-256 of <paramref name="name"/>, version 5 and RFC 4122 variant bits set).</summary>
    public static Guid Guid(string name)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, 16).ToArray();
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x50); // version 5 (name-based)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes);
    }

    /// <summary>Lower-case base32hex (0–9, a–v) of <paramref name="bytes"/>, without padding: the alphabet Calendar event ids allow.</summary>
    public static string Base32Hex(ReadOnlySpan<byte> bytes)
    {
        const string Alphabet = "0123456789abcdefghijklmnopqrstuv";
        var text = new StringBuilder((bytes.Length * 8 + 4) / 5);
        int buffer = 0, bits = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                text.Append(Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            text.Append(Alphabet[(buffer << (5 - bits)) & 31]);
        }

        return text.ToString();
    }
}
