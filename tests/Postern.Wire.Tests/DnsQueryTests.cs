using System.Buffers.Binary;

namespace Postern.Wire.Tests;

public class DnsQueryTests
{
    [Theory]
    [MemberData(nameof(GoldenQueries.Commands), MemberType = typeof(GoldenQueries))]
    public void TryRead_GoldenQueryFromDig_ReadsEveryField(string command)
    {
        GoldenQuery golden = GoldenQueries.Get(command);

        DnsQueryError error = DnsQuery.TryRead(golden.Bytes, out DnsQuery query);

        Assert.Equal(DnsQueryError.None, error);
        Assert.Equal(golden.Id, query.Header.Id);
        Assert.Equal(golden.Flags, query.Header.Flags);
        Assert.False(query.Header.IsResponse);
        Assert.Equal(0, query.Header.Opcode);
        Assert.Equal(1, query.Header.QuestionCount);
        Assert.Equal(0, query.Header.AnswerCount);
        Assert.Equal(0, query.Header.AuthorityCount);
        Assert.Equal(golden.HasOpt ? 1 : 0, query.Header.AdditionalCount);
        Assert.Equal(DnsHeader.Length, query.QuestionNameOffset);
        Assert.Equal(golden.Type, query.QuestionType);
        Assert.Equal(DnsType.ClassIN, query.QuestionClass);
        Assert.Equal(GoldenQueries.QuestionEnd, query.QuestionEnd);
        Assert.Equal(golden.HasOpt, query.HasOpt);
        Assert.Equal(golden.HasOpt ? 1232 : 0, query.OptUdpPayloadSize);
        Assert.Equal(golden.DnssecOk, query.DnssecOk);
        Assert.Equal(0, query.OptVersion);
        Assert.Equal(0, query.OptExtendedRcode);
    }

    [Fact]
    public void TryRead_CdFlagQuery_KeepsCheckingDisabledInFlags()
    {
        Assert.Equal(DnsQueryError.None, DnsQuery.TryRead(GoldenQueries.AaaaCheckingDisabled, out DnsQuery query));

        Assert.NotEqual(0, query.Header.Flags & DnsHeader.FlagCD);
        Assert.NotEqual(0, query.Header.Flags & DnsHeader.FlagRD);
    }

    [Fact]
    public void TryRead_OptVersionAndExtendedRcode_AreReadFromTheOptTtl()
    {
        byte[] message = new DnsMessageBuilder().Header(0x1234, DnsHeader.FlagRD, additionals: 1)
            .Question("example.com").Opt(udpPayloadSize: 4096, extendedRcode: 0x12, version: 1, dnssecOk: true).ToArray();

        Assert.Equal(DnsQueryError.None, DnsQuery.TryRead(message, out DnsQuery query));

        Assert.Equal(4096, query.OptUdpPayloadSize);
        Assert.Equal(0x12, query.OptExtendedRcode);
        Assert.Equal(1, query.OptVersion);
        Assert.True(query.DnssecOk);
    }

    [Fact]
    public void TryRead_EmptyOrShorterThanHeader_IsMalformed()
    {
        Assert.Equal(DnsQueryError.Malformed, DnsQuery.TryRead([], out _));
        for (int length = 1; length < DnsHeader.Length; length++)
        {
            Assert.Equal(DnsQueryError.Malformed, DnsQuery.TryRead(GoldenQueries.AaaaNoEdns.AsSpan(0, length), out _));
        }
    }

    [Fact]
    public void TryRead_TruncatedQuestion_IsMalformed()
    {
        // Cut anywhere from just after the header to one byte before the end of the class.
        for (int length = DnsHeader.Length; length < GoldenQueries.QuestionEnd; length++)
        {
            DnsQueryError error = DnsQuery.TryRead(GoldenQueries.AaaaNoEdns.AsSpan(0, length), out DnsQuery query);

            Assert.Equal(DnsQueryError.Malformed, error);
            Assert.Equal(default, query);
        }
    }

