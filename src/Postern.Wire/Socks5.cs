using System.Buffers.Binary;

namespace Postern.Wire;

/// <summary>SOCKS5 (RFC 1928) messages, client side: the method greeting and its selection, a
/// request (CONNECT, BIND, UDP ASSOCIATE) and its reply, and the header every relayed UDP
/// datagram carries. Addresses are IPv4, IPv6 or a domain name, as in section 5.</summary>
public static partial class Socks5
{
    public const byte Version = 5;

    // Section 3: methods.
    public const byte MethodNoAuthentication = 0x00;
    public const byte MethodUsernamePassword = 0x02; // RFC 1929
    public const byte MethodNoAcceptable = 0xFF;

    // Section 4: commands.
    public const byte CommandConnect = 0x01;
    public const byte CommandBind = 0x02;
    public const byte CommandUdpAssociate = 0x03;

    // Section 5: address types.
    public const byte AddressIpv4 = 0x01;
    public const byte AddressDomain = 0x03;
    public const byte AddressIpv6 = 0x04;

    /// <summary>Section 6: REP 0x00 succeeded; 0x01-0x08 the failures named in <see cref="ReplyText"/>.</summary>
    public const byte ReplySucceeded = 0x00;

    /// <summary>The longest address field: a type byte, a length byte, 255 name bytes, a port.</summary>
    public const int MaxAddressLength = 1 + 1 + 255 + 2;

    /// <summary>Section 3: version, the number of methods, the methods.</summary>
    public static int WriteGreeting(Span<byte> destination, ReadOnlySpan<byte> methods)
    {
        if (methods.IsEmpty || methods.Length > 255 || destination.Length < 2 + methods.Length)
        {
            return 0;
        }
        destination[0] = Version;
        destination[1] = (byte)methods.Length;
        methods.CopyTo(destination.Slice(2));
        return 2 + methods.Length;
    }

    /// <summary>Section 3: the server's choice, two bytes.</summary>
    public static bool TryReadMethodSelection(ReadOnlySpan<byte> message, out byte method)
    {
        method = MethodNoAcceptable;
        if (message.Length != 2 || message[0] != Version)
        {
            return false;
        }
        method = message[1];
        return true;
    }

    /// <summary>RFC 1929 section 2: version 1, the user name and password (1-255 bytes each).</summary>
    public static int WriteUsernamePassword(Span<byte> destination, ReadOnlySpan<byte> user, ReadOnlySpan<byte> password)
    {
        if (user.IsEmpty || user.Length > 255 || password.IsEmpty || password.Length > 255 ||
            destination.Length < 3 + user.Length + password.Length)
        {
            return 0;
        }
        destination[0] = 0x01;
        destination[1] = (byte)user.Length;
        user.CopyTo(destination.Slice(2));
        destination[2 + user.Length] = (byte)password.Length;
        password.CopyTo(destination.Slice(3 + user.Length));
        return 3 + user.Length + password.Length;
    }

    /// <summary>Section 4: version, command, reserved, then the address (4 or 16 bytes) and port.</summary>
    public static int WriteRequest(Span<byte> destination, byte command, ReadOnlySpan<byte> address, ushort port)
    {
        if (destination.Length < 3)
        {
            return 0;
        }
        destination[0] = Version;
        destination[1] = command;
        destination[2] = 0;
        int length = WriteAddress(destination.Slice(3), address, port);
        return length == 0 ? 0 : 3 + length;
    }

    /// <summary>Section 6: how many bytes the reply that starts with <paramref name="head"/> has,
    /// once its first five bytes are known (the address type and, for a name, its length); 0 if
    /// it cannot be a reply.</summary>
    public static int ReplyLength(ReadOnlySpan<byte> head)
    {
        if (head.Length < 5 || head[0] != Version)
        {
            return 0;
        }
        return head[3] switch
        {
            AddressIpv4 => 4 + 4 + 2,
            AddressIpv6 => 4 + 16 + 2,
            AddressDomain => 4 + 1 + head[4] + 2,
            _ => 0,
        };
    }

