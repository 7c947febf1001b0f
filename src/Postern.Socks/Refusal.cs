namespace Postern.Socks;

/// <summary>Why a client was turned away; each has a counter (refused.&lt;name&gt;) and a reply
/// (<see cref="SocksPolicy.ReplyFor"/>).</summary>
public enum Refusal
{
    NotAllowed,
    NoMethod,
    AuthFailed,
    Malformed,
    CommandNotSupported,
    AddressType,
    TooManyConnections,
    TooManyAssociations,
    TooManyUserAssociations,
    HandshakeTimeout,
    ResolveFailed,
    NetworkUnreachable,
    HostUnreachable,
    ConnectionRefused,
    ConnectFailed,
    UdpSetupFailed,
}
