using System.Text;
using ARSoft.Tools.Net.Dns;

namespace Postern.Wire.Tests;

/// <summary>Every variant of the NODATA reply, parsed back by ARSoft.Tools.Net and checked field
/// by field: dig's golden queries and hand-built ones for other types, classes, names, flags and
/// OPT records.</summary>
public class NoDataReplyArSoftTests
{
    /// <summary>A query to answer: its bytes, and what ARSoft should read back from the reply.</summary>
    public sealed record Case(string Description, byte[] Query, ushort Id, ushort Flags, string[] Labels, ushort Type, ushort Class, bool HasOpt, bool DnssecOk)
    {
        public override string ToString() => Description;
    }

    private static readonly string Label63 = new('a', 63);

    /// <summary>Three labels of 63 and one of 61: 255 octets on the wire, the longest name.</summary>
    private static readonly string LongestName = $"{Label63}.{new string('b', 63)}.{new string('c', 63)}.{new string('d', 61)}";

    private static Case Built(string description, string name, ushort type = DnsType.AAAA, ushort @class = DnsType.ClassIN,
        ushort flags = DnsHeader.FlagRD, bool hasOpt = true, bool dnssecOk = false, ushort udpSize = 1232, byte version = 0,
        byte extendedRcode = 0, byte[]? options = null)
    {
        const ushort id = 0xbeef;
        var builder = new DnsMessageBuilder().Header(id, flags, additionals: (ushort)(hasOpt ? 1 : 0)).Question(name, type, @class);
        if (hasOpt)
        {
            builder.Opt(udpSize, extendedRcode, version, dnssecOk, options);
        }
        string[] labels = name.Length == 0 ? [] : name.Split('.');
        return new Case(description, builder.ToArray(), id, flags, labels, type, @class, hasOpt, dnssecOk);
    }

    public static readonly Case[] All =
    [
        .. GoldenQueries.All.Select(g => new Case(g.Command, g.Bytes, g.Id, g.Flags, g.Name.Split('.'), g.Type, DnsType.ClassIN, g.HasOpt, g.DnssecOk)),
        Built("SVCB _dns.resolver.arpa", "_dns.resolver.arpa", DnsType.SVCB),
        Built("HTTPS, no EDNS", "www.example.net", DnsType.HTTPS, hasOpt: false),
        Built("ANY", "example.org", DnsType.ANY),
        Built("TYPE65535", "example.org", 65535),
        Built("TYPE0", "example.org", 0),
        Built("class CH", "version.bind", DnsType.AAAA, @class: 3),
        Built("class 65535", "example.org", DnsType.AAAA, @class: 65535),
        Built("root name", ""),
        Built("one label", "localhost"),
        Built("label of 63", Label63 + ".example"),
        Built("name of 255 octets", LongestName),
        Built("mixed case, IDN", "WwW.xn--Bcher-KVA.ExAmPlE"),
        Built("name under .invalid, as the SOA's MNAME", "host.postern.invalid"),
        Built("the SOA's MNAME itself", "postern.invalid"),
        Built("the SOA's RNAME itself", "hostmaster.postern.invalid"),
        Built("RD clear", "example.com", flags: 0),
        Built("AA TC RD RA Z AD CD and RCODE 15 in the query", "example.com", flags: 0x07FF),
        Built("DO set, no RD", "example.com", flags: 0, dnssecOk: true),
        Built("OPT version 1, extended RCODE, size 65535, DO", "example.com", dnssecOk: true, udpSize: 65535, version: 1, extendedRcode: 0xff),
        Built("OPT size 512 with cookie and padding options", "example.com", udpSize: 512,
            options: [0x00, 0x0a, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, 0x00, 0x0c, 0x00, 0x02, 0, 0]),
        Built("OPT size 0", "example.com", udpSize: 0),
    ];

