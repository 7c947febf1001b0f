namespace Postern.Wire;

/// <summary>Why a datagram from the gateway was no answer to the request sent (NAT-PMP, PCP).</summary>
public enum GatewayParseStatus
{
    Ok,
    Truncated,
    /// <summary>Another version than asked: for a PCP request, a NAT-PMP server's version-0 answer.</summary>
    WrongVersion,
    WrongOpcode,
    /// <summary>A request bit missing, reserved fields used, an answer shorter than its form.</summary>
    Malformed,
    /// <summary>Well-formed, but for another request: another internal port, protocol or nonce.</summary>
    WrongRequest,
}
