using System.Reflection;
using System.Text;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace Postern.Wire.Tests;

/// <summary>ARSoft.Tools.Net 3.6.1 as an independent DNS codec: it parses what Postern writes and
/// writes what Postern reads. It shares no code or assumptions with Postern.Wire, so a field that
/// both agree on is right twice over.</summary>
public static class ArSoftOracle
{
    // 3.6.1 encodes only on the way to a transport (DnsMessageBase.Encode() is internal, called by
    // the client and server with a random ID and 0x20 bits of their own). The tests call that same
    // encoder directly, so that the message is written exactly as built.
    private static readonly MethodInfo EncodeMethod =
        typeof(DnsMessageBase).GetMethod("Encode", BindingFlags.Instance | BindingFlags.NonPublic, Type.EmptyTypes)
        ?? throw new InvalidOperationException("ARSoft.Tools.Net has no internal DnsMessageBase.Encode(): is it still 3.6.1?");

    /// <summary>The message as ARSoft.Tools.Net writes it for UDP: no TCP length prefix.</summary>
    public static byte[] Encode(DnsMessageBase message)
    {
        var package = (DnsRawPackage)EncodeMethod.Invoke(message, null)!;
        return package.ToArraySegment(false).ToArray();
    }

    public static DnsMessage Parse(byte[] message) => DnsMessage.Parse(message);

    /// <summary>Whether ARSoft.Tools.Net rejects the message (it throws on every byte it misses).</summary>
    public static bool Rejects(byte[] message)
    {
        try
        {
            DnsMessage.Parse(message);
            return false;
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or FormatException or NotSupportedException or InvalidCastException)
        {
            return true;
        }
    }

    /// <summary>A name from raw label bytes. ARSoft keeps labels as ASCII strings: only bytes below
    /// 0x80 survive its round trip, so the generators for these tests stay below 0x80.</summary>
    public static DomainName Name(byte[][] labels) =>
        labels.Length == 0 ? DomainName.Root : new DomainName(labels.Select(label => Encoding.ASCII.GetString(label)).ToArray());

    /// <summary>The labels of a name as they appear on the wire, case kept.</summary>
    public static string[] Labels(byte[][] labels) => labels.Select(label => Encoding.ASCII.GetString(label)).ToArray();

    /// <summary>The 8-bit EXTENDED-RCODE field of an OPT record (RFC 6891 section 6.1.3). ARSoft
    /// holds it already shifted into place above the header's 4-bit RCODE.</summary>
    public static byte ExtendedRcodeField(OptRecord opt) => (byte)((ushort)opt.ExtendedReturnCode >> 4);

    /// <summary>Checks, field by field, that <paramref name="reply"/> is Postern's NODATA answer
    /// (RFC 2308 section 2.2) to a query with the given ID, flags, question and OPT, as ARSoft
    /// reads it; and that ARSoft needs every byte of it (no trailing bytes).</summary>
    public static DnsMessage AssertNoDataReply(byte[] reply, ushort id, ushort queryFlags, string[] questionLabels, ushort type, ushort @class,
        bool includeSoa, uint negativeTtl, bool queryHasOpt, bool queryDnssecOk)
    {
        DnsMessage message = Parse(reply);

        // Header (RFC 1035 section 4.1.1): the query's ID; a response to a standard query; AA,
        // TC, AD clear; RD and CD copied; RA set; NOERROR, extended RCODE included.
        Assert.Equal(id, message.TransactionID);
        Assert.False(message.IsQuery);
        Assert.Equal(OperationCode.Query, message.OperationCode);
        Assert.False(message.IsAuthoritiveAnswer);
        Assert.False(message.IsTruncated);
        Assert.Equal((queryFlags & DnsHeader.FlagRD) != 0, message.IsRecursionDesired);
        Assert.True(message.IsRecursionAllowed);
        Assert.False(message.IsAuthenticData);
        Assert.Equal((queryFlags & DnsHeader.FlagCD) != 0, message.IsCheckingDisabled);
        Assert.Equal(ReturnCode.NoError, message.ReturnCode);

        // The question as asked, case kept (RFC 5452 0x20 randomization).
        DnsQuestion question = Assert.Single(message.Questions);
        Assert.Equal(questionLabels, question.Name.Labels);
        Assert.Equal(type, (ushort)question.RecordType);
        Assert.Equal(@class, (ushort)question.RecordClass);

        Assert.Empty(message.AnswerRecords);

        if (includeSoa)
        {
            // RFC 2308 section 3: owner is the question's name; TTL and MINIMUM both the negative TTL.
            SoaRecord soa = Assert.IsType<SoaRecord>(Assert.Single(message.AuthorityRecords));
            Assert.Equal(questionLabels, soa.Name.Labels);
            Assert.Equal(RecordType.Soa, soa.RecordType);
            Assert.Equal(RecordClass.INet, soa.RecordClass);
            Assert.Equal(negativeTtl, unchecked((uint)soa.TimeToLive));
            Assert.Equal(["postern", "invalid"], soa.MasterName.Labels);
            Assert.Equal(["hostmaster", "postern", "invalid"], soa.ResponsibleName.Labels);
            Assert.Equal(1u, soa.SerialNumber);
            Assert.Equal(3600, soa.RefreshInterval);
            Assert.Equal(600, soa.RetryInterval);
            Assert.Equal(86400, soa.ExpireInterval);
            Assert.Equal(negativeTtl, unchecked((uint)soa.NegativeCachingTTL));
        }
        else
        {
            Assert.Empty(message.AuthorityRecords);
        }

        // RFC 6891 section 6.1.1: an OPT only when the query had one; root owner, Postern's size,
        // version 0, extended RCODE 0, DO copied (RFC 3225 section 3), no options.
        if (queryHasOpt)
        {
            OptRecord opt = Assert.IsType<OptRecord>(Assert.Single(message.AdditionalRecords));
            Assert.Same(opt, message.EDnsOptions);
            Assert.Equal(0, opt.Name.LabelCount);
            Assert.Equal(NoDataReply.AdvertisedUdpPayloadSize, opt.UdpPayloadSize);
            Assert.Equal(0, opt.Version);
            Assert.Equal(0, ExtendedRcodeField(opt));
            Assert.Equal(queryDnssecOk, opt.IsDnsSecOk);
            Assert.Equal(queryDnssecOk ? 0x8000 : 0, opt.TimeToLive);
            Assert.Empty(opt.Options);
        }
        else
        {
            Assert.Empty(message.AdditionalRecords);
            Assert.False(message.IsEDnsEnabled);
        }
        Assert.Null(message.TSigOptions);

        // ARSoft reads to the last byte: without it, the same reply no longer parses.
        Assert.True(Rejects(reply[..^1]), "ARSoft still parses the reply without its last byte: it has trailing bytes");
        return message;
    }
}
