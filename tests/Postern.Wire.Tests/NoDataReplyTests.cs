using System.Buffers.Binary;
using System.Text;

namespace Postern.Wire.Tests;

public class NoDataReplyTests
{
    private const int SoaRdataLength = 17 + 11 + 2 + 20; // MNAME, RNAME label, pointer, five counters
    private const int SoaRecordLength = 12 + SoaRdataLength;
    private const int OptRecordLength = 11;

    public static TheoryData<string, bool, uint> Cases()
    {
        var data = new TheoryData<string, bool, uint>();
        foreach (GoldenQuery golden in GoldenQueries.All)
        {
            data.Add(golden.Command, true, 300);
            data.Add(golden.Command, false, 300);
        }
        data.Add(GoldenQueries.All[0].Command, true, 0);
        data.Add(GoldenQueries.All[3].Command, true, uint.MaxValue);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Write_GoldenQuery_GivesNoDataReplyWithSameIdAndQuestion(string command, bool includeSoa, uint negativeTtl)
    {
        GoldenQuery golden = GoldenQueries.Get(command);
        Assert.Equal(DnsQueryError.None, DnsQuery.TryRead(golden.Bytes, out DnsQuery query));
        byte[] reply = new byte[NoDataReply.MaxLength(query.QuestionEnd)];

        int length = NoDataReply.Write(golden.Bytes, query, includeSoa, negativeTtl, reply);

        int expectedLength = GoldenQueries.QuestionEnd + (includeSoa ? SoaRecordLength : 0) + (golden.HasOpt ? OptRecordLength : 0);
        Assert.Equal(expectedLength, length);

        // RFC 1035 section 4.1.1: same ID; QR and RA set; RD and CD copied; opcode, AA, TC, AD, RCODE 0.
        Assert.Equal(golden.Id, BinaryPrimitives.ReadUInt16BigEndian(reply));
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(2));
        ushort expectedFlags = (ushort)(DnsHeader.FlagQR | DnsHeader.FlagRA | (golden.Flags & (DnsHeader.FlagRD | DnsHeader.FlagCD)));
        Assert.Equal(expectedFlags, flags);
        Assert.Equal(0, flags & DnsHeader.RcodeMask);
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(4)));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(6)));
        Assert.Equal(includeSoa ? 1 : 0, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(8)));
        Assert.Equal(golden.HasOpt ? 1 : 0, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(10)));

        // The question byte for byte, case included.
        Assert.Equal(golden.Bytes.AsSpan(12, GoldenQueries.QuestionEnd - 12).ToArray(), reply.AsSpan(12, GoldenQueries.QuestionEnd - 12).ToArray());
        Assert.Equal(golden.Name, DecodeName(reply, 12, out _));

        int position = GoldenQueries.QuestionEnd;
        if (includeSoa)
        {
            Assert.Equal(golden.Name, DecodeName(reply, position, out int ownerLength));
            Assert.Equal(2, ownerLength); // a pointer to the question's name
            position += ownerLength;
            Assert.Equal(DnsType.SOA, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(position)));
            Assert.Equal(DnsType.ClassIN, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(position + 2)));
            Assert.Equal(negativeTtl, BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(position + 4)));
            int rdataLength = BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(position + 8));
            Assert.Equal(SoaRdataLength, rdataLength);
            position += 10;
            int rdataEnd = position + rdataLength;

            Assert.Equal("postern.invalid", DecodeName(reply, position, out int mnameLength));
            position += mnameLength;
            Assert.Equal("hostmaster.postern.invalid", DecodeName(reply, position, out int rnameLength));
            position += rnameLength;
            Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(position)));           // SERIAL
            Assert.Equal(3600u, BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(position + 4)));    // REFRESH
            Assert.Equal(600u, BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(position + 8)));     // RETRY
            Assert.Equal(86400u, BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(position + 12)));  // EXPIRE
            Assert.Equal(negativeTtl, BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(position + 16))); // MINIMUM
            position += 20;
            Assert.Equal(rdataEnd, position);
        }

        if (golden.HasOpt)
        {
            // RFC 6891 section 6.1.2: root owner, type OPT, CLASS = payload size, TTL = extended
            // RCODE, version, DO and Z; no options.
            Assert.Equal(0, reply[position]);
            Assert.Equal(DnsType.OPT, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(position + 1)));
            Assert.Equal(NoDataReply.AdvertisedUdpPayloadSize, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(position + 3)));
            Assert.Equal(golden.DnssecOk ? 0x00008000u : 0u, BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(position + 5)));
            Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(position + 9)));
            position += OptRecordLength;
        }

        Assert.Equal(length, position);
    }

    [Theory]
    [MemberData(nameof(GoldenQueries.Commands), MemberType = typeof(GoldenQueries))]
    public void Write_GoldenQuery_ReplyWalksWithDnsReaderToItsEnd(string command)
    {
        GoldenQuery golden = GoldenQueries.Get(command);
        Assert.Equal(DnsQueryError.None, DnsQuery.TryRead(golden.Bytes, out DnsQuery query));
        byte[] reply = new byte[NoDataReply.MaxLength(query.QuestionEnd)];
        int length = NoDataReply.Write(golden.Bytes, query, includeSoa: true, 60, reply);

        Assert.True(DnsHeader.TryRead(reply.AsSpan(0, length), out DnsHeader header));
        var reader = new DnsReader(reply.AsSpan(0, length));
        Assert.True(reader.TryReadQuestion(out int nameOffset, out ushort type, out ushort @class));
        Assert.Equal(golden.Type, type);
        Assert.Equal(DnsType.ClassIN, @class);
        Assert.True(reader.TryReadRecord(out ushort soaType, out _, out uint ttl, out _, out _));
        Assert.Equal(DnsType.SOA, soaType);
        Assert.Equal(60u, ttl);
        for (int i = 0; i < header.AdditionalCount; i++)
        {
            Assert.True(reader.TryReadRecord(out ushort optType, out _, out _, out _, out _));
            Assert.Equal(DnsType.OPT, optType);
        }
        Assert.Equal(0, reader.Remaining);

        Span<char> name = stackalloc char[DnsReader.MaxNameLength];
        Assert.Equal("example.com", name.Slice(0, DnsReader.ReadLowerCaseName(reply, nameOffset, name)).ToString());
    }

    [Fact]
    public void Write_DestinationOneByteTooSmall_ReturnsMinusOneAndWritesNothing()
    {
        Assert.Equal(DnsQueryError.None, DnsQuery.TryRead(GoldenQueries.AaaaCookie, out DnsQuery query));
        byte[] destination = new byte[NoDataReply.MaxLength(query.QuestionEnd) - 1];

        Assert.Equal(-1, NoDataReply.Write(GoldenQueries.AaaaCookie, query, includeSoa: true, 300, destination));
        Assert.All(destination, b => Assert.Equal(0, b));
    }

    [Fact]
    public void MaxLength_IsTheLengthOfTheLargestReply()
    {
        Assert.Equal(DnsQueryError.None, DnsQuery.TryRead(GoldenQueries.AaaaCookie, out DnsQuery query));
        byte[] destination = new byte[1024];

        int length = NoDataReply.Write(GoldenQueries.AaaaCookie, query, includeSoa: true, 300, destination);

        Assert.Equal(NoDataReply.MaxLength(query.QuestionEnd), length);
    }

    [Fact]
    public void Write_QueryWithoutDo_ClearsEverythingButPayloadSizeInOpt()
    {
        // A query whose OPT carries version 1, an extended RCODE and a large payload size: the
        // reply speaks version 0 with Postern's own size.
        byte[] message = new DnsMessageBuilder().Header(7, DnsHeader.FlagRD, additionals: 1).Question("example.com")
            .Opt(udpPayloadSize: 65535, extendedRcode: 3, version: 1, dnssecOk: false).ToArray();
        Assert.Equal(DnsQueryError.None, DnsQuery.TryRead(message, out DnsQuery query));
        byte[] reply = new byte[NoDataReply.MaxLength(query.QuestionEnd)];

        int length = NoDataReply.Write(message, query, includeSoa: false, 300, reply);

        ReadOnlySpan<byte> opt = reply.AsSpan(length - OptRecordLength, OptRecordLength);
        Assert.Equal(new byte[] { 0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, opt.ToArray());
    }

    [Fact]
    public void Write_IgnoresFlagsOtherThanRdAndCd()
    {
        // AA, TC, AD and a non-zero RCODE in the query must not leak into the reply.
        byte[] message = new DnsMessageBuilder().Header(7, 0x07FF).Question("example.com").ToArray();
        Assert.Equal(DnsQueryError.None, DnsQuery.TryRead(message, out DnsQuery query));
        byte[] reply = new byte[NoDataReply.MaxLength(query.QuestionEnd)];

        NoDataReply.Write(message, query, includeSoa: true, 300, reply);

        Assert.Equal(DnsHeader.FlagQR | DnsHeader.FlagRA | DnsHeader.FlagRD | DnsHeader.FlagCD, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(2)));
    }

    /// <summary>A plain decoder, independent of DnsReader: follows pointers, no checks beyond the
    /// test's needs. <paramref name="wireLength"/> is the bytes the name takes at the offset.</summary>
    private static string DecodeName(byte[] message, int offset, out int wireLength)
    {
        var labels = new List<string>();
        wireLength = -1;
        int position = offset;
        for (int step = 0; step < 20; step++)
        {
            byte length = message[position];
            if (length == 0)
            {
                if (wireLength < 0)
                {
                    wireLength = position + 1 - offset;
                }
                return string.Join('.', labels);
            }
            if ((length & 0xC0) == 0xC0)
            {
                if (wireLength < 0)
                {
                    wireLength = position + 2 - offset;
                }
                position = BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(position)) & 0x3FFF;
                continue;
            }
            labels.Add(Encoding.Latin1.GetString(message, position + 1, length));
            position += length + 1;
        }
        throw new InvalidOperationException("Name does not end.");
    }
}
