using System.Buffers.Binary;

namespace Postern.Wire;

/// <summary>Writes whole IPv4 or IPv6 UDP datagrams for raw sockets that take the IP header from
/// the caller (IP_HDRINCL, IPV6_HDRINCL).</summary>
public static class UdpPacketWriter
{
    public const byte DefaultHopLimit = 64;

    public static int HeaderLength(int ipVersion) =>
        (ipVersion == 4 ? UdpPacket.Ipv4HeaderLength : UdpPacket.Ipv6HeaderLength) + UdpPacket.UdpHeaderLength;

    /// <summary>Writes the IP and UDP headers in front of a payload that the caller has already
    /// written at <c>destination[HeaderLength(ipVersion)..]</c>, and computes the UDP checksum.
    /// Returns the whole packet's length.</summary>
    public static int WriteHeaders(Span<byte> destination, int ipVersion, ReadOnlySpan<byte> sourceAddress,
        ReadOnlySpan<byte> destinationAddress, ushort sourcePort, ushort destinationPort, int payloadLength)
    {
        int ipHeaderLength = ipVersion == 4 ? UdpPacket.Ipv4HeaderLength : UdpPacket.Ipv6HeaderLength;
        int udpLength = UdpPacket.UdpHeaderLength + payloadLength;
        int total = ipHeaderLength + udpLength;
        if (sourceAddress.Length != destinationAddress.Length || sourceAddress.Length != (ipVersion == 4 ? 4 : 16))
        {
            throw new ArgumentException("Address length does not match the IP version.", nameof(sourceAddress));
        }
        // RFC 791's total length counts the IPv4 header; RFC 8200's payload length leaves it out.
        if (udpLength > ushort.MaxValue || (ipVersion == 4 && total > ushort.MaxValue) || destination.Length < total)
        {
            throw new ArgumentException("Datagram too large for the destination.", nameof(payloadLength));
        }

        Span<byte> ip = destination.Slice(0, ipHeaderLength);
        if (ipVersion == 4)
        {
            // RFC 791 section 3.1: ID 0 and DF; the kernel fills the header checksum of a
            // raw IP_HDRINCL packet, but it is filled here so the packet is whole on its own.
            ip[0] = 0x45;
            ip[1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(2), (ushort)total);
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(4), 0);
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(6), 0x4000);
            ip[8] = DefaultHopLimit;
            ip[9] = InternetChecksum.ProtocolUdp;
            ip[10] = 0;
            ip[11] = 0;
            sourceAddress.CopyTo(ip.Slice(12));
            destinationAddress.CopyTo(ip.Slice(16));
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(10), InternetChecksum.Compute(ip));
        }
        else
        {
            // RFC 8200 section 3
            BinaryPrimitives.WriteUInt32BigEndian(ip, 0x60000000);
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(4), (ushort)udpLength);
            ip[6] = InternetChecksum.ProtocolUdp;
            ip[7] = DefaultHopLimit;
            sourceAddress.CopyTo(ip.Slice(8));
            destinationAddress.CopyTo(ip.Slice(24));
        }

        Span<byte> udp = destination.Slice(ipHeaderLength, udpLength);
        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(4), (ushort)udpLength);
        BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(6), 0);
        BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(6), InternetChecksum.Udp(sourceAddress, destinationAddress, udp));
        return total;
    }
}
