namespace Postern.Testing;

public enum NatKind
{
    /// <summary>MASQUERADE keeping the source port where it can: the same public port for every
    /// destination (endpoint-independent mapping, RFC 4787), filtering by conntrack.</summary>
    Cone,

    /// <summary>MASQUERADE with --random-fully: a new random public port per destination
    /// (address-and-port-dependent mapping), what hole punching cannot get through.</summary>
    Symmetric,
}
