namespace Postern.Testing;

/// <summary>How a <see cref="PunchLab"/> site's NAT maps and filters UDP (RFC 4787 terms). Whether
/// its WAN side also has a firewall is separate: <see cref="SiteOptions.WanFirewall"/>.</summary>
public enum SiteNat
{
    /// <summary>Plain MASQUERADE: endpoint-independent mapping (the source port is kept where it is
    /// free, and one mapping serves every destination), address-and-port-dependent filtering
    /// (conntrack lets in only what answers a tuple it has seen): a port-restricted cone.</summary>
    Cone,

    /// <summary>MASQUERADE --random-fully: a new random public port per destination address and
    /// port (address-and-port-dependent mapping), filtering as <see cref="Cone"/>.</summary>
    Symmetric,

    /// <summary>Endpoint-independent mapping and endpoint-independent filtering, which Linux has no
    /// target for, emulated: MASQUERADE plus a PREROUTING DNAT of every inbound UDP datagram on the
    /// WAN to the site's next hop inside, port unchanged. A datagram that answers a mapping matches
    /// its conntrack entry and is un-NATed as usual; one from a remote the site never sent to is NEW,
    /// so it passes nat PREROUTING and goes to inside-address:same-port. MASQUERADE keeps a free
    /// source port, so for every port-preserved mapping (inside:P -> public:P) "same port" is the
    /// mapping's own inside endpoint: any remote reaches it, which is full-cone filtering. Two
    /// limits, both stricter than no NAT at all but looser than a real full cone: a mapping whose port
    /// MASQUERADE had to change is not reached (the datagram goes to the public port's number
    /// inside), and ports that were never mapped are forwarded too (like a DMZ host). Not available
    /// with <see cref="PunchLab.SameNat"/> (two hosts, one DNAT target).</summary>
    FullCone,
}
