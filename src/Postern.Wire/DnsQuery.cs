namespace Postern.Wire;

/// <summary>What a responder needs from a single-question query: the header, where the question
/// lies, and the EDNS(0) OPT record's fields when there is one.</summary>
public readonly struct DnsQuery
{
    public DnsHeader Header { get; init; }
    public int QuestionNameOffset { get; init; }
    public ushort QuestionType { get; init; }
    public ushort QuestionClass { get; init; }

    /// <summary>Offset just past the question: the header and question are bytes [0, QuestionEnd).</summary>
    public int QuestionEnd { get; init; }

    public bool HasOpt { get; init; }
    public ushort OptUdpPayloadSize { get; init; }
    public byte OptVersion { get; init; }
    public byte OptExtendedRcode { get; init; }

    /// <summary>The DNSSEC OK bit (RFC 3225 section 3).</summary>
    public bool DnssecOk { get; init; }

    private const uint DnssecOkBit = 0x8000;

    /// <summary>Reads a message as a query with exactly one question and, at most, one OPT record
    /// in the additional section (RFC 1035 section 4.1, RFC 6891 section 6.1.1).</summary>
    public static DnsQueryError TryRead(ReadOnlySpan<byte> message, out DnsQuery query)
    {
        query = default;
        if (!DnsHeader.TryRead(message, out DnsHeader header))
        {
            return DnsQueryError.Malformed;
        }
        if (header.IsResponse)
        {
            return DnsQueryError.Response;
        }
        if (header.Opcode != 0)
        {
            return DnsQueryError.Opcode;
        }
        if (header.QuestionCount != 1)
        {
            return DnsQueryError.QuestionCount;
        }
        if (header.AnswerCount != 0 || header.AuthorityCount != 0)
        {
            return DnsQueryError.UnexpectedRecords;
        }

        var reader = new DnsReader(message);
        if (!reader.TryReadQuestion(out int nameOffset, out ushort type, out ushort @class))
        {
            return DnsQueryError.Malformed;
        }
        int questionEnd = reader.Position;

        bool hasOpt = false;
        ushort udpSize = 0;
        uint optTtl = 0;
        for (int i = 0; i < header.AdditionalCount; i++)
        {
            int recordStart = reader.Position;
            if (!reader.TryReadRecord(out ushort recordType, out ushort recordClass, out uint ttl, out _, out _))
            {
                return DnsQueryError.Malformed;
            }
            // RFC 6891 section 6.1.1: the OPT owner is the root, and there is at most one.
            if (recordType != DnsType.OPT || hasOpt || message[recordStart] != 0)
            {
                return DnsQueryError.UnexpectedAdditional;
            }
            hasOpt = true;
            udpSize = recordClass;
            optTtl = ttl;
        }
        if (reader.Remaining != 0)
        {
            return DnsQueryError.Malformed;
        }

        query = new DnsQuery
        {
            Header = header,
            QuestionNameOffset = nameOffset,
            QuestionType = type,
            QuestionClass = @class,
            QuestionEnd = questionEnd,
            HasOpt = hasOpt,
            OptUdpPayloadSize = udpSize,
            OptExtendedRcode = (byte)(optTtl >> 24),
            OptVersion = (byte)(optTtl >> 16),
            DnssecOk = hasOpt && (optTtl & DnssecOkBit) != 0,
        };
        return DnsQueryError.None;
    }
}
