using System.Net;

namespace Postern.Wire;

/// <summary>A 16-byte PCP address (RFC 6887 section 5: IPv4 as the IPv4-mapped IPv6 address),
/// held by value so that a response can be kept without a buffer.</summary>
public readonly record struct Address16(ulong High, ulong Low)
{
    public Address16(ReadOnlySpan<byte> bytes)
        : this(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes), System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes.Slice(8)))
    {
    }

    public static Address16 From(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        (address.IsIPv4MappedToIPv6 || address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? address : address.MapToIPv6())
            .TryWriteBytes(bytes, out _);
        return new Address16(bytes);
    }

    public void WriteTo(Span<byte> destination)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(destination, High);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(8), Low);
    }

    /// <summary>The address, IPv4 when it is IPv4-mapped.</summary>
    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        WriteTo(bytes);
        var address = new IPAddress(bytes);
        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }
}
