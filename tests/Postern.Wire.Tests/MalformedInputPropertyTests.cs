using FsCheck;
using FsCheck.Fluent;

namespace Postern.Wire.Tests;

/// <summary>Random bytes, and golden queries and packets with random edits, never make a reader or
/// the reply writer throw, and whatever they accept obeys the invariants callers rely on.</summary>
public class MalformedInputPropertyTests
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(3000);

    [Fact]
    public void DnsQueryTryReadAndNoDataReplyWrite_NeverThrow()
    {
        Check.One(Config, Prop.ForAll(WireGenerators.AnyMessage.ToArbitrary(), (byte[] message) =>
        {
            DnsQueryError error = DnsQuery.TryRead(message, out DnsQuery query);
            if (error != DnsQueryError.None)
            {
                Assert.Equal(default, query);
                return;
            }

            Assert.Equal(DnsHeader.Length, query.QuestionNameOffset);
            Assert.InRange(query.QuestionEnd, DnsHeader.Length + 1 + 4, message.Length);
            Assert.Equal(query.HasOpt ? 1 : 0, query.Header.AdditionalCount);
            // A name of at most 255 octets has at most 253 characters.
            Assert.InRange(DnsReader.ReadLowerCaseName(message, query.QuestionNameOffset, new char[253]), 0, 253);

            foreach (bool includeSoa in new[] { false, true })
            {
                byte[] reply = new byte[NoDataReply.MaxLength(query.QuestionEnd)];
                int length = NoDataReply.Write(message, query, includeSoa, 300, reply);
                Assert.InRange(length, query.QuestionEnd, reply.Length);
                Assert.Equal(-1, NoDataReply.Write(message, query, includeSoa, 300, reply.AsSpan(0, reply.Length - 1)));

                // The reply reads to its end, with the query's name.
                var reader = new DnsReader(reply.AsSpan(0, length));
                Assert.True(reader.TryReadQuestion(out int nameOffset, out _, out _));
                for (int i = 0; i < (includeSoa ? 1 : 0) + (query.HasOpt ? 1 : 0); i++)
                {
                    Assert.True(reader.TryReadRecord(out _, out _, out _, out _, out _));
                }
                Assert.Equal(0, reader.Remaining);
                char[] queryName = new char[253];
                char[] replyName = new char[253];
                int queryNameLength = DnsReader.ReadLowerCaseName(message, query.QuestionNameOffset, queryName);
                int replyNameLength = DnsReader.ReadLowerCaseName(reply.AsSpan(0, length), nameOffset, replyName);
                Assert.Equal(new string(queryName, 0, queryNameLength), new string(replyName, 0, replyNameLength));
            }
        }));
    }

    [Fact]
    public void DnsReaderNames_AtAnyOffsetIntoAnyDestination_NeverThrow()
    {
        Gen<(byte[] Message, int Offset, int DestinationLength)> inputs =
            from message in WireGenerators.AnyMessage
            from offset in Gen.Choose(-2, message.Length + 2)
            from destinationLength in Gen.Choose(0, 300)
            select (message, offset, destinationLength);

        Check.One(Config, Prop.ForAll(inputs.ToArbitrary(), input =>
        {
            (byte[] message, int offset, int destinationLength) = input;
            char[] destination = new char[destinationLength];

            int written = DnsReader.ReadLowerCaseName(message, offset, destination);
            bool measured = DnsReader.TryMeasureName(message, offset, out int wireLength, out int nameLength);

            Assert.InRange(written, -1, destinationLength);
            if (measured)
            {
                Assert.InRange(wireLength, 1, message.Length - offset);
                Assert.InRange(nameLength, 1, DnsReader.MaxNameLength);
                if (destinationLength >= 253)
                {
                    Assert.Equal(Math.Max(0, nameLength - 2), written);
                }
            }
            else
            {
                Assert.Equal(-1, written);
            }

            // Walk the whole message as records from the offset: every step either fails or moves on.
            if (offset >= 0 && offset <= message.Length)
            {
                var reader = new DnsReader(message, offset);
                int before = reader.Position;
                while (reader.TryReadRecord(out _, out _, out _, out int dataOffset, out int dataLength))
                {
                    Assert.True(reader.Position > before);
                    Assert.InRange(dataOffset + dataLength, 0, message.Length);
                    before = reader.Position;
                }
                var questions = new DnsReader(message, offset);
                while (questions.TryReadQuestion(out _, out _, out _))
                {
                }
            }
        }));
    }

    [Fact]
    public void UdpPacketTryRead_NeverThrows_AndAcceptedPacketsSliceInsideTheBuffer()
    {
        Gen<byte[]> packets = Gen.OneOf(WireGenerators.AnyPacket, WireGenerators.AnyMessage);

        Check.One(Config, Prop.ForAll(packets.ToArbitrary(), (byte[] packet) =>
        {
            UdpPacketError error = UdpPacket.TryRead(packet, out UdpPacket udp);
            if (error != UdpPacketError.None)
            {
                return;
            }

            Assert.True(udp.IpVersion is 4 or 6);
            Assert.Equal(udp.UdpOffset + UdpPacket.UdpHeaderLength, udp.PayloadOffset);
            Assert.InRange(udp.PayloadOffset + udp.PayloadLength, udp.PayloadOffset, packet.Length);
            Assert.Equal(udp.AddressLength, udp.SourceAddress(packet).Length);
            Assert.Equal(udp.AddressLength, udp.DestinationAddress(packet).Length);
            Assert.Equal(udp.PayloadLength, udp.Payload(packet).Length);
        }));
    }
}
