namespace Postern.Wire.Tests;

public class DnsReaderTests
{
    private static string ReadName(ReadOnlySpan<byte> message, int offset)
    {
        Span<char> buffer = stackalloc char[DnsReader.MaxNameLength];
        int length = DnsReader.ReadLowerCaseName(message, offset, buffer);
        Assert.True(length >= 0, $"ReadLowerCaseName returned {length}");
        return buffer.Slice(0, length).ToString();
    }

    [Fact]
    public void ReadLowerCaseName_MixedCaseQuestion_IsLowerCased()
    {
        Assert.Equal("example.com", ReadName(GoldenQueries.AaaaMixedCaseDnssec, 12));
    }

    [Fact]
    public void ReadLowerCaseName_LowersOnlyAsciiLetters()
    {
        // '@' (0x40) and '[' (0x5B) border A-Z; 0xC9 is Latin-1 'É', left as it is.
        byte[] message = new DnsMessageBuilder().Header(1, 0).Label([(byte)'@', (byte)'A', (byte)'Z', (byte)'[', 0xC9, (byte)'-', (byte)'9']).Byte(0).ToArray();

        Assert.Equal("@az[\u00C9-9", ReadName(message, 12));
    }

    [Fact]
    public void ReadLowerCaseName_Root_IsEmpty()
    {
        byte[] message = new DnsMessageBuilder().Header(1, 0).Question("").ToArray();
        Span<char> buffer = stackalloc char[4];

        Assert.Equal(0, DnsReader.ReadLowerCaseName(message, 12, buffer));
        Assert.Equal(0, DnsReader.ReadLowerCaseName(message, 12, Span<char>.Empty));
    }

    [Fact]
    public void ReadLowerCaseName_PointerBackIntoQuestion_IsFollowed()
    {
        // Question "Example.COM"; an additional record owner "WWW" + pointer to offset 12; and a
        // second one, "x" + pointer to the first.
        var builder = new DnsMessageBuilder().Header(1, 0, additionals: 2).Question("Example.COM");
        int first = builder.Length;
        builder.Label("WWW"u8).Pointer(12).RecordAfterOwner(1, 1, 0, []);
        int second = builder.Length;
        builder.Label("x"u8).Pointer(first).RecordAfterOwner(1, 1, 0, []);
        byte[] message = builder.ToArray();

        Assert.Equal("www.example.com", ReadName(message, first));
        Assert.Equal("x.www.example.com", ReadName(message, second));
    }

    [Fact]
    public void ReadLowerCaseName_PointerToSuffixOfQuestion_IsFollowed()
    {
        byte[] message = new DnsMessageBuilder().Header(1, 0).Question("www.example.com").Pointer(16).ToArray();
        int pointerOffset = message.Length - 2;

        Assert.Equal("example.com", ReadName(message, pointerOffset));
    }

    [Fact]
    public void ReadLowerCaseName_DestinationTooSmall_ReturnsMinusOne()
    {
        // "example.com" is 11 characters: 10 leaves no room for the last label, 7 none for the dot.
        byte[] message = GoldenQueries.AaaaNoEdns;
        char[] exact = new char[11];

        Assert.Equal(11, DnsReader.ReadLowerCaseName(message, 12, exact));
        Assert.Equal("example.com", new string(exact));
        Assert.Equal(-1, DnsReader.ReadLowerCaseName(message, 12, new char[10]));
        Assert.Equal(-1, DnsReader.ReadLowerCaseName(message, 12, new char[8]));
        Assert.Equal(-1, DnsReader.ReadLowerCaseName(message, 12, new char[7]));
        Assert.Equal(-1, DnsReader.ReadLowerCaseName(message, 12, new char[3]));
        Assert.Equal(-1, DnsReader.ReadLowerCaseName(message, 12, Span<char>.Empty));
    }

    [Fact]
    public void ReadLowerCaseName_LongestName_Fits253Characters()
    {
        string name255 = string.Join('.', new string('A', 63), new string('b', 63), new string('c', 63), new string('d', 61));
        byte[] message = new DnsMessageBuilder().Header(1, 0).Question(name255).ToArray();

        Assert.Equal(253, DnsReader.ReadLowerCaseName(message, 12, new char[253]));
        Assert.Equal(-1, DnsReader.ReadLowerCaseName(message, 12, new char[252]));
        Assert.Equal(name255.ToLowerInvariant(), ReadName(message, 12));
    }

