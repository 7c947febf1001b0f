namespace Postern.Wire;

/// <summary>Why a SOCKS5 message could not be read (or that it could).</summary>
public enum Socks5ReadStatus
{
    Ok,

    /// <summary>Fewer bytes than the message says it has: wait for more on a stream, drop a datagram.</summary>
    Truncated,

    /// <summary>The version (5, or 1 for RFC 1929) or a reserved field is wrong.</summary>
    Malformed,

    /// <summary>ATYP is none of 1, 3, 4 (the request gets reply 0x08).</summary>
    AddressType,

    /// <summary>A UDP datagram with FRAG other than 0 (section 7 lets a server drop it).</summary>
    Fragment,

    /// <summary>A domain name of length 0.</summary>
    EmptyName,
}
