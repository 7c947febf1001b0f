using System.Buffers.Binary;

namespace Postern.Wire;

/// <summary>The server's side of RFC 1928 and RFC 1929: the greeting read and the method chosen,
/// the user name and password read and the status written, the request read and the reply
/// written, and a relayed datagram's header read with a domain name kept in place.</summary>
public static partial class Socks5
{
    /// <summary>RFC 1929 section 2: the subnegotiation's version.</summary>
    public const byte UsernamePasswordVersion = 0x01;

    // Section 6: the failure codes a server sends.
    public const byte ReplyGeneralFailure = 0x01;
    public const byte ReplyNotAllowed = 0x02;
    public const byte ReplyNetworkUnreachable = 0x03;
    public const byte ReplyHostUnreachable = 0x04;
    public const byte ReplyConnectionRefused = 0x05;
    public const byte ReplyTtlExpired = 0x06;
    public const byte ReplyCommandNotSupported = 0x07;
    public const byte ReplyAddressTypeNotSupported = 0x08;

    /// <summary>The longest request: VER, CMD, RSV and the longest address field.</summary>
    public const int MaxRequestLength = 3 + MaxAddressLength;

    /// <summary>Section 3: the greeting's length once its first two bytes are known (2 plus
    /// NMETHODS), or 0 when the version is not 5 or no method is offered.</summary>
    public static int GreetingLength(ReadOnlySpan<byte> head)
    {
        if (head.Length < 2 || head[0] != Version || head[1] == 0)
        {
            return 0;
        }
        return 2 + head[1];
    }

    /// <summary>Section 3: whether the complete greeting offers <paramref name="method"/>.</summary>
    public static bool Offers(ReadOnlySpan<byte> greeting, byte method)
    {
        int length = GreetingLength(greeting);
        return length != 0 && greeting.Length >= length && greeting.Slice(2, length - 2).IndexOf(method) >= 0;
    }

    /// <summary>Section 3: VER and METHOD (0xFF: none acceptable).</summary>
    public static int WriteMethodSelection(Span<byte> destination, byte method)
    {
        if (destination.Length < 2)
        {
            return 0;
        }
        destination[0] = Version;
        destination[1] = method;
        return 2;
    }

    /// <summary>RFC 1929 section 2: how long the request is, as far as <paramref name="head"/>
    /// tells: 0 when the version is wrong or a length is 0, otherwise the full length if
    /// <paramref name="head"/> reaches PLEN, else a lower bound that asks for the bytes up to it.</summary>
    public static int UsernamePasswordLength(ReadOnlySpan<byte> head)
    {
        if (head.Length < 2)
        {
            return 2;
        }
        if (head[0] != UsernamePasswordVersion || head[1] == 0)
        {
            return 0;
        }
        int plenAt = 2 + head[1];
        if (head.Length <= plenAt)
        {
            return plenAt + 1;
        }
        return head[plenAt] == 0 ? 0 : plenAt + 1 + head[plenAt];
    }

    /// <summary>RFC 1929 section 2: the user name and password of a complete request.</summary>
    public static bool TryReadUsernamePassword(ReadOnlySpan<byte> message, out ReadOnlySpan<byte> user, out ReadOnlySpan<byte> password)
    {
        user = default;
        password = default;
        int length = UsernamePasswordLength(message);
        if (length == 0 || length > message.Length || length != message.Length)
        {
            return false;
        }
        user = message.Slice(2, message[1]);
        password = message.Slice(3 + message[1], message[2 + message[1]]);
        return true;
    }

    /// <summary>RFC 1929 section 2: VER and STATUS (0 success; anything else and the server closes).</summary>
    public static int WriteUsernamePasswordStatus(Span<byte> destination, bool success)
    {
        if (destination.Length < 2)
        {
            return 0;
        }
        destination[0] = UsernamePasswordVersion;
        destination[1] = success ? (byte)0 : (byte)1;
        return 2;
    }

    /// <summary>Section 4: the request's length once its first five bytes are known; 0 when the
    /// version or RSV is wrong, or the address type is unknown (which section 6 answers with 0x08:
    /// tell the two apart with <see cref="TryReadRequest"/>).</summary>
    public static int RequestLength(ReadOnlySpan<byte> head)
    {
        if (head.Length < 5 || head[0] != Version || head[2] != 0)
        {
            return 0;
        }
        return head[3] switch
        {
            AddressIpv4 => 3 + 1 + 4 + 2,
            AddressIpv6 => 3 + 1 + 16 + 2,
            AddressDomain => 3 + 1 + 1 + head[4] + 2,
            _ => 0,
        };
    }