    public static TheoryData<string, byte[], int> BadNames() => new()
    {
        { "pointer to itself", new DnsMessageBuilder().Header(1, 0).Pointer(12).ToArray(), 12 },
        { "label then pointer to its own start", new DnsMessageBuilder().Header(1, 0).Label("a"u8).Pointer(12).ToArray(), 12 },
        { "two pointers at each other", new DnsMessageBuilder().Header(1, 0).Pointer(14).Pointer(12).ToArray(), 14 },
        { "forward pointer", new DnsMessageBuilder().Header(1, 0).Pointer(14).Name("a").ToArray(), 12 },
        { "pointer into the header", new DnsMessageBuilder().Header(1, 0x0100).Pointer(2).ToArray(), 12 },
        { "label type 0x40", new DnsMessageBuilder().Header(1, 0).Byte(0x41).Byte((byte)'a').Byte(0).ToArray(), 12 },
        { "label type 0x80", new DnsMessageBuilder().Header(1, 0).Byte(0x81).Byte((byte)'a').Byte(0).ToArray(), 12 },
        { "label runs past the end", new DnsMessageBuilder().Header(1, 0).Byte(5).Bytes("abc"u8).ToArray(), 12 },
        { "no root label", new DnsMessageBuilder().Header(1, 0).Label("abc"u8).ToArray(), 12 },
        { "half a pointer", new DnsMessageBuilder().Header(1, 0).Byte(0xC0).ToArray(), 12 },
        { "offset past the end", GoldenQueries.AaaaNoEdns, GoldenQueries.AaaaNoEdns.Length },
        { "negative offset", GoldenQueries.AaaaNoEdns, -1 },
        { "256 octets", new DnsMessageBuilder().Header(1, 0).Name(string.Join('.', new string('a', 63), new string('b', 63), new string('c', 63), new string('d', 62))).ToArray(), 12 },
    };

    [Theory]
    [MemberData(nameof(BadNames))]
    public void ReadLowerCaseName_BadName_ReturnsMinusOne(string why, byte[] message, int offset)
    {
        Assert.False(DnsReader.TryMeasureName(message, offset, out _, out _), why);
        Assert.Equal(-1, DnsReader.ReadLowerCaseName(message, offset, new char[300]));
        var reader = new DnsReader(message, offset);
        Assert.False(reader.TrySkipName(), why);
        Assert.Equal(offset, reader.Position);
    }

    [Fact]
    public void TryMeasureName_GoldenQuestion_Is13OctetsBothWays()
    {
        Assert.True(DnsReader.TryMeasureName(GoldenQueries.AaaaNoEdns, 12, out int wireLength, out int nameLength));

        Assert.Equal(13, wireLength);
        Assert.Equal(13, nameLength);
    }

    [Fact]
    public void TryMeasureName_CompressedName_CountsPointerOnWireAndWholeNameUncompressed()
    {
        byte[] message = new DnsMessageBuilder().Header(1, 0).Question("example.com").Label("www"u8).Pointer(12).ToArray();

        Assert.True(DnsReader.TryMeasureName(message, GoldenQueries.QuestionEnd, out int wireLength, out int nameLength));

        Assert.Equal(4 + 2, wireLength);
        Assert.Equal(4 + 13, nameLength);
    }

