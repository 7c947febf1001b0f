using System.Buffers.Binary;
using Postern.Wire;

using Postern.Wire.Tests;

namespace Postern.Aaaa.Tests;

/// <summary>The whole IP packet that answers a query: addressed back to the client from the
/// address and port it asked, checksums right, and a NODATA answer to its question inside.</summary>
public class ReplyPacketTests
{
    private static (byte[] Query, byte[] Reply) Answer(int ipVersion, byte[] message, AaaaOptions options)
    {
        byte[] query = QueryPackets.Wrap(ipVersion, message);
        var policy = new AaaaPolicy(options);
        Assert.True(policy.ShouldAnswer(query, false, out UdpPacket udp, out DnsQuery parsed, out _));
        byte[] reply = new byte[ReplyPacket.MaxLength];
        int length = ReplyPacket.Write(query, udp, parsed, options, reply);
        Assert.InRange(length, UdpPacketWriter.HeaderLength(ipVersion) + DnsHeader.Length, ReplyPacket.MaxLength);
        return (query, reply[..length]);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void Reply_GoesFromTheAddressAndPortAskedToTheClient(int ipVersion)
    {
        (byte[] query, byte[] reply) = Answer(ipVersion, DigQueries.Aaaa, new AaaaOptions());

        Assert.Equal(UdpPacketError.None, UdpPacket.TryRead(reply, out UdpPacket udp));
        Assert.Equal(ipVersion, udp.IpVersion);
        Assert.Equal(QueryPackets.Server(ipVersion), udp.SourceAddress(reply).ToArray());
        Assert.Equal(QueryPackets.Client(ipVersion), udp.DestinationAddress(reply).ToArray());
        Assert.Equal(QueryPackets.ServerPort, udp.SourcePort);
        Assert.Equal(QueryPackets.ClientPort, udp.DestinationPort);
        Assert.Equal(reply.Length, udp.PayloadOffset + udp.PayloadLength);
        Assert.NotEqual(query, reply);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void Reply_UdpChecksumIsRight(int ipVersion)
    {
        (_, byte[] reply) = Answer(ipVersion, DigQueries.Aaaa, new AaaaOptions());
        Assert.Equal(UdpPacketError.None, UdpPacket.TryRead(reply, out UdpPacket udp));
        ReadOnlySpan<byte> segment = reply.AsSpan(udp.UdpOffset);

        Assert.NotEqual(0, BinaryPrimitives.ReadUInt16BigEndian(segment.Slice(6)));
        Assert.Equal(0, ReferenceChecksum.Udp(udp.SourceAddress(reply), udp.DestinationAddress(reply), segment));
    }

    [Fact]
    public void Ipv4Reply_HeaderIsWholeAndItsChecksumRight()
    {
        (_, byte[] reply) = Answer(4, DigQueries.Aaaa, new AaaaOptions());

        Assert.Equal(0x45, reply[0]);
        Assert.Equal(reply.Length, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(2)));
        Assert.Equal(17, reply[9]);
        Assert.NotEqual(0, reply[8]);
        Assert.Equal(0, ReferenceChecksum.Compute(reply.AsSpan(0, 20)));
    }

    [Fact]
    public void Ipv6Reply_PayloadLengthCountsTheUdpDatagram()
    {
        (_, byte[] reply) = Answer(6, DigQueries.Aaaa, new AaaaOptions());

        Assert.Equal(6, reply[0] >> 4);
        Assert.Equal(reply.Length - 40, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(4)));
        Assert.Equal(17, reply[6]);
        Assert.NotEqual(0, reply[7]);
    }

