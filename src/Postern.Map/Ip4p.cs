using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Postern.Map;

/// <summary>NATMap's IP4P address: an IPv4 endpoint packed into an IPv6 address,
/// 2001::PORT:A.B:C.D in hexadecimal groups (2001:0:0:0:0:port:aabb:ccdd), so that a single AAAA
/// record can carry the public address and port to clients that know the convention.</summary>
public static class Ip4p
{
    public static IPAddress Encode(IPEndPoint endpoint)
    {
        if (endpoint.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("IP4P packs IPv4 endpoints only", nameof(endpoint));
        }
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        bytes[0] = 0x20;
        bytes[1] = 0x01;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.Slice(10), (ushort)endpoint.Port);
        endpoint.Address.TryWriteBytes(bytes.Slice(12), out _);
        return new IPAddress(bytes);
    }

    /// <summary>The IP4P form of an IPv4 endpoint; for an IPv6 one (no IP4P exists) the address itself.</summary>
    public static string Format(IPEndPoint endpoint) =>
        endpoint.AddressFamily == AddressFamily.InterNetwork ? Encode(endpoint).ToString() : endpoint.Address.ToString();
}