    [Fact]
    public void TryMeasureName_LongerThan255OnlyAfterDecompression_IsRejected()
    {
        // Three 63-byte labels and a 60-byte one (253 octets with their length octets), then a
        // pointer to "a" (3 octets with the root): 256 uncompressed, 255 on the wire.
        var builder = new DnsMessageBuilder().Header(1, 0).Name("a");
        int shortName = 12;
        int longName = builder.Length;
        builder.Label(new byte[63]).Label(new byte[63]).Label(new byte[63]).Label(new byte[60]).Pointer(shortName);
        byte[] message = builder.ToArray();

        Assert.False(DnsReader.TryMeasureName(message, longName, out _, out _));
        Assert.Equal(-1, DnsReader.ReadLowerCaseName(message, longName, new char[300]));

        // One byte less in the last label makes exactly 255.
        builder = new DnsMessageBuilder().Header(1, 0).Name("a");
        builder.Label(new byte[63]).Label(new byte[63]).Label(new byte[63]).Label(new byte[59]).Pointer(shortName);
        message = builder.ToArray();
        Assert.True(DnsReader.TryMeasureName(message, longName, out int wireLength, out int nameLength));
        Assert.Equal(252 + 2, wireLength);
        Assert.Equal(255, nameLength);
        Assert.Equal(253, DnsReader.ReadLowerCaseName(message, longName, new char[253]));
    }

    [Fact]
    public void TryMeasureName_ChainOfPointers_IsBoundedByHopLimit()
    {
        // Offset 12 holds the root; then 17 pointers, each to the one before it.
        var builder = new DnsMessageBuilder().Header(1, 0).Byte(0);
        var pointers = new List<int>();
        int previous = 12;
        for (int i = 0; i <= DnsReader.MaxPointerHops; i++)
        {
            pointers.Add(builder.Length);
            builder.Pointer(previous);
            previous = pointers[^1];
        }
        byte[] message = builder.ToArray();

        Assert.True(DnsReader.TryMeasureName(message, pointers[DnsReader.MaxPointerHops - 1], out int wireLength, out int nameLength));
        Assert.Equal(2, wireLength);
        Assert.Equal(1, nameLength);
        Assert.False(DnsReader.TryMeasureName(message, pointers[DnsReader.MaxPointerHops], out _, out _));
    }

    [Fact]
    public void TryReadQuestionAndRecord_GoldenCookieQuery_WalkToTheEnd()
    {
        var reader = new DnsReader(GoldenQueries.AaaaCookie);

        Assert.True(reader.TryReadQuestion(out int nameOffset, out ushort type, out ushort @class));
        Assert.Equal(12, nameOffset);
        Assert.Equal(DnsType.AAAA, type);
        Assert.Equal(DnsType.ClassIN, @class);
        Assert.Equal(GoldenQueries.QuestionEnd, reader.Position);

        Assert.True(reader.TryReadRecord(out ushort optType, out ushort payloadSize, out uint ttl, out int dataOffset, out int dataLength));
        Assert.Equal(DnsType.OPT, optType);
        Assert.Equal(1232, payloadSize);
        Assert.Equal(0u, ttl);
        Assert.Equal(GoldenQueries.QuestionEnd + 11, dataOffset);
        Assert.Equal(12, dataLength);
        Assert.Equal(0, reader.Remaining);
        Assert.Equal(GoldenQueries.AaaaCookie.Length, reader.Position);
    }

    [Fact]
    public void TryReadRecord_DataLongerThanMessage_ReturnsFalse()
    {
        byte[] message = (byte[])GoldenQueries.AaaaCookie.Clone();
        message[^13] = 13; // RDLENGTH 12 -> 13, one past the end

        var reader = new DnsReader(message, GoldenQueries.QuestionEnd);

        Assert.False(reader.TryReadRecord(out _, out _, out _, out _, out _));
    }

    [Fact]
    public void TryReadUInt16AndUInt32_AtTheEnd_ReturnFalseAndStayPut()
    {
        byte[] message = [0x12, 0x34, 0x56];
        var reader = new DnsReader(message, 0);

        Assert.True(reader.TryReadUInt16(out ushort first));
        Assert.Equal(0x1234, first);
        Assert.False(reader.TryReadUInt16(out ushort second));
        Assert.Equal(0, second);
        Assert.False(reader.TryReadUInt32(out uint third));
        Assert.Equal(0u, third);
        Assert.Equal(2, reader.Position);
        Assert.Equal(1, reader.Remaining);

        var fromStart = new DnsReader([0xDE, 0xAD, 0xBE, 0xEF], 0);
        Assert.True(fromStart.TryReadUInt32(out uint word));
        Assert.Equal(0xDEADBEEFu, word);
    }
}