    [Fact]
    public void TryRead_TruncatedOpt_IsMalformed()
    {
        for (int length = GoldenQueries.QuestionEnd; length < GoldenQueries.AaaaCookie.Length; length++)
        {
            Assert.Equal(DnsQueryError.Malformed, DnsQuery.TryRead(GoldenQueries.AaaaCookie.AsSpan(0, length), out _));
        }
    }

    [Fact]
    public void TryRead_AdditionalCountWithoutRecord_IsMalformed()
    {
        byte[] message = (byte[])GoldenQueries.AaaaNoEdns.Clone();
        message[11] = 1;

        Assert.Equal(DnsQueryError.Malformed, DnsQuery.TryRead(message, out _));
    }

    [Fact]
    public void TryRead_NameIsPointerToItself_IsMalformed()
    {
        byte[] message = new DnsMessageBuilder().Header(1, 0).Pointer(12).UInt16(DnsType.A).UInt16(DnsType.ClassIN).ToArray();

        Assert.Equal(DnsQueryError.Malformed, DnsQuery.TryRead(message, out _));
    }

    [Fact]
    public void TryRead_LabelThenPointerBackToStartOfSameName_IsMalformed()
    {
        // "a" then a pointer to offset 12, which is "a" then the same pointer: an endless name.
        byte[] message = new DnsMessageBuilder().Header(1, 0).Label("a"u8).Pointer(12).UInt16(DnsType.A).UInt16(DnsType.ClassIN).ToArray();

        Assert.Equal(DnsQueryError.Malformed, DnsQuery.TryRead(message, out _));
    }

    [Fact]
    public void TryRead_TwoPointersPointingAtEachOther_IsMalformed()
    {
        // Offset 12 points to 14 and 14 points back to 12; the type is then 0xC00C.
        byte[] message = new DnsMessageBuilder().Header(1, 0).Pointer(14).Pointer(12).UInt16(DnsType.ClassIN).ToArray();

        Assert.Equal(DnsQueryError.Malformed, DnsQuery.TryRead(message, out _));
        Assert.False(DnsReader.TryMeasureName(message, 12, out _, out _));
        Assert.False(DnsReader.TryMeasureName(message, 14, out _, out _));
    }

    [Fact]
    public void TryRead_OptOwnerPointingToItself_IsMalformed()
    {
        byte[] message = new DnsMessageBuilder().Header(1, 0, additionals: 1).Question("example.com")
            .Pointer(GoldenQueries.QuestionEnd).RecordAfterOwner(DnsType.OPT, 1232, 0, []).ToArray();

        Assert.Equal(DnsQueryError.Malformed, DnsQuery.TryRead(message, out _));
    }

    [Fact]
    public void TryRead_ForwardPointer_IsMalformed()
    {
        // The question's name points forward to offset 18, the OPT owner: a well-formed root name
        // there, which a reader that allowed forward pointers would accept.
        byte[] message = new DnsMessageBuilder().Header(1, 0, additionals: 1).Pointer(18).UInt16(DnsType.A).UInt16(DnsType.ClassIN)
            .Opt().ToArray();
        Assert.Equal(0, message[18]);

        Assert.Equal(DnsQueryError.Malformed, DnsQuery.TryRead(message, out _));
    }

    [Fact]
    public void TryRead_PointerIntoHeader_IsMalformed()
    {
        // Offset 2 holds the flags: 0x01 (RD) reads as a one-byte label of the flags' low byte,
        // and offset 4 (QDCOUNT's high byte, 0) as the root. A reply changes the flags to 0x81..,
        // a reserved label type, so no name may be taken from the header.
        byte[] message = new DnsMessageBuilder().Header(1, DnsHeader.FlagRD).Pointer(2).UInt16(DnsType.A).UInt16(DnsType.ClassIN).ToArray();

        Assert.Equal(DnsQueryError.Malformed, DnsQuery.TryRead(message, out _));
    }

