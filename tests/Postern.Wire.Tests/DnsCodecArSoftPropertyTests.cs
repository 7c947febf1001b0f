using ARSoft.Tools.Net.Dns;
using FsCheck;
using FsCheck.Fluent;

namespace Postern.Wire.Tests;

/// <summary>Generated queries go through both codecs: ARSoft.Tools.Net writes and Postern reads;
/// a hand-built query is read by both and Postern's reply to it is read by ARSoft. Both agree on
/// every field, and both reject every truncation.</summary>
public class DnsCodecArSoftPropertyTests
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(500);

    // Each truncation costs ARSoft an exception: fewer cases, every prefix of each.
    private static readonly Config TruncationConfig = Config.QuickThrowOnFailure.WithMaxTest(150);

    [Fact]
    public void DnsQueryTryRead_QueryWrittenByArSoft_ReadsEveryField()
    {
        Check.One(Config, Prop.ForAll(ArSoftGenerators.Query.ToArbitrary(), (ArSoftQuerySpec spec) =>
        {
            byte[] message = spec.ToArSoftMessage();

            Assert.Equal(DnsQueryError.None, DnsQuery.TryRead(message, out DnsQuery query));

            Assert.Equal(spec.Id, query.Header.Id);
            Assert.Equal(spec.Flags, query.Header.Flags);
            Assert.False(query.Header.IsResponse);
            Assert.Equal(0, query.Header.Opcode);
            Assert.Equal(1, query.Header.QuestionCount);
            Assert.Equal(spec.HasOpt ? 1 : 0, query.Header.AdditionalCount);
            Assert.Equal(DnsHeader.Length, query.QuestionNameOffset);
            Assert.Equal(spec.Type, query.QuestionType);
            Assert.Equal(spec.Class, query.QuestionClass);
            Assert.Equal(DnsHeader.Length + spec.NameWireLength + 4, query.QuestionEnd);
            Assert.Equal(spec.HasOpt, query.HasOpt);
            Assert.Equal(spec.HasOpt ? spec.UdpPayloadSize : 0, query.OptUdpPayloadSize);
            Assert.Equal(spec.HasOpt ? spec.Version : 0, query.OptVersion);
            Assert.Equal(spec.HasOpt ? spec.ExtendedRcode : 0, query.OptExtendedRcode);
            Assert.Equal(spec.HasOpt && spec.DnssecOk, query.DnssecOk);

            Assert.True(DnsReader.TryMeasureName(message, query.QuestionNameOffset, out int wireLength, out int nameLength));
            Assert.Equal(spec.NameWireLength, wireLength);
            Assert.Equal(spec.NameWireLength, nameLength);
            char[] name = new char[253];
            int written = DnsReader.ReadLowerCaseName(message, query.QuestionNameOffset, name);
            Assert.Equal(string.Join('.', spec.LabelStrings).ToLowerInvariant(), new string(name, 0, written));

            // ARSoft wrote what a hand-built query holds, byte for byte.
            Assert.Equal(Convert.ToHexString(spec.ToHandBuiltMessage()), Convert.ToHexString(message));
        }));
    }

    [Fact]
    public void HandBuiltQuery_ArSoftAndDnsQueryAgree_AndArSoftReadsTheNoDataReply()
    {
        Check.One(Config, Prop.ForAll(ArSoftGenerators.Query.ToArbitrary(), (ArSoftQuerySpec spec) =>
        {
            byte[] message = spec.ToHandBuiltMessage();
            Assert.Equal(DnsQueryError.None, DnsQuery.TryRead(message, out DnsQuery query));

            DnsMessage parsed = ArSoftOracle.Parse(message);

            Assert.Equal(query.Header.Id, parsed.TransactionID);
            Assert.Equal(!query.Header.IsResponse, parsed.IsQuery);
            Assert.Equal(query.Header.Opcode, (int)parsed.OperationCode);
            Assert.Equal((query.Header.Flags & DnsHeader.FlagAA) != 0, parsed.IsAuthoritiveAnswer);
            Assert.Equal((query.Header.Flags & DnsHeader.FlagTC) != 0, parsed.IsTruncated);
            Assert.Equal((query.Header.Flags & DnsHeader.FlagRD) != 0, parsed.IsRecursionDesired);
            Assert.Equal((query.Header.Flags & DnsHeader.FlagRA) != 0, parsed.IsRecursionAllowed);
            Assert.Equal((query.Header.Flags & DnsHeader.FlagAD) != 0, parsed.IsAuthenticData);
            Assert.Equal((query.Header.Flags & DnsHeader.FlagCD) != 0, parsed.IsCheckingDisabled);
            DnsQuestion question = Assert.Single(parsed.Questions);
            Assert.Equal(spec.LabelStrings, question.Name.Labels);
            Assert.Equal(query.QuestionType, (ushort)question.RecordType);
            Assert.Equal(query.QuestionClass, (ushort)question.RecordClass);
            Assert.Empty(parsed.AnswerRecords);
            Assert.Empty(parsed.AuthorityRecords);
            Assert.Equal(query.HasOpt, parsed.IsEDnsEnabled);
            if (query.HasOpt)
            {
                OptRecord opt = Assert.IsType<OptRecord>(Assert.Single(parsed.AdditionalRecords));
                Assert.Equal(query.OptUdpPayloadSize, opt.UdpPayloadSize);
                Assert.Equal(query.OptVersion, opt.Version);
                Assert.Equal(query.OptExtendedRcode, ArSoftOracle.ExtendedRcodeField(opt));
                Assert.Equal(query.DnssecOk, opt.IsDnsSecOk);
                Assert.Equal(spec.Options.Select(o => (ushort)o.Code), opt.Options.Select(o => (ushort)o.Type));
                // The header's four RCODE bits and the OPT's eight make one 12-bit RCODE.
                Assert.Equal((query.OptExtendedRcode << 4) | (query.Header.Flags & DnsHeader.RcodeMask), (int)parsed.ReturnCode);
            }
            else
            {
                Assert.Equal(query.Header.Flags & DnsHeader.RcodeMask, (int)parsed.ReturnCode);
            }

            byte[] buffer = new byte[NoDataReply.MaxLength(query.QuestionEnd)];
            int length = NoDataReply.Write(message, query, spec.IncludeSoa, spec.NegativeTtl, buffer);
            Assert.InRange(length, query.QuestionEnd, buffer.Length);

            ArSoftOracle.AssertNoDataReply(buffer[..length], spec.Id, spec.Flags, spec.LabelStrings, spec.Type, spec.Class,
                spec.IncludeSoa, spec.NegativeTtl, spec.HasOpt, spec.DnssecOk);
        }));
    }

    [Fact]
    public void EveryTruncation_OfAQueryArSoftWrote_IsRejectedByBoth()
    {
        Check.One(TruncationConfig, Prop.ForAll(ArSoftGenerators.Query.ToArbitrary(), (ArSoftQuerySpec spec) =>
        {
            byte[] message = spec.ToArSoftMessage();
            Assert.Equal(DnsQueryError.None, DnsQuery.TryRead(message, out _));
            Assert.False(ArSoftOracle.Rejects(message));

            for (int length = 0; length < message.Length; length++)
            {
                byte[] prefix = message[..length];
                Assert.Equal(DnsQueryError.Malformed, DnsQuery.TryRead(prefix, out DnsQuery truncated));
                Assert.Equal(default, truncated);
                Assert.True(ArSoftOracle.Rejects(prefix), $"ARSoft accepts the first {length} of {message.Length} bytes");
            }
        }));
    }

    [Fact]
    public void EveryTruncation_OfANoDataReply_IsRejectedByArSoftAndByDnsReader()
    {
        // The reply has no byte that a reader could do without: ARSoft needs every one, and
        // DnsReader cannot walk the reply's sections in any shorter prefix.
        Check.One(TruncationConfig, Prop.ForAll(ArSoftGenerators.Query.ToArbitrary(), (ArSoftQuerySpec spec) =>
        {
            byte[] message = spec.ToHandBuiltMessage();
            Assert.Equal(DnsQueryError.None, DnsQuery.TryRead(message, out DnsQuery query));
            byte[] buffer = new byte[NoDataReply.MaxLength(query.QuestionEnd)];
            byte[] reply = buffer[..NoDataReply.Write(message, query, spec.IncludeSoa, spec.NegativeTtl, buffer)];
            int records = (spec.IncludeSoa ? 1 : 0) + (spec.HasOpt ? 1 : 0);
            Assert.True(WalksToItsEnd(reply, records));

            for (int length = 0; length < reply.Length; length++)
            {
                byte[] prefix = reply[..length];
                Assert.True(ArSoftOracle.Rejects(prefix), $"ARSoft accepts the first {length} of {reply.Length} bytes");
                Assert.False(WalksToItsEnd(prefix, records));
            }
        }));
    }

    private static bool WalksToItsEnd(byte[] message, int records)
    {
        if (!DnsHeader.TryRead(message, out _))
        {
            return false;
        }
        var reader = new DnsReader(message);
        if (!reader.TryReadQuestion(out _, out _, out _))
        {
            return false;
        }
        for (int i = 0; i < records; i++)
        {
            if (!reader.TryReadRecord(out _, out _, out _, out _, out _))
            {
                return false;
            }
        }
        return reader.Remaining == 0;
    }
}
