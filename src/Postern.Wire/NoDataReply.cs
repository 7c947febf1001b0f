using System.Buffers.Binary;

namespace Postern.Wire;

/// <summary>Writes the empty NOERROR answer (NODATA, RFC 2308 section 2.2) to a query: the same ID
/// and question, no answers, an optional synthesized SOA so that caches keep the negative answer,
/// and an OPT record only when the query had one.</summary>
public static class NoDataReply
{
    /// <summary>The UDP payload size Postern advertises in its OPT record (the DNS flag day 2020
    /// value).</summary>
    public const ushort AdvertisedUdpPayloadSize = 1232;

    // SOA RDATA (RFC 1035 section 3.3.13): MNAME "postern.invalid." (RFC 6761 reserves .invalid),
    // RNAME "hostmaster." plus a pointer to MNAME, then the five counters with MINIMUM last.
    private static ReadOnlySpan<byte> Mname => "\u0007postern\u0007invalid\0"u8;
    private static ReadOnlySpan<byte> RnameLabel => "\u000Ahostmaster"u8;
    private const uint Serial = 1;
    private const uint Refresh = 3600;
    private const uint Retry = 600;
    private const uint Expire = 86400;

    private const int SoaFixedLength = 2 + 2 + 2 + 4 + 2; // owner pointer, type, class, TTL, RDLENGTH
    private const int SoaCountersLength = 5 * 4;
    private const int OptLength = 1 + 2 + 2 + 4 + 2;

    /// <summary>The largest reply for a question ending at <paramref name="questionEnd"/>.</summary>
    public static int MaxLength(int questionEnd) =>
        questionEnd + SoaFixedLength + Mname.Length + RnameLabel.Length + 2 + SoaCountersLength + OptLength;

    /// <summary>Writes the reply to <paramref name="query"/> (the whole query message, read into
    /// <paramref name="parsed"/>) and returns its length, or -1 when the destination is too
    /// small.</summary>
    public static int Write(ReadOnlySpan<byte> query, in DnsQuery parsed, bool includeSoa, uint negativeTtl, Span<byte> destination)
    {
        int questionEnd = parsed.QuestionEnd;
        if (destination.Length < MaxLength(questionEnd) || questionEnd > 0x3FFF)
        {
            return -1;
        }

        ushort queryFlags = parsed.Header.Flags;
        ushort flags = (ushort)(DnsHeader.FlagQR | DnsHeader.FlagRA |
                                (queryFlags & (DnsHeader.FlagRD | DnsHeader.FlagCD)));
        new DnsHeader
        {
            Id = parsed.Header.Id,
            Flags = flags,
            QuestionCount = 1,
            AnswerCount = 0,
            AuthorityCount = (ushort)(includeSoa ? 1 : 0),
            AdditionalCount = (ushort)(parsed.HasOpt ? 1 : 0),
        }.Write(destination);

        // The question as the client sent it, case included (RFC 5452 0x20 randomization).
        query.Slice(DnsHeader.Length, questionEnd - DnsHeader.Length).CopyTo(destination.Slice(DnsHeader.Length));
        int position = questionEnd;

        if (includeSoa)
        {
            // RFC 2308 section 3: the negative TTL is the smaller of the SOA's TTL and MINIMUM;
            // both are set to it. The owner is the question's name (a pointer to it).
            Span<byte> soa = destination.Slice(position);
            BinaryPrimitives.WriteUInt16BigEndian(soa, (ushort)(0xC000 | parsed.QuestionNameOffset));
            BinaryPrimitives.WriteUInt16BigEndian(soa.Slice(2), DnsType.SOA);
            BinaryPrimitives.WriteUInt16BigEndian(soa.Slice(4), DnsType.ClassIN);
            BinaryPrimitives.WriteUInt32BigEndian(soa.Slice(6), negativeTtl);
            int rdataLength = Mname.Length + RnameLabel.Length + 2 + SoaCountersLength;
            BinaryPrimitives.WriteUInt16BigEndian(soa.Slice(10), (ushort)rdataLength);
            int mnameOffset = position + SoaFixedLength;
            Span<byte> rdata = soa.Slice(SoaFixedLength, rdataLength);
            Mname.CopyTo(rdata);
            RnameLabel.CopyTo(rdata.Slice(Mname.Length));
            int counters = Mname.Length + RnameLabel.Length;
            BinaryPrimitives.WriteUInt16BigEndian(rdata.Slice(counters), (ushort)(0xC000 | mnameOffset));
            counters += 2;
            BinaryPrimitives.WriteUInt32BigEndian(rdata.Slice(counters), Serial);
            BinaryPrimitives.WriteUInt32BigEndian(rdata.Slice(counters + 4), Refresh);
            BinaryPrimitives.WriteUInt32BigEndian(rdata.Slice(counters + 8), Retry);
            BinaryPrimitives.WriteUInt32BigEndian(rdata.Slice(counters + 12), Expire);
            BinaryPrimitives.WriteUInt32BigEndian(rdata.Slice(counters + 16), negativeTtl);
            position += SoaFixedLength + rdataLength;
        }

        if (parsed.HasOpt)
        {
            // RFC 6891 section 6.1.2-6.1.3: root owner, our payload size, extended RCODE 0,
            // version 0, and the DO bit copied from the query (RFC 3225 section 3).
            Span<byte> opt = destination.Slice(position, OptLength);
            opt[0] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(opt.Slice(1), DnsType.OPT);
            BinaryPrimitives.WriteUInt16BigEndian(opt.Slice(3), AdvertisedUdpPayloadSize);
            BinaryPrimitives.WriteUInt32BigEndian(opt.Slice(5), parsed.DnssecOk ? 0x8000u : 0u);
            BinaryPrimitives.WriteUInt16BigEndian(opt.Slice(9), 0);
            position += OptLength;
        }

        return position;
    }
}