    [Fact]
    public void TryRead_Name255Octets_IsReadAnd256IsMalformed()
    {
        // Three 63-byte labels take 192 octets; a 61-byte label and the root make 255.
        string name255 = string.Join('.', new string('a', 63), new string('b', 63), new string('c', 63), new string('d', 61));
        string name256 = name255 + "d";
        byte[] ok = new DnsMessageBuilder().Header(1, 0).Question(name255).ToArray();
        byte[] tooLong = new DnsMessageBuilder().Header(1, 0).Question(name256).ToArray();

        Assert.Equal(DnsQueryError.None, DnsQuery.TryRead(ok, out DnsQuery query));
        Assert.Equal(DnsHeader.Length + 255 + 4, query.QuestionEnd);
        Assert.Equal(DnsQueryError.Malformed, DnsQuery.TryRead(tooLong, out _));
    }

    [Fact]
    public void TryRead_NameOfFourFullLabels_IsMalformed()
    {
        string name = string.Join('.', Enumerable.Repeat(new string('x', 63), 4));
        byte[] message = new DnsMessageBuilder().Header(1, 0).Question(name).ToArray();

        Assert.Equal(DnsQueryError.Malformed, DnsQuery.TryRead(message, out _));
    }

    [Fact]
    public void TryRead_OptOwnerLongerThan255AfterDecompression_IsMalformed()
    {
        // The question's name is 255 octets. The OPT owner is "x" and a pointer to it: 257 octets
        // uncompressed. A reader without the bound would reach the owner check and answer
        // UnexpectedAdditional instead.
        string name255 = string.Join('.', new string('a', 63), new string('b', 63), new string('c', 63), new string('d', 61));
        byte[] message = new DnsMessageBuilder().Header(1, 0, additionals: 1).Question(name255)
            .Label("x"u8).Pointer(12).RecordAfterOwner(DnsType.OPT, 1232, 0, []).ToArray();

        Assert.Equal(DnsQueryError.Malformed, DnsQuery.TryRead(message, out _));
    }

    [Theory]
    [InlineData(0x40)]
    [InlineData(0x41)]
    [InlineData(0x80)]
    [InlineData(0xBF)]
    public void TryRead_ExtendedOrReservedLabelType_IsMalformed(byte labelByte)
    {
        byte[] message = (byte[])GoldenQueries.AaaaNoEdns.Clone();
        message[12] = labelByte;

        Assert.Equal(DnsQueryError.Malformed, DnsQuery.TryRead(message, out _));
    }

    [Fact]
    public void TryRead_ExtendedLabelTypeAfterFirstLabel_IsMalformed()
    {
        byte[] message = (byte[])GoldenQueries.AaaaNoEdns.Clone();
        message[20] = 0x43; // "com"'s length octet, 3, with the 0x40 bits set.

        Assert.Equal(DnsQueryError.Malformed, DnsQuery.TryRead(message, out _));
    }

    [Fact]
    public void TryRead_NoQuestion_IsQuestionCount()
    {
        byte[] message = new DnsMessageBuilder().Header(1, DnsHeader.FlagRD, questions: 0).ToArray();

        Assert.Equal(DnsQueryError.QuestionCount, DnsQuery.TryRead(message, out _));
    }

    [Fact]
    public void TryRead_TwoQuestions_IsQuestionCount()
    {
        byte[] message = new DnsMessageBuilder().Header(1, DnsHeader.FlagRD, questions: 2)
            .Question("example.com", DnsType.A).Question("example.com", DnsType.AAAA).ToArray();

        Assert.Equal(DnsQueryError.QuestionCount, DnsQuery.TryRead(message, out _));
    }

    [Fact]
    public void TryRead_Response_IsResponse()
    {
        byte[] message = (byte[])GoldenQueries.AaaaCookie.Clone();
        message[2] |= 0x80;

        Assert.Equal(DnsQueryError.Response, DnsQuery.TryRead(message, out _));
    }

    [Theory]
    [InlineData(1)] // IQUERY
    [InlineData(2)] // STATUS
    [InlineData(4)] // NOTIFY
    [InlineData(5)] // UPDATE
    [InlineData(15)]
    public void TryRead_OpcodeOtherThanQuery_IsOpcode(int opcode)
    {
        byte[] message = (byte[])GoldenQueries.AaaaCookie.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(2), (ushort)(DnsHeader.FlagRD | (opcode << 11)));