    /// <summary>Section 4: CMD and the destination. Offsets in <paramref name="target"/> are into
    /// <paramref name="message"/>.</summary>
    public static Socks5ReadStatus TryReadRequest(ReadOnlySpan<byte> message, out byte command, out Socks5Target target)
    {
        command = 0;
        target = default;
        if (message.Length < 4)
        {
            return Socks5ReadStatus.Truncated;
        }
        if (message[0] != Version || message[2] != 0)
        {
            return Socks5ReadStatus.Malformed;
        }
        command = message[1];
        Socks5ReadStatus status = ReadTarget(message.Slice(3), out Socks5Target field);
        if (status != Socks5ReadStatus.Ok)
        {
            return status;
        }
        if (3 + field.FieldLength != message.Length)
        {
            return Socks5ReadStatus.Malformed;
        }
        target = field with { AddressOffset = field.AddressOffset + 3 };
        return Socks5ReadStatus.Ok;
    }

    /// <summary>Section 6: VER, REP, RSV and the bound address (4 or 16 bytes; 0.0.0.0 when
    /// <paramref name="address"/> is empty) and port.</summary>
    public static int WriteReply(Span<byte> destination, byte reply, ReadOnlySpan<byte> address, ushort port)
    {
        ReadOnlySpan<byte> any = stackalloc byte[4];
        return WriteRequest(destination, reply, address.IsEmpty ? any : address, port);
    }

    /// <summary>Section 5: ATYP, the address or the name (length-prefixed, 1-255 bytes), the port.</summary>
    public static Socks5ReadStatus ReadTarget(ReadOnlySpan<byte> field, out Socks5Target target)
    {
        target = default;
        if (field.IsEmpty)
        {
            return Socks5ReadStatus.Truncated;
        }
        byte type = field[0];
        int start;
        int length;
        switch (type)
        {
            case AddressIpv4:
                start = 1;
                length = 4;
                break;
            case AddressIpv6:
                start = 1;
                length = 16;
                break;
            case AddressDomain:
                if (field.Length < 2)
                {
                    return Socks5ReadStatus.Truncated;
                }
                start = 2;
                length = field[1];
                if (length == 0)
                {
                    return Socks5ReadStatus.EmptyName;
                }
                break;
            default:
                return Socks5ReadStatus.AddressType;
        }
        if (field.Length < start + length + 2)
        {
            return Socks5ReadStatus.Truncated;
        }
        ushort port = BinaryPrimitives.ReadUInt16BigEndian(field.Slice(start + length));
        target = new Socks5Target(type, start, length, port, start + length + 2);
        return Socks5ReadStatus.Ok;
    }

    /// <summary>Section 7: RSV (two zero bytes), FRAG, the destination, then the payload at
    /// <paramref name="payloadOffset"/>. Unlike <see cref="TryReadUdpHeader"/> this keeps a domain
    /// name (offsets into <paramref name="datagram"/>) and says why a header is refused.</summary>
    public static Socks5ReadStatus ReadUdpHeader(ReadOnlySpan<byte> datagram, out Socks5Target target, out int payloadOffset)
    {
        target = default;
        payloadOffset = 0;
        if (datagram.Length < 4)
        {
            return Socks5ReadStatus.Truncated;
        }
        if (datagram[0] != 0 || datagram[1] != 0)
        {
            return Socks5ReadStatus.Malformed;
        }
        if (datagram[2] != 0)
        {
            return Socks5ReadStatus.Fragment;
        }
        Socks5ReadStatus status = ReadTarget(datagram.Slice(3), out Socks5Target field);
        if (status != Socks5ReadStatus.Ok)
        {
            return status;
        }
        target = field with { AddressOffset = field.AddressOffset + 3 };
        payloadOffset = 3 + field.FieldLength;
        return Socks5ReadStatus.Ok;
    }

    /// <summary>The UDP header's length for an address of <paramref name="addressLength"/> bytes
    /// (4 or 16): what a reply to the client needs in front of the payload.</summary>
    public static int UdpHeaderLength(int addressLength) => 3 + 1 + addressLength + 2;

    /// <summary>The longest header the server writes (an IPv6 source).</summary>
    public const int MaxUdpHeaderLength = 3 + 1 + 16 + 2;
}
