namespace Postern.Map;

/// <summary>Whether a host the kept port never sent to can reach it (RFC 4787 section 5), as
/// tested by a reflector's other address (RFC 5780 CHANGE-REQUEST).</summary>
public enum NatFiltering
{
    /// <summary>Not tested: no server has an RFC 5780 other address, or the transport is TCP.</summary>
    Unknown,

    /// <summary>The answer from the other address and port came in: inbound works.</summary>
    Open,

    /// <summary>The primary address answered, the other address's answer never came: the NAT
    /// lets in only what answers traffic it has seen.</summary>
    Filtered,
}
