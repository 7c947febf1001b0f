using System.Security.Cryptography;
using System.Text;

namespace Postern.Punch;

/// <summary>The code two people exchange to pair (docs/punch-protocol.md): 16 Crockford base32
/// characters, 80 random bits, printed in four groups of four, and what is derived from it.</summary>
public static class PairingCode
{
    public const int Characters = 16;
    public const int Bits = Characters * 5;
    public const int TokenLength = 16;
    public const int KeyLength = 32;

    // Crockford's base32: no I, L, O or U, so that a code read aloud or copied by hand survives.
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    private static ReadOnlySpan<byte> TokenLabel => "postern-punch token v1\0"u8;
    private static ReadOnlySpan<byte> KeyLabel => "postern-punch probe key v1\0"u8;
    private static ReadOnlySpan<byte> SealLabel => "postern-punch sealed message key v1"u8;

    /// <summary>A fresh code from the kernel's random source, normalised (no hyphens).</summary>
    public static string Generate()
    {
        Span<byte> random = stackalloc byte[Characters];
        RandomNumberGenerator.Fill(random);
        Span<char> code = stackalloc char[Characters];
        for (int i = 0; i < Characters; i++)
        {
            code[i] = Alphabet[random[i] & 31];
        }
        return new string(code);
    }

    /// <summary>"K3F97QXA2MRTP8DW" as "K3F9-7QXA-2MRT-P8DW", for reading aloud.</summary>
    public static string Format(string normalized)
    {
        var text = new StringBuilder(Characters + 3);
        for (int i = 0; i < normalized.Length; i++)
        {
            if (i > 0 && i % 4 == 0)
            {
                text.Append('-');
            }
            text.Append(normalized[i]);
        }
        return text.ToString();
    }

    /// <summary>Reads a code as a person typed it: case, hyphens and spaces do not matter, I and L
    /// read as 1 and O as 0. Null and one sentence when it is no code.</summary>
    public static string? Normalize(string text, out string? problem)
    {
        var code = new StringBuilder(Characters);
        foreach (char raw in text)
        {
            if (raw is '-' or ' ' or '\t')
            {
                continue;
            }
            char c = char.ToUpperInvariant(raw);
            c = c switch
            {
                'I' or 'L' => '1',
                'O' => '0',
                _ => c,
            };
            if (Alphabet.IndexOf(c, StringComparison.Ordinal) < 0)
            {
                problem = $"--code: '{raw}' is not a character of a pairing code (0-9 and A-Z without U)";
                return null;
            }
            code.Append(c);
        }
        if (code.Length != Characters)
        {
            problem = $"--code: a pairing code has {Characters} characters, this one {code.Length} (such as K3F9-7QXA-2MRT-P8DW)";
            return null;
        }
        problem = null;
        return code.ToString();
    }

    /// <summary>What the reflector pairs on: SHA-256 of a label and the code, first 16 bytes.</summary>
    public static byte[] Token(string normalized) => Derive(TokenLabel, normalized).AsSpan(0, TokenLength).ToArray();

    /// <summary>The probes' HMAC-SHA256 key, which only the two peers know.</summary>
    public static byte[] ProbeKey(string normalized) => Derive(KeyLabel, normalized);

    /// <summary>The AES-256-GCM key of sealed messages (the mosh key): HKDF-SHA256 (RFC 5869) of
    /// the code, no salt, its own label as the info. A key of its own, not the probe key: the
    /// probes' HMAC and the cipher never share a key.</summary>
    public static byte[] SealKey(string normalized)
    {
        byte[] key = new byte[KeyLength];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.ASCII.GetBytes(normalized), key, ReadOnlySpan<byte>.Empty, SealLabel);
        return key;
    }

    private static byte[] Derive(ReadOnlySpan<byte> label, string normalized)
    {
        byte[] input = new byte[label.Length + normalized.Length];
        label.CopyTo(input);
        Encoding.ASCII.GetBytes(normalized, input.AsSpan(label.Length));
        return SHA256.HashData(input);
    }
}
