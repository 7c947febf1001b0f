using System.Buffers.Binary;

namespace Postern.Wire.Tests;

public class UdpPacketTests
{
    private static readonly byte[] Loopback4 = [127, 0, 0, 1];
    private static readonly byte[] Loopback6 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

    [Fact]
    public void TryRead_KernelIpv4Packet_FindsPortsAddressesAndPayload()
    {
        Assert.Equal(UdpPacketError.None, UdpPacket.TryRead(KernelPackets.Ipv4, out UdpPacket udp));

        Assert.Equal(4, udp.IpVersion);
        Assert.Equal(4, udp.AddressLength);
        Assert.Equal(Loopback4, udp.SourceAddress(KernelPackets.Ipv4).ToArray());
        Assert.Equal(Loopback4, udp.DestinationAddress(KernelPackets.Ipv4).ToArray());
        Assert.Equal(20, udp.UdpOffset);
        Assert.Equal(KernelPackets.SourcePort, udp.SourcePort);
        Assert.Equal(KernelPackets.DestinationPort, udp.DestinationPort);
        Assert.Equal(28, udp.PayloadOffset);
        Assert.Equal(KernelPackets.Payload.ToArray(), udp.Payload(KernelPackets.Ipv4).ToArray());
    }

    [Fact]
    public void TryRead_KernelIpv6Packet_FindsPortsAddressesAndPayload()
    {
        Assert.Equal(UdpPacketError.None, UdpPacket.TryRead(KernelPackets.Ipv6, out UdpPacket udp));

        Assert.Equal(6, udp.IpVersion);
        Assert.Equal(16, udp.AddressLength);
        Assert.Equal(Loopback6, udp.SourceAddress(KernelPackets.Ipv6).ToArray());
        Assert.Equal(Loopback6, udp.DestinationAddress(KernelPackets.Ipv6).ToArray());
        Assert.Equal(40, udp.UdpOffset);
        Assert.Equal(KernelPackets.SourcePort, udp.SourcePort);
        Assert.Equal(KernelPackets.DestinationPort, udp.DestinationPort);
        Assert.Equal(48, udp.PayloadOffset);
        Assert.Equal(KernelPackets.Payload.ToArray(), udp.Payload(KernelPackets.Ipv6).ToArray());
    }

