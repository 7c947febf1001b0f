using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using Postern.Wire;

using Postern.Wire.Tests;

namespace Postern.Aaaa.Tests;

/// <summary>The whole IPv4 and IPv6 reply packet, its DNS payload parsed back by ARSoft.Tools.Net
/// field by field, and framed so that the IP and UDP lengths end exactly where ARSoft's reading
/// does.</summary>
public class ReplyPacketArSoftTests
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(300);

    public static TheoryData<int, string, bool> Cases()
    {
        var data = new TheoryData<int, string, bool>();
        foreach (int ipVersion in new[] { 4, 6 })
        {
            foreach (GoldenQuery golden in GoldenQueries.All)
            {
                data.Add(ipVersion, golden.Command, true);
                data.Add(ipVersion, golden.Command, false);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reply_PayloadIsTheNoDataAnswerArSoftReads(int ipVersion, string command, bool includeSoa)
    {
        GoldenQuery golden = GoldenQueries.Get(command);
        var options = new AaaaOptions { IncludeSoa = includeSoa, NegativeTtl = 77 };

        byte[] reply = Answer(ipVersion, golden.Bytes, options, QueryPackets.Client(ipVersion));

        byte[] payload = AssertFramedFromServerToClient(reply, ipVersion, QueryPackets.Client(ipVersion));
        ArSoftOracle.AssertNoDataReply(payload, golden.Id, golden.Flags, golden.Name.Split('.'), golden.Type, DnsType.ClassIN,
            includeSoa, 77, golden.HasOpt, golden.DnssecOk);
    }

    [Fact]
    public void Reply_ToGeneratedQueriesFromAnyClient_IsTheNoDataAnswerArSoftReads()
    {
        Gen<(int IpVersion, byte[] Client, ArSoftQuerySpec Spec)> inputs =
            from ipVersion in Gen.Elements(4, 6)
            from client in WireGenerators.AnyByte.ArrayOf(ipVersion == 4 ? 4 : 16)
            from spec in ArSoftGenerators.Query
            select (ipVersion, client, spec);

        Check.One(Config, Prop.ForAll(inputs.ToArbitrary(), input =>
        {
            (int ipVersion, byte[] client, ArSoftQuerySpec spec) = input;
            var options = new AaaaOptions { IncludeSoa = spec.IncludeSoa, NegativeTtl = spec.NegativeTtl };

            byte[] reply = Answer(ipVersion, spec.ToArSoftMessage(), options, client);

            byte[] payload = AssertFramedFromServerToClient(reply, ipVersion, client);
            ArSoftOracle.AssertNoDataReply(payload, spec.Id, spec.Flags, spec.LabelStrings, spec.Type, spec.Class,
                spec.IncludeSoa, spec.NegativeTtl, spec.HasOpt, spec.DnssecOk);
        }));
    }

    /// <summary>ReplyPacket's answer to the query wrapped as sent from <paramref name="client"/>.
    /// The policy is left out: which queries deserve an answer is not what is checked here.</summary>
    private static byte[] Answer(int ipVersion, byte[] message, AaaaOptions options, byte[] client)
    {
        byte[] query = QueryPackets.Wrap(ipVersion, message, client);
        Assert.Equal(UdpPacketError.None, UdpPacket.TryRead(query, out UdpPacket udp));
        Assert.Equal(DnsQueryError.None, DnsQuery.TryRead(udp.Payload(query), out DnsQuery parsed));
        byte[] reply = new byte[ReplyPacket.MaxLength];

        int length = ReplyPacket.Write(query, udp, parsed, options, reply);

        Assert.InRange(length, UdpPacketWriter.HeaderLength(ipVersion) + parsed.QuestionEnd, ReplyPacket.MaxLength);
        return reply[..length];
    }

    /// <summary>Reads the IP and UDP headers by hand (RFC 791, RFC 8200, RFC 768): from the
    /// server's port 53 to the client's port, every length field ending at the packet's end, the
    /// UDP checksum right; returns the DNS payload.</summary>
    private static byte[] AssertFramedFromServerToClient(byte[] reply, int ipVersion, byte[] client)
    {
        int udpOffset;
        if (ipVersion == 4)
        {
            Assert.Equal(0x45, reply[0]);
            Assert.Equal(reply.Length, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(2)));
            Assert.Equal(17, reply[9]);
            Assert.Equal(0, ReferenceChecksum.Compute(reply.AsSpan(0, 20)));
            Assert.Equal(QueryPackets.ServerV4, reply[12..16]);
            Assert.Equal(client, reply[16..20]);
            udpOffset = 20;
        }
        else
        {
            Assert.Equal(6, reply[0] >> 4);
            Assert.Equal(reply.Length - 40, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(4)));
            Assert.Equal(17, reply[6]);
            Assert.Equal(QueryPackets.ServerV6, reply[8..24]);
            Assert.Equal(client, reply[24..40]);
            udpOffset = 40;
        }
        ReadOnlySpan<byte> segment = reply.AsSpan(udpOffset);
        Assert.Equal(QueryPackets.ServerPort, BinaryPrimitives.ReadUInt16BigEndian(segment));
        Assert.Equal(QueryPackets.ClientPort, BinaryPrimitives.ReadUInt16BigEndian(segment.Slice(2)));
        Assert.Equal(segment.Length, BinaryPrimitives.ReadUInt16BigEndian(segment.Slice(4)));
        byte[] source = ipVersion == 4 ? reply[12..16] : reply[8..24];
        Assert.Equal(0, ReferenceChecksum.Udp(source, client, segment));
        return segment.Slice(8).ToArray();
    }
}