    [Theory]
    [InlineData(4, true)]
    [InlineData(4, false)]
    [InlineData(6, true)]
    [InlineData(6, false)]
    public void Reply_IsNoDataWithTheQuerysIdAndQuestion(int ipVersion, bool includeSoa)
    {
        var options = new AaaaOptions { IncludeSoa = includeSoa, NegativeTtl = 77 };
        (_, byte[] reply) = Answer(ipVersion, DigQueries.AaaaMixedCaseDnssec, options);
        Assert.Equal(UdpPacketError.None, UdpPacket.TryRead(reply, out UdpPacket udp));
        ReadOnlySpan<byte> dns = udp.Payload(reply);
        byte[] query = DigQueries.AaaaMixedCaseDnssec;

        Assert.True(DnsHeader.TryRead(dns, out DnsHeader header));
        Assert.Equal(0x939d, header.Id);
        Assert.True(header.IsResponse);
        Assert.Equal(0, header.Opcode);
        Assert.Equal(0, header.Flags & DnsHeader.RcodeMask);
        Assert.Equal(DnsHeader.FlagRD, header.Flags & DnsHeader.FlagRD);
        Assert.Equal(1, header.QuestionCount);
        Assert.Equal(0, header.AnswerCount);
        Assert.Equal(includeSoa ? 1 : 0, header.AuthorityCount);
        Assert.Equal(1, header.AdditionalCount);
        // The question byte for byte, case kept.
        Assert.Equal(query[DnsHeader.Length..DigQueries.ExampleComQuestionEnd],
            dns[DnsHeader.Length..DigQueries.ExampleComQuestionEnd].ToArray());

        var reader = new DnsReader(dns);
        Assert.True(reader.TryReadQuestion(out _, out ushort type, out ushort @class));
        Assert.Equal(DnsType.AAAA, type);
        Assert.Equal(DnsType.ClassIN, @class);
        if (includeSoa)
        {
            Assert.True(reader.TryReadRecord(out ushort soaType, out _, out uint ttl, out _, out _));
            Assert.Equal(DnsType.SOA, soaType);
            Assert.Equal(77u, ttl);
        }
        Assert.True(reader.TryReadRecord(out ushort optType, out _, out _, out _, out _));
        Assert.Equal(DnsType.OPT, optType);
        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void Ipv4QueryWithIpOptions_IsAnsweredWithAPlainHeader()
    {
        // Four option bytes (three NOPs and End of Option List, RFC 791) push the UDP header to
        // offset 24; the reply must be read from there and sent with a plain 20-byte header.
        byte[] plain = QueryPackets.Wrap(4, DigQueries.Aaaa);
        byte[] query = [.. plain[..20], 0x01, 0x01, 0x01, 0x00, .. plain[20..]];
        query[0] = 0x46;
        BinaryPrimitives.WriteUInt16BigEndian(query.AsSpan(2), (ushort)query.Length);
        query[10] = 0;
        query[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(query.AsSpan(10), ReferenceChecksum.Compute(query.AsSpan(0, 24)));
        var options = new AaaaOptions();
        Assert.True(new AaaaPolicy(options).ShouldAnswer(query, false, out UdpPacket udp, out DnsQuery parsed, out _));
        Assert.Equal(24, udp.UdpOffset);
        byte[] reply = new byte[ReplyPacket.MaxLength];

        int length = ReplyPacket.Write(query, udp, parsed, options, reply);

        (_, byte[] expected) = Answer(4, DigQueries.Aaaa, options);
        Assert.Equal(expected, reply[..length]);
    }

    [Fact]
    public void Reply_ToAQueryWithoutEdns_HasNoOpt()
    {
        (_, byte[] reply) = Answer(4, DigQueries.AaaaNoEdns, new AaaaOptions { IncludeSoa = false });
        Assert.Equal(UdpPacketError.None, UdpPacket.TryRead(reply, out UdpPacket udp));

        Assert.True(DnsHeader.TryRead(udp.Payload(reply), out DnsHeader header));
        Assert.Equal(0, header.AdditionalCount);
        Assert.Equal(DigQueries.ExampleComQuestionEnd, udp.PayloadLength);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void Reply_IntoTooSmallADestination_IsMinusOne(int ipVersion)
    {
        byte[] query = QueryPackets.Wrap(ipVersion, DigQueries.Aaaa);
        Assert.Equal(UdpPacketError.None, UdpPacket.TryRead(query, out UdpPacket udp));
        Assert.Equal(DnsQueryError.None, DnsQuery.TryRead(udp.Payload(query), out DnsQuery parsed));
        var options = new AaaaOptions();

        Assert.Equal(-1, ReplyPacket.Write(query, udp, parsed, options, new byte[UdpPacketWriter.HeaderLength(ipVersion) - 1]));
        Assert.Equal(-1, ReplyPacket.Write(query, udp, parsed, options, new byte[UdpPacketWriter.HeaderLength(ipVersion) + 40]));
    }
}