    [Theory]
    [InlineData(0x2000)] // MF: the first fragment
    [InlineData(0x0001)] // offset 8: a later fragment
    [InlineData(0x20b9)] // MF and an offset: a middle fragment
    [InlineData(0x6001)] // DF does not excuse an offset
    public void TryRead_Ipv4Fragment_IsFragment(int fragmentField)
    {
        byte[] packet = (byte[])KernelPackets.Ipv4.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), (ushort)fragmentField);

        Assert.Equal(UdpPacketError.Fragment, UdpPacket.TryRead(packet, out _));
    }

    [Theory]
    [InlineData(0x0000)]
    [InlineData(0x4000)] // DF
    [InlineData(0x8000)] // the reserved bit
    public void TryRead_Ipv4NotFragmented_IsRead(int fragmentField)
    {
        byte[] packet = (byte[])KernelPackets.Ipv4.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), (ushort)fragmentField);

        Assert.Equal(UdpPacketError.None, UdpPacket.TryRead(packet, out _));
    }

    [Fact]
    public void TryRead_Ipv6FragmentHeader_IsFragment()
    {
        byte[] packet = (byte[])KernelPackets.Ipv6.Clone();
        packet[6] = 44;

        Assert.Equal(UdpPacketError.Fragment, UdpPacket.TryRead(packet, out _));
    }

    [Theory]
    [InlineData(4, 6)]  // TCP
    [InlineData(4, 1)]  // ICMP
    [InlineData(6, 6)]  // TCP
    [InlineData(6, 58)] // ICMPv6
    [InlineData(6, 0)]  // hop-by-hop options: extension headers are not walked
    [InlineData(6, 60)] // destination options
    public void TryRead_OtherProtocol_IsNotUdp(int version, byte protocol)
    {
        byte[] packet = (byte[])(version == 4 ? KernelPackets.Ipv4 : KernelPackets.Ipv6).Clone();
        packet[version == 4 ? 9 : 6] = protocol;

        Assert.Equal(UdpPacketError.NotUdp, UdpPacket.TryRead(packet, out _));
    }

    [Theory]
    [InlineData(0x05)]
    [InlineData(0x00)]
    [InlineData(0xF5)]
    public void TryRead_NotVersion4Or6_IsNotIp(byte firstByte)
    {
        byte[] packet = (byte[])KernelPackets.Ipv4.Clone();
        packet[0] = firstByte;

        Assert.Equal(UdpPacketError.NotIp, UdpPacket.TryRead(packet, out _));
    }

    [Fact]
    public void TryRead_Truncated_IsTruncated()
    {
        Assert.Equal(UdpPacketError.Truncated, UdpPacket.TryRead([], out _));
        for (int length = 1; length < KernelPackets.Ipv4.Length; length++)
        {
            Assert.Equal(UdpPacketError.Truncated, UdpPacket.TryRead(KernelPackets.Ipv4.AsSpan(0, length), out UdpPacket udp));
            Assert.Equal(default, udp);
        }
        for (int length = 1; length < KernelPackets.Ipv6.Length; length++)
        {
            Assert.Equal(UdpPacketError.Truncated, UdpPacket.TryRead(KernelPackets.Ipv6.AsSpan(0, length), out _));
        }
    }

    [Fact]
    public void TryRead_IpPayloadShorterThanUdpHeader_IsTruncated()
    {
        byte[] ipv4 = KernelPackets.Ipv4.AsSpan(0, 24).ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(ipv4.AsSpan(2), 24);
        byte[] ipv6 = KernelPackets.Ipv6.AsSpan(0, 47).ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(ipv6.AsSpan(4), 7);

        Assert.Equal(UdpPacketError.Truncated, UdpPacket.TryRead(ipv4, out _));
        Assert.Equal(UdpPacketError.Truncated, UdpPacket.TryRead(ipv6, out _));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void TryRead_UdpLengthLargerThanIpPayload_IsBadHeader(int version)
    {
        byte[] packet = (byte[])(version == 4 ? KernelPackets.Ipv4 : KernelPackets.Ipv6).Clone();
        int udpOffset = version == 4 ? 20 : 40;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(udpOffset + 4), (ushort)(packet.Length - udpOffset + 1));

        Assert.Equal(UdpPacketError.BadHeader, UdpPacket.TryRead(packet, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void TryRead_UdpLengthShorterThanUdpHeader_IsBadHeader(int udpLength)
    {
        byte[] packet = (byte[])KernelPackets.Ipv4.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(24), (ushort)udpLength);

        Assert.Equal(UdpPacketError.BadHeader, UdpPacket.TryRead(packet, out _));
    }

    [Fact]
    public void TryRead_UdpLengthShorterThanIpPayload_TakesUdpLength()
    {
        // RFC 768 length rules what is payload; what follows inside the IP packet is ignored.
        byte[] packet = (byte[])KernelPackets.Ipv4.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(24), 8 + 7);

        Assert.Equal(UdpPacketError.None, UdpPacket.TryRead(packet, out UdpPacket udp));
        Assert.Equal("postern"u8.ToArray(), udp.Payload(packet).ToArray());
    }

    [Theory]
    [InlineData(0x44)] // IHL 4: shorter than the fixed header
    [InlineData(0x40)]
    public void TryRead_Ipv4HeaderLengthBelowFive_IsBadHeader(byte firstByte)
    {
        byte[] packet = (byte[])KernelPackets.Ipv4.Clone();
        packet[0] = firstByte;

        Assert.Equal(UdpPacketError.BadHeader, UdpPacket.TryRead(packet, out _));
    }

    [Fact]
    public void TryRead_Ipv4TotalLengthBelowHeaderLength_IsBadHeader()
    {
        byte[] packet = (byte[])KernelPackets.Ipv4.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), 19);

        Assert.Equal(UdpPacketError.BadHeader, UdpPacket.TryRead(packet, out _));
    }

    [Fact]
    public void TryRead_Ipv4WithOptions_FindsUdpAfterThem()
    {
        // IHL 6: the kernel's header plus one option word (three NOPs and End of Options List).
        byte[] packet =
        [
            .. KernelPackets.Ipv4.AsSpan(0, 20),
            0x01, 0x01, 0x01, 0x00,
            .. KernelPackets.Ipv4.AsSpan(20),
        ];
        packet[0] = 0x46;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[10] = 0;
        packet[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), InternetChecksum.Compute(packet.AsSpan(0, 24)));

        Assert.Equal(UdpPacketError.None, UdpPacket.TryRead(packet, out UdpPacket udp));

        Assert.Equal(24, udp.UdpOffset);
        Assert.Equal(32, udp.PayloadOffset);
        Assert.Equal(KernelPackets.SourcePort, udp.SourcePort);
        Assert.Equal(KernelPackets.DestinationPort, udp.DestinationPort);
        Assert.Equal(Loopback4, udp.SourceAddress(packet).ToArray());
        Assert.Equal(KernelPackets.Payload.ToArray(), udp.Payload(packet).ToArray());
    }

    [Fact]
    public void TryRead_Ipv4WithMaximalOptions_FindsUdpAtSixty()
    {
        byte[] packet = [.. KernelPackets.Ipv4.AsSpan(0, 20), .. new byte[40], .. KernelPackets.Ipv4.AsSpan(20)];
        packet[0] = 0x4F;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);

        Assert.Equal(UdpPacketError.None, UdpPacket.TryRead(packet, out UdpPacket udp));
        Assert.Equal(60, udp.UdpOffset);
        Assert.Equal(KernelPackets.Payload.ToArray(), udp.Payload(packet).ToArray());
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void TryRead_BytesAfterIpPacket_AreIgnored(int version)
    {
        // Ethernet pads short frames; the IP length, not the buffer, says where the packet ends.
        byte[] original = version == 4 ? KernelPackets.Ipv4 : KernelPackets.Ipv6;
        byte[] packet = [.. original, 0xEE, 0xEE, 0xEE];

        Assert.Equal(UdpPacketError.None, UdpPacket.TryRead(packet, out UdpPacket udp));
        Assert.Equal(KernelPackets.Payload.ToArray(), udp.Payload(packet).ToArray());
    }
}
