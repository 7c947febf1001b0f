namespace Postern.Testing;

/// <summary>What one <see cref="PunchLab"/> site's NAT is like. The default is a cone NAT without
/// firewall, with the kernel's UDP timeouts.</summary>
public sealed record SiteOptions
{
    /// <summary>Mapping and filtering of the site's NAT (the outer one, with <see cref="DoubleNat"/>).</summary>
    public SiteNat Nat { get; init; } = SiteNat.Cone;

    /// <summary>An OpenWrt-like WAN firewall on the site's (outer) NAT:
    /// <c>-A INPUT -i WAN -m conntrack --ctstate NEW -j DROP</c> and
    /// <c>-A FORWARD -i WAN -m conntrack --ctstate NEW -m conntrack ! --ctstate DNAT -j DROP</c>
    /// (a DNATed datagram passes, as OpenWrt lets port forwards through, so
    /// <see cref="SiteNat.FullCone"/> stays full cone). It changes more than reachability: an
    /// unsolicited datagram dropped in INPUT leaves no conntrack entry, so it cannot clash with the
    /// site's own later mapping (DESIGN.md, "Linux NAT simultaneous open"); without the firewall
    /// the NAT answers ICMP port unreachable and keeps an entry for it.</summary>
    public bool WanFirewall { get; init; }

    /// <summary>With <see cref="SiteNat.FullCone"/>, TCP too: every inbound TCP connection on the
    /// WAN is DNATed to the site's next hop inside, port unchanged, as UDP is, so a port that the
    /// host keeps mapped by an outbound TCP connection (postern-map --tcp) is reachable from any
    /// remote, as behind a NAT whose TCP mapping and filtering are endpoint-independent. Off by
    /// default, so that the punch tests keep the lab they were written for.</summary>
    public bool FullConeTcp { get; init; }

    /// <summary>The host sits behind an inner NAT (plain MASQUERADE, no firewall, always cone) on
    /// 192.0.2.0/24, whose WAN side is where the host would otherwise be: carrier-grade or a
    /// router behind the ISP's box.</summary>
    public bool DoubleNat { get; init; }

    /// <summary>Sets <c>net.netfilter.nf_conntrack_udp_timeout</c> and <c>_stream</c> (whole
    /// seconds, at least 1) in every NAT namespace of the site, so that a mapping idle for that
    /// long expires: the kernel's defaults are 30 s unreplied and 120 s once it has seen traffic
    /// both ways for more than 2 s. Null keeps them.</summary>
    public TimeSpan? UdpTimeout { get; init; }
}
