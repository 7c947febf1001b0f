using System.Buffers.Binary;

namespace Postern.Wire.Tests;

public class UdpPacketWriterTests
{
    private static readonly byte[] Source4 = [192, 0, 2, 1];
    private static readonly byte[] Destination4 = [198, 51, 100, 7];
    private static readonly byte[] Source6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    private static readonly byte[] Destination6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

    // Whole datagrams for payload "hello", 192.0.2.1:53 -> 198.51.100.7:40000 and
    // [2001:db8::1]:53 -> [2001:db8::2]:40000, built and checksummed by a python3 script with
    // struct.pack and a plain RFC 1071 routine (IPv4 header checksum 0x4e90, UDP 0x3350 and 0xc417).
    private static readonly byte[] ExpectedIpv4 = Convert.FromHexString(
        "450000210000400040114e90c0000201c6336407" + "00359c40000d3350" + "68656c6c6f");
    private static readonly byte[] ExpectedIpv6 = Convert.FromHexString(
        "60000000000d1140" + "20010db8000000000000000000000001" + "20010db8000000000000000000000002" +
        "00359c40000dc417" + "68656c6c6f");

    private static byte[] Write(int version, ReadOnlySpan<byte> payload, int slack = 0)
    {
        byte[] packet = new byte[UdpPacketWriter.HeaderLength(version) + payload.Length + slack];
        payload.CopyTo(packet.AsSpan(UdpPacketWriter.HeaderLength(version)));
        int length = UdpPacketWriter.WriteHeaders(packet, version, version == 4 ? Source4 : Source6,
            version == 4 ? Destination4 : Destination6, 53, 40000, payload.Length);
        Assert.Equal(UdpPacketWriter.HeaderLength(version) + payload.Length, length);
        return packet.AsSpan(0, length).ToArray();
    }

    [Fact]
    public void HeaderLength_IsIpPlusUdp()
    {
        Assert.Equal(28, UdpPacketWriter.HeaderLength(4));
        Assert.Equal(48, UdpPacketWriter.HeaderLength(6));
    }

    [Fact]
    public void WriteHeaders_Ipv4_MatchesIndependentlyBuiltPacket()
    {
        Assert.Equal(ExpectedIpv4, Write(4, "hello"u8));
    }

    [Fact]
    public void WriteHeaders_Ipv6_MatchesIndependentlyBuiltPacket()
    {
        Assert.Equal(ExpectedIpv6, Write(6, "hello"u8));
    }

    [Fact]
    public void WriteHeaders_Ipv4_HeaderChecksumVerifies()
    {
        byte[] packet = Write(4, GoldenQueries.AaaaCookie, slack: 16);

        Assert.Equal(0, InternetChecksum.Compute(packet.AsSpan(0, 20)));
        Assert.Equal(0, ReferenceChecksum.Compute(packet.AsSpan(0, 20)));
        Assert.NotEqual(0, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(10)));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void WriteHeaders_ThenTryRead_RoundTrips(int version)
    {
        byte[] payload = GoldenQueries.AaaaMixedCaseDnssec;
        byte[] packet = Write(version, payload);

        Assert.Equal(UdpPacketError.None, UdpPacket.TryRead(packet, out UdpPacket udp));

        Assert.Equal(version, udp.IpVersion);
        Assert.Equal(version == 4 ? Source4 : Source6, udp.SourceAddress(packet).ToArray());
        Assert.Equal(version == 4 ? Destination4 : Destination6, udp.DestinationAddress(packet).ToArray());
        Assert.Equal(53, udp.SourcePort);
        Assert.Equal(40000, udp.DestinationPort);
        Assert.Equal(payload, udp.Payload(packet).ToArray());
        Assert.Equal(0, ReferenceChecksum.Udp(udp.SourceAddress(packet), udp.DestinationAddress(packet), packet.AsSpan(udp.UdpOffset)));
    }

