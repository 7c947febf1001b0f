namespace Postern.Wire.Tests;

public class DnsHeaderTests
{
    [Fact]
    public void TryRead_GoldenQuery_ReadsCountsAndFlags()
    {
        Assert.True(DnsHeader.TryRead(GoldenQueries.AaaaCheckingDisabled, out DnsHeader header));

        Assert.Equal(0x7426, header.Id);
        Assert.Equal(0x0130, header.Flags);
        Assert.Equal(1, header.QuestionCount);
        Assert.Equal(0, header.AnswerCount);
        Assert.Equal(0, header.AuthorityCount);
        Assert.Equal(1, header.AdditionalCount);
        Assert.False(header.IsResponse);
        Assert.Equal(0, header.Opcode);
    }

    [Fact]
    public void TryRead_ElevenBytes_ReturnsFalse()
    {
        Assert.False(DnsHeader.TryRead(GoldenQueries.AaaaNoEdns.AsSpan(0, 11), out DnsHeader header));
        Assert.Equal(default, header);
    }

    [Fact]
    public void WriteThenTryRead_RoundTripsEveryField()
    {
        var written = new DnsHeader
        {
            Id = 0xBEEF,
            Flags = 0xA9B5, // QR, opcode 5 (UPDATE), AA, RD, RA, AD, CD, RCODE 5
            QuestionCount = 0x0102,
            AnswerCount = 0x0304,
            AuthorityCount = 0x0506,
            AdditionalCount = 0x0708,
        };
        byte[] bytes = new byte[DnsHeader.Length];

        written.Write(bytes);

        Assert.Equal(new byte[] { 0xBE, 0xEF, 0xA9, 0xB5, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 }, bytes);
        Assert.True(DnsHeader.TryRead(bytes, out DnsHeader read));
        Assert.Equal(written, read);
        Assert.True(read.IsResponse);
        Assert.Equal(5, read.Opcode);
    }
}
