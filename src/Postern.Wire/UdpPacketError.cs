namespace Postern.Wire;

/// <summary>Why a packet could not be read as one whole UDP datagram over IPv4 or IPv6.</summary>
public enum UdpPacketError : byte
{
    None = 0,
    NotIp,
    Truncated,
    BadHeader,
    NotUdp,
    Fragment,
}
