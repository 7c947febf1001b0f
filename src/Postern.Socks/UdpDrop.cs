namespace Postern.Socks;

/// <summary>Why a datagram on an association was not relayed; each has a counter (udp-dropped.&lt;name&gt;).</summary>
public enum UdpDrop
{
    /// <summary>To the client-side port from an address other than the TCP peer's (RFC 1928 section 7).</summary>
    NotClient,

    /// <summary>From the client's address but not the port its first datagram came from.</summary>
    WrongPort,

    /// <summary>A header that is too short, has RSV set, or an empty name.</summary>
    Malformed,

    /// <summary>FRAG other than 0 (section 7: fragmentation is optional; this server drops them).</summary>
    Fragment,

    /// <summary>ATYP none of 1, 3, 4.</summary>
    AddressType,

    /// <summary>Longer than --max-datagram.</summary>
    TooLarge,

    /// <summary>From a remote before the client had sent anything (no port to send it to yet).</summary>
    BeforeClient,

    /// <summary>To a name whose lookup is running, or started by this datagram: the one that
    /// started it is held and sent when the lookup ends (counted here only, not as relayed).</summary>
    NamePending,

    /// <summary>To a name that does not resolve, or more names than an association keeps.</summary>
    NameFailed,

    /// <summary>An IPv6 destination on a relay without IPv6, or an address that cannot be sent to.</summary>
    Unroutable,
}