        Assert.Equal(DnsQueryError.Opcode, DnsQuery.TryRead(message, out _));
    }

    [Fact]
    public void TryRead_AnswerRecordInQuery_IsUnexpectedRecords()
    {
        byte[] message = new DnsMessageBuilder().Header(1, DnsHeader.FlagRD, answers: 1).Question("example.com", DnsType.A)
            .Pointer(12).RecordAfterOwner(DnsType.A, DnsType.ClassIN, 300, [192, 0, 2, 1]).ToArray();

        Assert.Equal(DnsQueryError.UnexpectedRecords, DnsQuery.TryRead(message, out _));
    }

    [Fact]
    public void TryRead_AuthorityRecordInQuery_IsUnexpectedRecords()
    {
        // An UPDATE-like prerequisite in a QUERY: the authority count alone decides.
        byte[] message = new DnsMessageBuilder().Header(1, DnsHeader.FlagRD, authorities: 1).Question("example.com", DnsType.A)
            .Pointer(12).RecordAfterOwner(DnsType.A, DnsType.ClassIN, 300, [192, 0, 2, 1]).ToArray();

        Assert.Equal(DnsQueryError.UnexpectedRecords, DnsQuery.TryRead(message, out _));
    }

    [Fact]
    public void TryRead_TsigLikeAdditionalRecord_IsUnexpectedAdditional()
    {
        // RFC 8945 section 4.2: TSIG is type 250, class ANY, TTL 0, owner the key name.
        byte[] tsigData = new DnsMessageBuilder().Name("hmac-sha256").UInt16(0).UInt32(0x5F000000).UInt16(300)
            .UInt16(32).Bytes(new byte[32]).UInt16(0x769c).UInt16(0).UInt16(0).ToArray();
        byte[] message = new DnsMessageBuilder().Header(0x769c, 0x0120, additionals: 1).Question("example.com")
            .Name("key.example").RecordAfterOwner(250, 255, 0, tsigData).ToArray();

        Assert.Equal(DnsQueryError.UnexpectedAdditional, DnsQuery.TryRead(message, out _));
    }

    [Fact]
    public void TryRead_OptThenTsig_IsUnexpectedAdditional()
    {
        byte[] message = new DnsMessageBuilder().Header(1, DnsHeader.FlagRD, additionals: 2).Question("example.com")
            .Opt().Name("key").RecordAfterOwner(250, 255, 0, [0, 0]).ToArray();

        Assert.Equal(DnsQueryError.UnexpectedAdditional, DnsQuery.TryRead(message, out _));
    }

    [Fact]
    public void TryRead_TwoOptRecords_IsUnexpectedAdditional()
    {
        byte[] message = new DnsMessageBuilder().Header(1, DnsHeader.FlagRD, additionals: 2).Question("example.com")
            .Opt().Opt(dnssecOk: true).ToArray();

        Assert.Equal(DnsQueryError.UnexpectedAdditional, DnsQuery.TryRead(message, out _));
    }

    [Fact]
    public void TryRead_OptWithNonRootOwner_IsUnexpectedAdditional()
    {
        byte[] message = new DnsMessageBuilder().Header(1, DnsHeader.FlagRD, additionals: 1).Question("example.com")
            .Name("example.com").RecordAfterOwner(DnsType.OPT, 1232, 0, []).ToArray();

        Assert.Equal(DnsQueryError.UnexpectedAdditional, DnsQuery.TryRead(message, out _));
    }

    [Theory]
    [MemberData(nameof(GoldenQueries.Commands), MemberType = typeof(GoldenQueries))]
    public void TryRead_TrailingBytes_IsMalformed(string command)
    {
        byte[] golden = GoldenQueries.Get(command).Bytes;
        byte[] message = [.. golden, 0x00];

        Assert.Equal(DnsQueryError.Malformed, DnsQuery.TryRead(message, out DnsQuery query));
        Assert.Equal(default, query);
    }
}
