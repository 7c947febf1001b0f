using System.Buffers.Binary;
using System.Net;

namespace Postern.DnsGuard;

/// <summary>An IPv4 or IPv6 address as a value (IPv4 as ::ffff:a.b.c.d), to key tables without
/// allocating.</summary>
public readonly record struct AddressKey(ulong High, ulong Low)
{
    public static AddressKey From(ReadOnlySpan<byte> address) => address.Length == 4
        ? new AddressKey(0, 0xFFFF_0000_0000UL | BinaryPrimitives.ReadUInt32BigEndian(address))
        : new AddressKey(BinaryPrimitives.ReadUInt64BigEndian(address), BinaryPrimitives.ReadUInt64BigEndian(address.Slice(8)));

    public bool IsIpv4 => High == 0 && (Low >> 32) == 0xFFFF;

    public IPAddress ToAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, High);
        BinaryPrimitives.WriteUInt64BigEndian(bytes.Slice(8), Low);
        return IsIpv4 ? new IPAddress(bytes.Slice(12)) : new IPAddress(bytes);
    }

    public ulong Hash() => (High * 0x9E3779B97F4A7C15UL) ^ (Low * 0xC2B2AE3D27D4EB4FUL);

    public override string ToString() => ToAddress().ToString();
}
