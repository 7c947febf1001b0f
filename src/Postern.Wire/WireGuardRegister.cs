using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math.EC.Rfc7748;

namespace Postern.Wire;

/// <summary>DNS-SD registration of a WireGuard endpoint (docs/punch-protocol.md, "DNS-SD
/// registration"): the register request, signed by whoever holds the WireGuard private key of the
/// key it names, and the unsigned lookup that confirms it; both are Binding requests with
/// comprehension-optional attributes, so a reflector without --dns-sd answers a plain Binding.
///
/// <para>The proof: both sides compute the X25519 shared secret of the registered key and the
/// reflector's key (the peer with its WireGuard private key and the reflector's public key, the
/// reflector with its private key and the registered public key); HKDF-SHA256 makes the MAC key of
/// it, and HMAC-SHA256 under that key covers the transaction, the key and the timestamp. The
/// cryptography is BouncyCastle's, managed: System.Security.Cryptography's HMAC and HKDF go through
/// OpenSSL on Linux, which the reflector must not need, and .NET has no X25519.</para></summary>
public static class WireGuardRegister
{
    public const int KeyLength = StunAttribute.PosternWgKeyLength;
    public const int MacLength = StunAttribute.PosternWgMacLength;

    /// <summary>Both requests are exactly this long (the lookup is padded to it), so that no answer
    /// is longer than its request: no amplification.</summary>
    public const int RequestLength = 112;

    private static ReadOnlySpan<byte> MacLabel => "postern wg register v1\0"u8;
    private static ReadOnlySpan<byte> KeyLabel => "postern wg register key v1\0"u8;

    private const int FingerprintLength = StunAttribute.HeaderLength + 4;

    [InlineArray(KeyLength)]
    public struct Key32
    {
        private byte _element0;
    }

    /// <summary>The register request: POSTERN-WG-KEY, POSTERN-WG-TIME, POSTERN-WG-MAC, FINGERPRINT.
    /// <paramref name="macKey"/> comes from <see cref="DeriveMacKey"/>.</summary>
    public static int WriteRegister(Span<byte> destination, ReadOnlySpan<byte> transactionId, ReadOnlySpan<byte> publicKey,
        long unixMilliseconds, ReadOnlySpan<byte> macKey)
    {
        CheckKey(publicKey, nameof(publicKey));
        Span<byte> transaction = stackalloc byte[StunMessage.TransactionLength];
        Transaction(transactionId, transaction);
        Span<byte> time = stackalloc byte[StunAttribute.PosternWgTimeLength];
        BinaryPrimitives.WriteInt64BigEndian(time, unixMilliseconds);
        Span<byte> mac = stackalloc byte[MacLength];
        ComputeMac(macKey, transaction, publicKey, unixMilliseconds, mac);

        var writer = new StunWriter(destination, StunMessageType.BindingRequest, transaction);
        writer.WriteBytes(StunAttribute.PosternWgKey, publicKey);
        writer.WriteBytes(StunAttribute.PosternWgTime, time);
        writer.WriteBytes(StunAttribute.PosternWgMac, mac);
        writer.WriteFingerprint();
        return writer.Finish();
    }

    /// <summary>The lookup request: POSTERN-WG-KEY, PADDING to <see cref="RequestLength"/>, FINGERPRINT.</summary>
    public static int WriteLookup(Span<byte> destination, ReadOnlySpan<byte> transactionId, ReadOnlySpan<byte> publicKey)
    {
        CheckKey(publicKey, nameof(publicKey));
        Span<byte> transaction = stackalloc byte[StunMessage.TransactionLength];
        Transaction(transactionId, transaction);
        var writer = new StunWriter(destination, StunMessageType.BindingRequest, transaction);
        writer.WriteBytes(StunAttribute.PosternWgKey, publicKey);
        writer.WritePadding(RequestLength - FingerprintLength);
        writer.WriteFingerprint();
        return writer.Finish();
    }

    /// <summary>HMAC-SHA256(<paramref name="macKey"/>, label ‖ bytes 4..19 of the message ‖ key ‖
    /// timestamp, big-endian).</summary>
    public static void ComputeMac(ReadOnlySpan<byte> macKey, ReadOnlySpan<byte> transaction, ReadOnlySpan<byte> publicKey,
        long unixMilliseconds, Span<byte> mac)
    {
        if (transaction.Length != StunMessage.TransactionLength || macKey.Length != MacLength || mac.Length < MacLength)
        {
            throw new ArgumentException("a transaction is 16 bytes, a MAC key and a MAC 32");
        }
        CheckKey(publicKey, nameof(publicKey));
        Span<byte> time = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(time, unixMilliseconds);
        var hmac = new HMac(new Sha256Digest());
        hmac.Init(new KeyParameter(macKey));
        hmac.BlockUpdate(MacLabel);
        hmac.BlockUpdate(transaction);
        hmac.BlockUpdate(publicKey);
        hmac.BlockUpdate(time);
        hmac.DoFinal(mac);
    }

    /// <summary>Whether <paramref name="mac"/> is the MAC of the rest, compared in constant time.</summary>
    public static bool VerifyMac(ReadOnlySpan<byte> macKey, ReadOnlySpan<byte> transaction, ReadOnlySpan<byte> publicKey,
        long unixMilliseconds, ReadOnlySpan<byte> mac)
    {
        Span<byte> expected = stackalloc byte[MacLength];
        ComputeMac(macKey, transaction, publicKey, unixMilliseconds, expected);
        return mac.Length == MacLength && FixedTimeEquals(expected, mac);
    }

