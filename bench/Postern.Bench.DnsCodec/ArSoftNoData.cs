using System.Reflection;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Postern.Wire;

namespace Postern.Bench.DnsCodec;

/// <summary>The NODATA answer as ARSoft.Tools.Net would give it, field for field the message
/// Postern writes: parse the query, build the response with the synthesized SOA and an OPT when
/// the query had one, encode it.</summary>
public static class ArSoftNoData
{
    // 3.6.1 encodes only on the way to a transport (DnsMessageBase.Encode() is internal); a
    // delegate to that same encoder costs what the server's own call does, not a reflection call.
    private static readonly Func<DnsMessageBase, DnsRawPackage> Encode =
        (typeof(DnsMessageBase).GetMethod("Encode", BindingFlags.Instance | BindingFlags.NonPublic, Type.EmptyTypes)
         ?? throw new InvalidOperationException("ARSoft.Tools.Net has no internal DnsMessageBase.Encode(): is it still 3.6.1?"))
        .CreateDelegate<Func<DnsMessageBase, DnsRawPackage>>();

    // Built once, as a server would hold its own SOA names.
    private static readonly DomainName Mname = DomainName.Parse("postern.invalid");
    private static readonly DomainName Rname = DomainName.Parse("hostmaster.postern.invalid");

    /// <summary>Answers <paramref name="query"/>; the reply is the returned segment.</summary>
    public static ArraySegment<byte> Answer(byte[] query, int negativeTtl)
    {
        DnsMessage parsed = DnsMessage.Parse(query);
        DnsQuestion question = parsed.Questions[0];
        var reply = new DnsMessage
        {
            TransactionID = parsed.TransactionID,
            IsQuery = false,
            OperationCode = OperationCode.Query,
            IsRecursionDesired = parsed.IsRecursionDesired,
            IsCheckingDisabled = parsed.IsCheckingDisabled,
            IsRecursionAllowed = true,
            ReturnCode = ReturnCode.NoError,
        };
        reply.Questions.Add(question);
        reply.AuthorityRecords.Add(new SoaRecord(question.Name, negativeTtl, Mname, Rname, 1, 3600, 600, 86400, negativeTtl));
        if (parsed.IsEDnsEnabled)
        {
            reply.AdditionalRecords.Add(new OptRecord(NoDataReply.AdvertisedUdpPayloadSize) { IsDnsSecOk = parsed.IsDnsSecOk });
        }
        return Encode(reply).ToArraySegment(false);
    }
}