    /// <summary>Section 6: the reply code and the bound address (BND.ADDR, BND.PORT). A domain
    /// name there leaves <paramref name="address"/> empty.</summary>
    public static bool TryReadReply(ReadOnlySpan<byte> message, out byte reply, Span<byte> address, out int addressLength, out ushort port)
    {
        reply = 0xFF;
        addressLength = 0;
        port = 0;
        int length = ReplyLength(message);
        if (length == 0 || message.Length != length || message[2] != 0)
        {
            return false;
        }
        reply = message[1];
        return TryReadAddress(message.Slice(3), address, out addressLength, out port, out _);
    }

    /// <summary>Section 7: the header of a relayed datagram, RSV (2), FRAG, then the address of
    /// the far end. Returns the header's length (the payload follows it), or 0.</summary>
    public static int WriteUdpHeader(Span<byte> destination, ReadOnlySpan<byte> address, ushort port)
    {
        if (destination.Length < 3)
        {
            return 0;
        }
        destination[0] = 0;
        destination[1] = 0;
        destination[2] = 0; // FRAG: this implementation never fragments.
        int length = WriteAddress(destination.Slice(3), address, port);
        return length == 0 ? 0 : 3 + length;
    }

    /// <summary>Section 7: reads the header of a relayed datagram. A fragment (FRAG != 0), which
    /// section 7 lets an implementation drop, and a domain name in the header are refused.</summary>
    public static bool TryReadUdpHeader(ReadOnlySpan<byte> datagram, Span<byte> address, out int addressLength, out ushort port,
        out int payloadOffset)
    {
        addressLength = 0;
        port = 0;
        payloadOffset = 0;
        if (datagram.Length < 3 + 1 + 4 + 2 || datagram[0] != 0 || datagram[1] != 0 || datagram[2] != 0)
        {
            return false;
        }
        if (!TryReadAddress(datagram.Slice(3), address, out addressLength, out port, out int consumed) || addressLength == 0)
        {
            return false;
        }
        payloadOffset = 3 + consumed;
        return true;
    }

    /// <summary>ATYP, the address (4 or 16 bytes) and the port.</summary>
    public static int WriteAddress(Span<byte> destination, ReadOnlySpan<byte> address, ushort port)
    {
        if (address.Length is not (4 or 16) || destination.Length < 1 + address.Length + 2)
        {
            return 0;
        }
        destination[0] = address.Length == 4 ? AddressIpv4 : AddressIpv6;
        address.CopyTo(destination.Slice(1));
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(1 + address.Length), port);
        return 1 + address.Length + 2;
    }

    /// <summary>ATYP, the address, the port: an IPv4 or IPv6 address is copied to
    /// <paramref name="address"/> (16 bytes of room); a domain name is skipped and reported as
    /// length 0. <paramref name="consumed"/> is the field's length.</summary>
    public static bool TryReadAddress(ReadOnlySpan<byte> field, Span<byte> address, out int addressLength, out ushort port, out int consumed)
    {
        addressLength = 0;
        port = 0;
        consumed = 0;
        Socks5ReadStatus status = ReadTarget(field, out Socks5Target target);
        if (status == Socks5ReadStatus.EmptyName && field.Length >= 4)
        {
            // The server's reader refuses an empty name; here a name is only skipped, empty or not.
            target = new Socks5Target(AddressDomain, 2, 0, BinaryPrimitives.ReadUInt16BigEndian(field.Slice(2)), 4);
        }
        else if (status != Socks5ReadStatus.Ok)
        {
            return false;
        }
        if (!target.IsDomain)
        {
            if (address.Length < target.AddressLength)
            {
                return false;
            }
            field.Slice(target.AddressOffset, target.AddressLength).CopyTo(address);
            addressLength = target.AddressLength;
        }
        port = target.Port;
        consumed = target.FieldLength;
        return true;
    }

    /// <summary>Section 6's words for a reply code.</summary>
    public static string ReplyText(byte reply) => reply switch
    {
        0x00 => "succeeded",
        0x01 => "general SOCKS server failure",
        0x02 => "connection not allowed by ruleset",
        0x03 => "network unreachable",
        0x04 => "host unreachable",
        0x05 => "connection refused",
        0x06 => "TTL expired",
        0x07 => "command not supported",
        0x08 => "address type not supported",
        _ => "unassigned reply code " + reply,
    };
}
