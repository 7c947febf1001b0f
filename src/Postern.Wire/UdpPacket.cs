using System.Buffers.Binary;

namespace Postern.Wire;

/// <summary>Where the parts of one IPv4 or IPv6 UDP datagram lie in a packet buffer. Addresses stay
/// offsets into the buffer; nothing is copied.</summary>
public readonly struct UdpPacket
{
    public const int Ipv4HeaderLength = 20;
    public const int Ipv6HeaderLength = 40;
    public const int UdpHeaderLength = 8;

    public int IpVersion { get; init; }
    public int SourceAddressOffset { get; init; }
    public int DestinationAddressOffset { get; init; }
    public int AddressLength => IpVersion == 4 ? 4 : 16;
    public int UdpOffset { get; init; }
    public ushort SourcePort { get; init; }
    public ushort DestinationPort { get; init; }
    public int PayloadOffset { get; init; }
    public int PayloadLength { get; init; }

    public ReadOnlySpan<byte> SourceAddress(ReadOnlySpan<byte> packet) => packet.Slice(SourceAddressOffset, AddressLength);

    public ReadOnlySpan<byte> DestinationAddress(ReadOnlySpan<byte> packet) => packet.Slice(DestinationAddressOffset, AddressLength);

    public ReadOnlySpan<byte> Payload(ReadOnlySpan<byte> packet) => packet.Slice(PayloadOffset, PayloadLength);

    /// <summary>Whether the UDP checksum is right (RFC 768; RFC 8200 section 8.1 for IPv6), as the
    /// kernel's UDP layer would find it: a datagram whose checksum is wrong is dropped there, so it
    /// never reaches the server. An IPv4 checksum of 0 means none was computed; in IPv6 0 is not
    /// allowed (Linux drops such datagrams too). NFQUEUE hands over packets whose checksum the
    /// kernel has completed (skb_checksum_help when the queue is not bound with NFQA_CFG_F_GSO).</summary>
    public bool HasValidChecksum(ReadOnlySpan<byte> packet)
    {
        ReadOnlySpan<byte> segment = packet.Slice(UdpOffset, UdpHeaderLength + PayloadLength);
        if (BinaryPrimitives.ReadUInt16BigEndian(segment.Slice(6)) == 0)
        {
            return IpVersion == 4;
        }
        ulong sum = InternetChecksum.Add(0, SourceAddress(packet));
        sum = InternetChecksum.Add(sum, DestinationAddress(packet));
        sum += InternetChecksum.ProtocolUdp;
        sum += (uint)segment.Length;
        sum = InternetChecksum.Add(sum, segment);
        return InternetChecksum.Finish(sum) == 0;
    }

    /// <summary>Reads the IP and UDP headers of a whole, unfragmented datagram. IPv6 extension
    /// headers are not walked: a packet that has any is reported as not UDP, and passed.</summary>
    public static UdpPacketError TryRead(ReadOnlySpan<byte> packet, out UdpPacket udp)
    {
        udp = default;
        if (packet.Length < 1)
        {
            return UdpPacketError.Truncated;
        }

        int version = packet[0] >> 4;
        int udpOffset;
        int ipEnd;
        if (version == 4)
        {
            // RFC 791 section 3.1
            if (packet.Length < Ipv4HeaderLength)
            {
                return UdpPacketError.Truncated;
            }
            int headerLength = (packet[0] & 0x0F) * 4;
            int totalLength = BinaryPrimitives.ReadUInt16BigEndian(packet.Slice(2));
            if (headerLength < Ipv4HeaderLength || totalLength < headerLength)
            {
                return UdpPacketError.BadHeader;
            }
            if (totalLength > packet.Length)
            {
                return UdpPacketError.Truncated;
            }
            ushort fragment = BinaryPrimitives.ReadUInt16BigEndian(packet.Slice(6));
            if ((fragment & 0x3FFF) != 0)
            {
                // More-fragments set or a non-zero offset: only the first fragment has the UDP
                // header and none has the whole message.
                return UdpPacketError.Fragment;
            }
            if (packet[9] != InternetChecksum.ProtocolUdp)
            {
                return UdpPacketError.NotUdp;
            }
            udpOffset = headerLength;
            ipEnd = totalLength;
            udp = new UdpPacket { IpVersion = 4, SourceAddressOffset = 12, DestinationAddressOffset = 16 };
        }
        else if (version == 6)
        {
            // RFC 8200 section 3
            if (packet.Length < Ipv6HeaderLength)
            {
                return UdpPacketError.Truncated;
            }
            int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(packet.Slice(4));
            if (Ipv6HeaderLength + payloadLength > packet.Length)
            {
                return UdpPacketError.Truncated;
            }
            byte nextHeader = packet[6];
            if (nextHeader == 44)
            {
                return UdpPacketError.Fragment;
            }
            if (nextHeader != InternetChecksum.ProtocolUdp)
            {
                return UdpPacketError.NotUdp;
            }
            udpOffset = Ipv6HeaderLength;
            ipEnd = Ipv6HeaderLength + payloadLength;
            udp = new UdpPacket { IpVersion = 6, SourceAddressOffset = 8, DestinationAddressOffset = 24 };
        }
        else
        {
            return UdpPacketError.NotIp;
        }

        // RFC 768
        if (ipEnd - udpOffset < UdpHeaderLength)
        {
            return UdpPacketError.Truncated;
        }
        ReadOnlySpan<byte> header = packet.Slice(udpOffset, UdpHeaderLength);
        int udpLength = BinaryPrimitives.ReadUInt16BigEndian(header.Slice(4));
        if (udpLength < UdpHeaderLength || udpOffset + udpLength > ipEnd)
        {
            return UdpPacketError.BadHeader;
        }

        udp = udp with
        {
            UdpOffset = udpOffset,
            SourcePort = BinaryPrimitives.ReadUInt16BigEndian(header),
            DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(header.Slice(2)),
            PayloadOffset = udpOffset + UdpHeaderLength,
            PayloadLength = udpLength - UdpHeaderLength,
        };
        return UdpPacketError.None;
    }
}
