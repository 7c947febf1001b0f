using System.Buffers.Binary;

namespace Postern.Wire;

/// <summary>The STUN message header (RFC 8489 section 5) and the test that tells a STUN message
/// from anything else arriving on the same port.</summary>
public static class StunMessage
{
    public const int HeaderLength = 20;
    public const uint MagicCookie = 0x2112A442;

    /// <summary>Bytes 4..19: the magic cookie and the 96-bit transaction ID (RFC 8489), or the
    /// whole 128-bit transaction ID of an RFC 3489 message. A response echoes them as they are.</summary>
    public const int TransactionOffset = 4;
    public const int TransactionLength = 16;

    /// <summary>RFC 8489 section 5 and RFC 7983 section 7: the two top bits are zero, the length
    /// counts the bytes after the header and is a multiple of four. This is what decides whether
    /// a datagram gets a STUN answer or the legacy text; the magic cookie is not required, so that
    /// RFC 3489 clients are recognised.</summary>
    public static bool IsStunFramed(ReadOnlySpan<byte> message)
    {
        if (message.Length < HeaderLength || (message[0] & 0xC0) != 0)
        {
            return false;
        }
        int length = BinaryPrimitives.ReadUInt16BigEndian(message.Slice(2));
        return (length & 3) == 0 && length == message.Length - HeaderLength;
    }

    public static ushort TypeOf(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadUInt16BigEndian(message);

    public static bool HasMagicCookie(ReadOnlySpan<byte> message) =>
        message.Length >= 8 && BinaryPrimitives.ReadUInt32BigEndian(message.Slice(4)) == MagicCookie;

    /// <summary>Over a stream (RFC 8489 section 6.2.2) messages follow one another with no extra
    /// framing: the header's length says where the next one starts. Returns the whole message's
    /// length, or -1 when <paramref name="header"/> cannot start a STUN message.</summary>
    public static int FramedLength(ReadOnlySpan<byte> header)
    {
        if (header.Length < HeaderLength || (header[0] & 0xC0) != 0)
        {
            return -1;
        }
        int length = BinaryPrimitives.ReadUInt16BigEndian(header.Slice(2));
        return (length & 3) == 0 ? HeaderLength + length : -1;
    }
}
