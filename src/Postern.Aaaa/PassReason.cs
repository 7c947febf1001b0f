namespace Postern.Aaaa;

/// <summary>Why a queued packet was let through instead of answered. Counted one by one.</summary>
public enum PassReason : byte
{
    NotUdp,
    Fragment,
    Truncated,
    Malformed,
    Response,
    Opcode,
    QuestionCount,
    OtherRecords,
    OtherType,
    OtherClass,
    EdnsVersion,
    ExceptedDomain,
    ExceptedClient,
    Dnssec,
    Ipv6Route,
    SendError,
}

public static class PassReasons
{
    public const int Count = (int)PassReason.SendError + 1;

    public static string Name(PassReason reason) => reason switch
    {
        PassReason.NotUdp => "not-udp",
        PassReason.Fragment => "fragment",
        PassReason.Truncated => "truncated",
        PassReason.Malformed => "malformed",
        PassReason.Response => "response",
        PassReason.Opcode => "opcode",
        PassReason.QuestionCount => "qdcount",
        PassReason.OtherRecords => "other-records",
        PassReason.OtherType => "other-type",
        PassReason.OtherClass => "other-class",
        PassReason.EdnsVersion => "edns-version",
        PassReason.ExceptedDomain => "except-domain",
        PassReason.ExceptedClient => "except-client",
        PassReason.Dnssec => "dnssec",
        PassReason.Ipv6Route => "ipv6-route",
        PassReason.SendError => "send-error",
        _ => "unknown",
    };
}