    /// <summary>X25519(<paramref name="privateKey"/>, <paramref name="peerPublicKey"/>) (RFC 7748),
    /// then HKDF-SHA256 (RFC 5869, no salt) with the label and both public keys as info, registered
    /// key first: the 32-byte MAC key. False when the shared secret is all zeros (a low-order
    /// public key, which proves nothing).</summary>
    public static bool DeriveMacKey(ReadOnlySpan<byte> privateKey, ReadOnlySpan<byte> peerPublicKey, ReadOnlySpan<byte> registeredKey,
        ReadOnlySpan<byte> reflectorKey, Span<byte> macKey)
    {
        CheckKey(privateKey, nameof(privateKey));
        CheckKey(peerPublicKey, nameof(peerPublicKey));
        CheckKey(registeredKey, nameof(registeredKey));
        CheckKey(reflectorKey, nameof(reflectorKey));
        byte[] shared = new byte[KeyLength];
        if (!X25519.CalculateAgreement(privateKey.ToArray(), 0, peerPublicKey.ToArray(), 0, shared, 0))
        {
            return false;
        }
        byte[] info = new byte[KeyLabel.Length + 2 * KeyLength];
        KeyLabel.CopyTo(info);
        registeredKey.CopyTo(info.AsSpan(KeyLabel.Length));
        reflectorKey.CopyTo(info.AsSpan(KeyLabel.Length + KeyLength));
        var hkdf = new HkdfBytesGenerator(new Sha256Digest());
        hkdf.Init(new HkdfParameters(shared, null, info));
        hkdf.GenerateBytes(macKey.Slice(0, MacLength));
        Array.Clear(shared);
        return true;
    }

    /// <summary>The X25519 public key of a private key (what `wg pubkey` prints).</summary>
    public static byte[] PublicKeyOf(ReadOnlySpan<byte> privateKey)
    {
        CheckKey(privateKey, nameof(privateKey));
        byte[] publicKey = new byte[KeyLength];
        X25519.GeneratePublicKey(privateKey.ToArray(), 0, publicKey, 0);
        return publicKey;
    }

    /// <summary>A key as wg prints it (`wg genkey`, `wg pubkey`): 32 bytes in base64, 44
    /// characters ending in '='. Null when it is not one.</summary>
    public static byte[]? ParseKey(string text)
    {
        Span<byte> bytes = stackalloc byte[33];
        text = text.Trim();
        return text.Length == 44 && text[43] == '=' && Convert.TryFromBase64String(text, bytes, out int written) && written == KeyLength
            ? bytes.Slice(0, KeyLength).ToArray()
            : null;
    }

    /// <summary>The DNS label of a key in wgsd's form: RFC 4648 base32 of the 32 bytes, lower case,
    /// with its padding (56 characters ending in "===="), because DNS names are case-insensitive
    /// and base64 is not.</summary>
    public static string Base32Label(ReadOnlySpan<byte> key)
    {
        CheckKey(key, nameof(key));
        const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var text = new StringBuilder(56);
        int buffer = 0;
        int bits = 0;
        foreach (byte b in key)
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
        while (text.Length % 8 != 0)
        {
            text.Append('=');
        }
        return text.ToString();
    }

    /// <summary>The key of a <see cref="Base32Label"/> (either case); null when the label is not one.</summary>
    public static byte[]? ParseBase32Label(string label)
    {
        if (label.Length != 56 || !label.EndsWith("====", StringComparison.Ordinal))
        {
            return null;
        }
        byte[] key = new byte[KeyLength];
        int buffer = 0;
        int bits = 0;
        int written = 0;
        for (int i = 0; i < 52; i++)
        {
            char c = char.ToLowerInvariant(label[i]);
            int value = c is >= 'a' and <= 'z' ? c - 'a' : c is >= '2' and <= '7' ? c - '2' + 26 : -1;
            if (value < 0)
            {
                return null;
            }
            buffer = (buffer << 5) | value;
            bits += 5;
            if (bits >= 8)
            {
                key[written++] = (byte)(buffer >> (bits - 8));
                bits -= 8;
            }
        }
        // 52 characters carry 260 bits: the last 4 must be zero, or the label is another key's too.
        return (buffer & ((1 << bits) - 1)) == 0 ? key : null;
    }

    private static bool FixedTimeEquals(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        int difference = a.Length ^ b.Length;
        for (int i = 0; i < a.Length && i < b.Length; i++)
        {
            difference |= a[i] ^ b[i];
        }
        return difference == 0;
    }

    private static void Transaction(ReadOnlySpan<byte> transactionId, Span<byte> transaction)
    {
        if (transactionId.Length != StunMessage.TransactionLength - 4)
        {
            throw new ArgumentException("a transaction ID is 12 bytes", nameof(transactionId));
        }
        BinaryPrimitives.WriteUInt32BigEndian(transaction, StunMessage.MagicCookie);
        transactionId.CopyTo(transaction.Slice(4));
    }

    private static void CheckKey(ReadOnlySpan<byte> key, string name)
    {
        if (key.Length != KeyLength)
        {
            throw new ArgumentException("a WireGuard key is 32 bytes", name);
        }
    }
}