    public static TheoryData<Case, bool, uint> Cases()
    {
        var data = new TheoryData<Case, bool, uint>();
        foreach (Case c in All)
        {
            data.Add(c, true, 300);
            data.Add(c, false, 300);
        }
        // TTL edges: zero, the top bit (a negative int32 to ARSoft), and the largest.
        data.Add(All[1], true, 0);
        data.Add(All[1], true, 0x80000000);
        data.Add(All[3], true, uint.MaxValue);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Write_ArSoftReadsTheReplyFieldByField(Case c, bool includeSoa, uint negativeTtl)
    {
        Assert.Equal(DnsQueryError.None, DnsQuery.TryRead(c.Query, out DnsQuery query));
        byte[] buffer = new byte[NoDataReply.MaxLength(query.QuestionEnd)];

        int length = NoDataReply.Write(c.Query, query, includeSoa, negativeTtl, buffer);

        Assert.InRange(length, query.QuestionEnd, buffer.Length);
        ArSoftOracle.AssertNoDataReply(buffer[..length], c.Id, c.Flags, c.Labels, c.Type, c.Class, includeSoa, negativeTtl, c.HasOpt, c.DnssecOk);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Write_ArSoftWritesTheSameBytesForTheMessageItRead(Case c, bool includeSoa, uint negativeTtl)
    {
        // ARSoft compresses as Postern does (SOA owner to the question's name, RNAME to MNAME),
        // except that it would also point MNAME into a question name that shares its suffix, and
        // that it writes a root owner as its one byte where Postern points at the question's root
        // (both valid, RFC 1035 section 4.1.4; Postern's is one byte longer).
        Assert.Equal(DnsQueryError.None, DnsQuery.TryRead(c.Query, out DnsQuery query));
        byte[] buffer = new byte[NoDataReply.MaxLength(query.QuestionEnd)];
        byte[] reply = buffer[..NoDataReply.Write(c.Query, query, includeSoa, negativeTtl, buffer)];
        bool sharesSuffixWithMname = c.Labels.Length != 0 && c.Labels[^1].Equals("invalid", StringComparison.OrdinalIgnoreCase);

        byte[] again = ArSoftOracle.Encode(ArSoftOracle.Parse(reply));

        if (c.Labels.Length == 0 && includeSoa)
        {
            Assert.Equal(reply.Length - 1, again.Length);
            ArSoftOracle.AssertNoDataReply(again, c.Id, c.Flags, c.Labels, c.Type, c.Class, includeSoa, negativeTtl, c.HasOpt, c.DnssecOk);
        }
        else if (sharesSuffixWithMname && includeSoa)
        {
            Assert.True(again.Length < reply.Length);
            ArSoftOracle.AssertNoDataReply(again, c.Id, c.Flags, c.Labels, c.Type, c.Class, includeSoa, negativeTtl, c.HasOpt, c.DnssecOk);
        }
        else
        {
            Assert.Equal(Convert.ToHexString(reply), Convert.ToHexString(again));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Query_ArSoftAndDnsQueryReadTheSameFields(Case c, bool includeSoa, uint negativeTtl)
    {
        _ = includeSoa;
        _ = negativeTtl;
        Assert.Equal(DnsQueryError.None, DnsQuery.TryRead(c.Query, out DnsQuery query));

        DnsMessage parsed = ArSoftOracle.Parse(c.Query);

        Assert.True(parsed.IsQuery);
        Assert.Equal(query.Header.Id, parsed.TransactionID);
        DnsQuestion question = Assert.Single(parsed.Questions);
        Assert.Equal(c.Labels, question.Name.Labels);
        Assert.Equal(query.QuestionType, (ushort)question.RecordType);
        Assert.Equal(query.QuestionClass, (ushort)question.RecordClass);
        Assert.Equal(query.HasOpt, parsed.IsEDnsEnabled);
        if (query.HasOpt)
        {
            OptRecord opt = parsed.EDnsOptions!;
            Assert.Equal(query.OptUdpPayloadSize, opt.UdpPayloadSize);
            Assert.Equal(query.OptVersion, opt.Version);
            Assert.Equal(query.OptExtendedRcode, ArSoftOracle.ExtendedRcodeField(opt));
            Assert.Equal(query.DnssecOk, opt.IsDnsSecOk);
        }
        Span<char> name = stackalloc char[DnsReader.MaxNameLength];
        int written = DnsReader.ReadLowerCaseName(c.Query, query.QuestionNameOffset, name);
        Assert.Equal(string.Join('.', question.Name.Labels).ToLowerInvariant(), name[..written].ToString());
    }

    [Fact]
    public void Cases_CoverEveryQuestionShapeAndOptVariant()
    {
        // A guard on the table above: a variant dropped from it would silently go unchecked.
        Assert.Contains(All, c => c.Type == DnsType.AAAA && c.HasOpt && c.DnssecOk);
        Assert.Contains(All, c => c.Type == DnsType.HTTPS && !c.HasOpt);
        Assert.Contains(All, c => c.Type == DnsType.SVCB);
        Assert.Contains(All, c => c.Labels.Length == 0);
        Assert.Contains(All, c => Encoding.ASCII.GetByteCount(string.Join('.', c.Labels)) == DnsReader.MaxNameLength - 2);
        Assert.Contains(All, c => (c.Flags & DnsHeader.FlagCD) != 0);
        Assert.Contains(All, c => !c.HasOpt);
    }
}
