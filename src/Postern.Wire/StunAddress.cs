using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Runtime.CompilerServices;

namespace Postern.Wire;

/// <summary>One transport address as STUN carries it (RFC 8489 section 14.1): family 4 or 6, a
/// port, and the address inline (an IPv4 address in the first four bytes). A value, so that a
/// parsed message holds its addresses without allocating; <see cref="ToIPEndPoint"/> is for the
/// edge.</summary>
public struct StunAddress : IEquatable<StunAddress>
{
    /// <summary>4 or 6; 0 for "no address".</summary>
    public int Family;
    public ushort Port;
    public Address16 Address;

    [InlineArray(16)]
    public struct Address16
    {
        private byte _element0;
    }

    /// <summary>From 4 or 16 address bytes; an IPv4-mapped IPv6 address becomes IPv4.</summary>
    public static StunAddress Create(ReadOnlySpan<byte> address, ushort port)
    {
        var result = new StunAddress { Port = port };
        if (address.Length == 4)
        {
            result.Family = 4;
            address.CopyTo(result.Address);
        }
        else if (address.Length == 16 && IsIpv4Mapped(address))
        {
            result.Family = 4;
            address.Slice(12).CopyTo(result.Address);
        }
        else if (address.Length == 16)
        {
            result.Family = 6;
            address.CopyTo(result.Address);
        }
        else
        {
            throw new ArgumentException("an address is 4 or 16 bytes", nameof(address));
        }
        return result;
    }

    public static StunAddress FromIPEndPoint(IPEndPoint endpoint)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!endpoint.Address.TryWriteBytes(bytes, out int written))
        {
            throw new ArgumentException("not an IP address", nameof(endpoint));
        }
        return Create(bytes.Slice(0, written), (ushort)endpoint.Port);
    }

    private static bool IsIpv4Mapped(ReadOnlySpan<byte> address) =>
        BinaryPrimitives.ReadUInt64BigEndian(address) == 0 && BinaryPrimitives.ReadUInt32BigEndian(address.Slice(8)) == 0xFFFF;

    public readonly bool IsEmpty => Family == 0;

    /// <summary>The address bytes: 4 for IPv4, 16 for IPv6, none when empty.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<byte> Bytes => ((ReadOnlySpan<byte>)Address).Slice(0, Family switch { 4 => 4, 6 => 16, _ => 0 });

    /// <summary>The whole attribute (header and value) that carries this address: 12 bytes for
    /// IPv4, 24 for IPv6.</summary>
    public readonly int AttributeLength => Family == 6 ? 24 : 12;

    /// <summary>Reads a MAPPED-ADDRESS-form value (RFC 8489 section 14.1); false for a wrong
    /// length or an unknown family.</summary>
    public static bool TryRead(ReadOnlySpan<byte> value, out StunAddress address) => TryRead(value, default, out address);

    /// <summary>Reads an XOR-MAPPED-ADDRESS-form value (RFC 8489 section 14.2): the port XOR'ed
    /// with the cookie's top 16 bits, the address with <paramref name="transaction"/> (bytes 4..19
    /// of the message that carries it: magic cookie and transaction ID).</summary>
    public static bool TryReadXor(ReadOnlySpan<byte> value, ReadOnlySpan<byte> transaction, out StunAddress address)
    {
        if (transaction.Length != StunMessage.TransactionLength)
        {
            address = default;
            return false;
        }
        return TryRead(value, transaction, out address);
    }

    private static bool TryRead(ReadOnlySpan<byte> value, ReadOnlySpan<byte> key, out StunAddress address)
    {
        address = default;
        int length;
        if (value.Length == 8 && value[1] == StunAttribute.FamilyIpv4)
        {
            address.Family = 4;
            length = 4;
        }
        else if (value.Length == 20 && value[1] == StunAttribute.FamilyIpv6)
        {
            address.Family = 6;
            length = 16;
        }
        else
        {
            return false;
        }
        ushort port = BinaryPrimitives.ReadUInt16BigEndian(value.Slice(2));
        address.Port = key.IsEmpty ? port : (ushort)(port ^ (StunMessage.MagicCookie >> 16));
        Span<byte> bytes = address.Address;
        for (int i = 0; i < length; i++)
        {
            bytes[i] = key.IsEmpty ? value[4 + i] : (byte)(value[4 + i] ^ key[i]);
        }
        return true;
    }

    public readonly IPEndPoint ToIPEndPoint() => new(new IPAddress(Bytes), Port);

    public readonly bool Equals(StunAddress other) =>
        Family == other.Family && Port == other.Port && Bytes.SequenceEqual(other.Bytes);

    public override readonly bool Equals(object? obj) => obj is StunAddress other && Equals(other);

    public override readonly int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Family);
        hash.Add(Port);
        hash.AddBytes(Bytes);
        return hash.ToHashCode();
    }

    public static bool operator ==(StunAddress left, StunAddress right) => left.Equals(right);

    public static bool operator !=(StunAddress left, StunAddress right) => !left.Equals(right);

    /// <summary>"203.0.113.7:40060", "[2001:db8::7]:40060", or "none".</summary>
    public override readonly string ToString() => IsEmpty ? "none" : ToIPEndPoint().ToString();
}
