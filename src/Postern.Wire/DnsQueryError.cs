namespace Postern.Wire;

/// <summary>Why a DNS message was not read as a plain, single-question query.</summary>
public enum DnsQueryError : byte
{
    None = 0,
    /// <summary>Shorter than its header and counts say, a bad name, or bytes left over.</summary>
    Malformed,
    Response,
    /// <summary>Not a standard QUERY (NOTIFY, UPDATE, ...).</summary>
    Opcode,
    /// <summary>QDCOUNT other than 1.</summary>
    QuestionCount,
    /// <summary>Records in the answer or authority section of a query.</summary>
    UnexpectedRecords,
    /// <summary>Additional records other than one OPT: TSIG, SIG(0) or a second OPT, whose replies
    /// only the real server can give.</summary>
    UnexpectedAdditional,
}