    [Fact]
    public void WriteHeaders_Ipv4_SetsDontFragmentTtlAndProtocol()
    {
        byte[] packet = Write(4, "x"u8);

        Assert.Equal(0x45, packet[0]);
        Assert.Equal(0x4000, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(6)));
        Assert.Equal(UdpPacketWriter.DefaultHopLimit, packet[8]);
        Assert.Equal(17, packet[9]);
        Assert.Equal(29, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(2)));
    }

    [Fact]
    public void WriteHeaders_OverwritesWhatWasInTheHeaderArea()
    {
        byte[] payload = "hello"u8.ToArray();
        byte[] packet = new byte[UdpPacketWriter.HeaderLength(4) + payload.Length];
        packet.AsSpan().Fill(0xA5);
        payload.CopyTo(packet.AsSpan(UdpPacketWriter.HeaderLength(4)));

        UdpPacketWriter.WriteHeaders(packet, 4, Source4, Destination4, 53, 40000, payload.Length);

        Assert.Equal(ExpectedIpv4, packet);
    }

    [Fact]
    public void WriteHeaders_EmptyPayload_IsJustHeaders()
    {
        byte[] packet = Write(6, []);

        Assert.Equal(UdpPacketError.None, UdpPacket.TryRead(packet, out UdpPacket udp));
        Assert.Equal(0, udp.PayloadLength);
        Assert.Equal(0, ReferenceChecksum.Udp(Source6, Destination6, packet.AsSpan(40)));
    }

    [Fact]
    public void WriteHeaders_AddressLengthNotMatchingVersion_Throws()
    {
        byte[] packet = new byte[100];

        Assert.Throws<ArgumentException>(() => UdpPacketWriter.WriteHeaders(packet, 4, Source6, Destination6, 1, 2, 0));
        Assert.Throws<ArgumentException>(() => UdpPacketWriter.WriteHeaders(packet, 6, Source4, Destination4, 1, 2, 0));
        Assert.Throws<ArgumentException>(() => UdpPacketWriter.WriteHeaders(packet, 4, Source4, Destination6, 1, 2, 0));
    }

    [Fact]
    public void WriteHeaders_DestinationTooSmall_Throws()
    {
        byte[] packet = new byte[UdpPacketWriter.HeaderLength(4) + 4];

        Assert.Throws<ArgumentException>(() => UdpPacketWriter.WriteHeaders(packet, 4, Source4, Destination4, 1, 2, 5));
    }

    [Fact]
    public void WriteHeaders_LargestIpv6Datagram_IsWrittenAndOneMoreThrows()
    {
        // IPv6 without a jumbogram: payload length (= UDP length) up to 65535.
        int largest = ushort.MaxValue - UdpPacket.UdpHeaderLength;
        byte[] packet = new byte[UdpPacketWriter.HeaderLength(6) + largest + 1];

        int length = UdpPacketWriter.WriteHeaders(packet, 6, Source6, Destination6, 1, 2, largest);

        Assert.Equal(UdpPacket.Ipv6HeaderLength + ushort.MaxValue, length);
        Assert.Equal(UdpPacketError.None, UdpPacket.TryRead(packet.AsSpan(0, length), out UdpPacket udp));
        Assert.Equal(largest, udp.PayloadLength);
        Assert.Throws<ArgumentException>(() => UdpPacketWriter.WriteHeaders(packet, 6, Source6, Destination6, 1, 2, largest + 1));
    }

    [Fact]
    public void WriteHeaders_LargestIpv4Datagram_IsWrittenAndOneMoreThrows()
    {
        // RFC 791: the total length, header included, is at most 65535.
        int largest = ushort.MaxValue - UdpPacketWriter.HeaderLength(4);
        byte[] packet = new byte[UdpPacketWriter.HeaderLength(4) + largest + 1];

        int length = UdpPacketWriter.WriteHeaders(packet, 4, Source4, Destination4, 1, 2, largest);

        Assert.Equal(ushort.MaxValue, length);
        Assert.Equal(UdpPacketError.None, UdpPacket.TryRead(packet.AsSpan(0, length), out UdpPacket udp));
        Assert.Equal(largest, udp.PayloadLength);
        Assert.Throws<ArgumentException>(() => UdpPacketWriter.WriteHeaders(packet, 4, Source4, Destination4, 1, 2, largest + 1));
    }
}
