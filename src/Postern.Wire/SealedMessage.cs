using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Postern.Wire;

/// <summary>A control message between the two peers that must stay secret on the path (the mosh
/// session key): AES-256-GCM under a key both peers derived from the pairing code, a fresh 12-byte
/// nonce per datagram (docs/punch-protocol.md, "Sealed messages"):
/// <code>
///  0  4  magic "PNSL"
///  4  1  version (1)
///  5  1  kind (SealedMessageKind)
///  6 12  nonce
/// 18  n  ciphertext of the body (n = 0..255)
/// 18+n 16 GCM tag over the ciphertext, with bytes 0..17 as associated data
/// </code>
/// The magic tells it from a probe ("PNCH") and from mosh's own datagrams, whose first 8 bytes are
/// a direction bit and a sequence number (a mosh datagram would start with "PNSL" only after 2^62
/// packets). Opening checks length, magic, version and tag before anything is believed; it never
/// throws.</summary>
public static class SealedMessage
{
    public const uint Magic = 0x504E534C; // "PNSL"
    public const byte Version = 1;
    public const int NonceOffset = 6;
    public const int NonceLength = 12;
    public const int HeaderLength = NonceOffset + NonceLength;
    public const int TagLength = 16;
    public const int Overhead = HeaderLength + TagLength;
    public const int MaxBody = 255;
    public const int KeyLength = 32;

    /// <summary>Writes the sealed datagram for <paramref name="body"/> into
    /// <paramref name="destination"/> with a fresh random nonce; returns its length, or 0 when the
    /// body is too long or the destination too small.</summary>
    public static int Seal(AesGcm aes, SealedMessageKind kind, ReadOnlySpan<byte> body, Span<byte> destination)
    {
        int length = Overhead + body.Length;
        if (body.Length > MaxBody || destination.Length < length)
        {
            return 0;
        }
        Span<byte> header = destination.Slice(0, HeaderLength);
        BinaryPrimitives.WriteUInt32BigEndian(header, Magic);
        header[4] = Version;
        header[5] = (byte)kind;
        RandomNumberGenerator.Fill(header.Slice(NonceOffset, NonceLength));
        aes.Encrypt(header.Slice(NonceOffset, NonceLength), body, destination.Slice(HeaderLength, body.Length),
            destination.Slice(HeaderLength + body.Length, TagLength), header);
        return length;
    }

    /// <summary>Opens a sealed datagram into <paramref name="body"/>; false for anything that is not
    /// a well-formed message of this version under the key of <paramref name="aes"/> (wrong key,
    /// truncated, tampered, unknown kind), and then <paramref name="body"/> holds nothing useful.</summary>
    public static bool TryOpen(AesGcm aes, ReadOnlySpan<byte> datagram, Span<byte> body, out SealedMessageKind kind, out int bodyLength)
    {
        kind = 0;
        bodyLength = 0;
        if (!LooksSealed(datagram))
        {
            return false;
        }
        int length = datagram.Length - Overhead;
        if (body.Length < length)
        {
            return false;
        }
        ReadOnlySpan<byte> header = datagram.Slice(0, HeaderLength);
        try
        {
            aes.Decrypt(header.Slice(NonceOffset, NonceLength), datagram.Slice(HeaderLength, length),
                datagram.Slice(HeaderLength + length, TagLength), body.Slice(0, length), header);
        }
        catch (CryptographicException)
        {
            body.Slice(0, length).Clear();
            return false;
        }
        if (datagram[5] is not ((byte)SealedMessageKind.MoshKey or (byte)SealedMessageKind.MoshKeyAck))
        {
            // Authentic but not of this version's making: ignore, never guess.
            return false;
        }
        kind = (SealedMessageKind)datagram[5];
        bodyLength = length;
        return true;
    }

    /// <summary>Magic, version and a length that can hold a header and a tag: the cheap test
    /// that tells a sealed message from a probe or a forwarded program's datagram.</summary>
    public static bool LooksSealed(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= Overhead && datagram.Length <= Overhead + MaxBody &&
        BinaryPrimitives.ReadUInt32BigEndian(datagram) == Magic &&
        datagram[4] == Version;
}
