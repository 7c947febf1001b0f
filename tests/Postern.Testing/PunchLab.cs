using System.Globalization;

namespace Postern.Testing;

/// <summary>Two sites behind NAT and a public network, for hole punching and relaying:
/// <code>
///  host A 198.51.100.2/25 -- .1 [NAT A] 203.0.113.40/28 --.33                  .1-- 203.0.113.10, .11 reflector
///                                                         [internet router]
///  host B 198.51.100.130/25 - .129 [NAT B] 203.0.113.56/28 --.49              .17-- 203.0.113.20 relay
/// </code>
/// The internet router forwards between its links (one veth and one /28 of 203.0.113.0/24 per
/// neighbour, no NAT, no firewall, no route to the sites' ranges: as on the internet, only public
/// addresses are reachable). The reflector host has two addresses (RFC 5780 --alternate); the
/// relay host is for a SOCKS5 or TURN relay (<see cref="Dante"/>). Each site's NAT is chosen
/// with <see cref="SiteOptions"/> (<see cref="SiteNat"/>, WAN firewall, double NAT, UDP timeout).
///
/// <para>Double NAT (<see cref="SiteOptions.DoubleNat"/>): the host moves behind an inner NAT,
/// <c>host 192.0.2.2/25 -- .1 [inner NAT] 198.51.100.2/25 -- .1 [NAT A]</c> (site B: 192.0.2.130,
/// .129, 198.51.100.130).</para>
///
/// <para>Same NAT (<see cref="SameNat"/>): one NAT, NAT A, with both sites' LANs on two inside
/// interfaces (198.51.100.1/25 and .129/25): the hosts reach each other by their local addresses,
/// routed, not NATed (MASQUERADE applies only leaving the WAN), and share the public address
/// 203.0.113.40. The NAT does not hairpin: a datagram from one host to the public address lands
/// on the NAT itself (nothing DNATs on the inside), so a peer must use the LAN candidate.</para>
///
/// <para>Disposing the lab removes every namespace, and with them every link, rule, sysctl and
/// process, whether the test passed or not. Addresses come only from the documentation ranges;
/// the names below are the ones to use in tests.</para></summary>
public sealed class PunchLab : IDisposable
{
    /// <summary>The reflector host's first address (203.0.113.0/28).</summary>
    public const string ReflectorAddress = "203.0.113.10";

    /// <summary>The reflector host's second address, for RFC 5780's alternate (other) address.</summary>
    public const string ReflectorAlternateAddress = "203.0.113.11";

    /// <summary>The relay host's address (203.0.113.16/28).</summary>
    public const string RelayAddress = "203.0.113.20";

    /// <summary>NAT A's public address (203.0.113.32/28); with <see cref="SameNat"/> the only NAT's.</summary>
    public const string SiteAPublicAddress = "203.0.113.40";

    /// <summary>NAT B's public address (203.0.113.48/28).</summary>
    public const string SiteBPublicAddress = "203.0.113.56";

    /// <summary>Host A's address behind one NAT (site A's LAN, 198.51.100.0/25, router .1).</summary>
    public const string SiteAHostAddress = "198.51.100.2";

    /// <summary>Host B's address behind one NAT (site B's LAN, 198.51.100.128/25, router .129).</summary>
    public const string SiteBHostAddress = "198.51.100.130";

    /// <summary>Host A's address behind a double NAT (192.0.2.0/25, inner router .1).</summary>
    public const string SiteAInnerHostAddress = "192.0.2.2";

    /// <summary>Host B's address behind a double NAT (192.0.2.128/25, inner router .129).</summary>
    public const string SiteBInnerHostAddress = "192.0.2.130";

    private readonly Lab _lab = new();
    private int _publicHosts;

    /// <summary>Two sites, each behind its own NAT (the defaults of <see cref="SiteOptions"/> when
    /// null: a cone NAT without firewall).</summary>
    public PunchLab(SiteOptions? a = null, SiteOptions? b = null)
        : this(a ?? new SiteOptions(), b ?? new SiteOptions(), sameNat: false)
    {
    }

    private PunchLab(SiteOptions a, SiteOptions b, bool sameNat)
    {
        IsSameNat = sameNat;
        try
        {
            Internet = _lab.AddHost("inet");
            Internet.EnableForwarding();
            Reflector = AddPublic("reflector", "203.0.113.1/28", ReflectorAddress + "/28", ReflectorAlternateAddress + "/28");
            Relay = AddPublic("relay", "203.0.113.17/28", RelayAddress + "/28");
            if (sameNat)
            {
                (A, B) = BuildSameNat(a);
            }
            else
            {
                A = BuildSite("a", a, "203.0.113.33", SiteAPublicAddress, SiteLan.A);
                B = BuildSite("b", b, "203.0.113.49", SiteBPublicAddress, SiteLan.B);
            }
        }
        catch
        {
            _lab.Dispose();
            throw;
        }
    }

    /// <summary>Both hosts behind one NAT (NAT A, options <paramref name="nat"/>), on two inside
    /// interfaces: the LAN case. <see cref="SiteOptions.DoubleNat"/> and
    /// <see cref="SiteNat.FullCone"/> are refused here.</summary>
    public static PunchLab SameNat(SiteOptions? nat = null)
    {
        nat ??= new SiteOptions();
        if (nat.DoubleNat || nat.Nat == SiteNat.FullCone)
        {
            throw new ArgumentException("a shared NAT is single and not full cone (two hosts, one DNAT target)", nameof(nat));
        }
        return new PunchLab(nat, nat, sameNat: true);
    }

    /// <summary>True when both sites are behind one NAT (<see cref="SameNat"/>).</summary>
    public bool IsSameNat { get; }

    public PunchSite A { get; }

    public PunchSite B { get; }

    /// <summary>The internet router between the NATs and the public hosts.</summary>
    public Netns Internet { get; }

    /// <summary>The public host with <see cref="ReflectorAddress"/> and <see cref="ReflectorAlternateAddress"/>.</summary>
    public Netns Reflector { get; }

    /// <summary>The public host with <see cref="RelayAddress"/>.</summary>
    public Netns Relay { get; }

    /// <summary>Adds one more public host on its own /28 after the lab's (203.0.113.64/28, .80/28,
    /// ...; the router is the first address, the host the second: 203.0.113.66, .82, ...).</summary>
    public (Netns Host, string Address) AddPublicHost(string role)
    {
        int n = _publicHosts++;
        if (n >= 12)
        {
            throw new InvalidOperationException("203.0.113.0/24 has no /28 left for another public host");
        }
        int subnet = 64 + 16 * n;
        string address = Public(subnet + 2);
        return (AddPublic(role, Public(subnet + 1) + "/28", address + "/28"), address);
    }

    private static string Public(int last) => "203.0.113." + last.ToString(CultureInfo.InvariantCulture);

    private Netns AddPublic(string role, string routerAddress, params string[] addresses)
    {
        Netns host = _lab.AddHost(role);
        _lab.Link(Internet, new[] { routerAddress }, host, addresses);
        host.Check("ip", "route", "add", "default", "via", routerAddress.Split('/')[0]);
        return host;
    }

    /// <summary>The addresses of one site's LAN (and inner LAN with a double NAT).</summary>
    private sealed record SiteLan(string Gateway, string Host, string InnerGateway, string InnerHost)
    {
        public static readonly SiteLan A = new("198.51.100.1", SiteAHostAddress, "192.0.2.1", SiteAInnerHostAddress);
        public static readonly SiteLan B = new("198.51.100.129", SiteBHostAddress, "192.0.2.129", SiteBInnerHostAddress);
    }

    private (Netns Nat, string Wan) AddNat(string name, string routerAddress, string publicAddress)
    {
        Netns nat = _lab.AddHost("nat-" + name);
        (_, string wan) = _lab.Link(Internet, routerAddress + "/28", nat, publicAddress + "/28");
        nat.Check("ip", "route", "add", "default", "via", routerAddress);
        nat.EnableForwarding();
        return (nat, wan);
    }

    private PunchSite BuildSite(string name, SiteOptions options, string routerAddress, string publicAddress, SiteLan lan)
    {
        (Netns nat, string wan) = AddNat(name, routerAddress, publicAddress);
        Netns? inner = null;
        string lanInterface;
        Netns host;
        string hostAddress;
        if (options.DoubleNat)
        {
            inner = _lab.AddHost("nat-" + name + "-inner");
            string innerWan;
            (lanInterface, innerWan) = _lab.Link(nat, lan.Gateway + "/25", inner, lan.Host + "/25");
            inner.Check("ip", "route", "add", "default", "via", lan.Gateway);
            inner.EnableForwarding();
            inner.Check("iptables", "-t", "nat", "-A", "POSTROUTING", "-o", innerWan, "-j", "MASQUERADE");
            host = _lab.AddHost("host-" + name);
            _lab.Link(inner, lan.InnerGateway + "/25", host, lan.InnerHost + "/25");
            host.Check("ip", "route", "add", "default", "via", lan.InnerGateway);
            hostAddress = lan.InnerHost;
        }
        else
        {
            host = _lab.AddHost("host-" + name);
            (lanInterface, _) = _lab.Link(nat, lan.Gateway + "/25", host, lan.Host + "/25");
            host.Check("ip", "route", "add", "default", "via", lan.Gateway);
            hostAddress = lan.Host;
        }
        ApplyNat(nat, wan, options, insideTarget: lan.Host);
        var site = new PunchSite(name, options, host, hostAddress, nat, publicAddress, wan, lanInterface, inner, inner is null ? null : lan.Host);
        if (options.UdpTimeout is TimeSpan timeout)
        {
            site.SetUdpTimeout(timeout);
        }
        return site;
    }

    private (PunchSite A, PunchSite B) BuildSameNat(SiteOptions options)
    {
        (Netns nat, string wan) = AddNat("ab", "203.0.113.33", SiteAPublicAddress);
        PunchSite Inside(string name, SiteLan lan)
        {
            Netns host = _lab.AddHost("host-" + name);
            (string lanInterface, _) = _lab.Link(nat, lan.Gateway + "/25", host, lan.Host + "/25");
            host.Check("ip", "route", "add", "default", "via", lan.Gateway);
            return new PunchSite(name, options, host, lan.Host, nat, SiteAPublicAddress, wan, lanInterface, null, null);
        }
        PunchSite a = Inside("a", SiteLan.A);
        PunchSite b = Inside("b", SiteLan.B);
        ApplyNat(nat, wan, options, insideTarget: null);
        if (options.UdpTimeout is TimeSpan timeout)
        {
            a.SetUdpTimeout(timeout);
        }
        return (a, b);
    }

    /// <summary>The NAT and firewall rules of one (outer) NAT; see <see cref="SiteNat"/> and
    /// <see cref="SiteOptions.WanFirewall"/> for why each is what it is.</summary>
    private static void ApplyNat(Netns nat, string wan, SiteOptions options, string? insideTarget)
    {
        var masquerade = new List<string> { "-t", "nat", "-A", "POSTROUTING", "-o", wan, "-j", "MASQUERADE" };
        if (options.Nat == SiteNat.Symmetric)
        {
            masquerade.Add("--random-fully");
        }
        nat.Check("iptables", masquerade.ToArray());
        if (options.Nat == SiteNat.FullCone)
        {
            nat.Check("iptables", "-t", "nat", "-A", "PREROUTING", "-i", wan, "-p", "udp", "-j", "DNAT",
                "--to-destination", insideTarget ?? throw new ArgumentException("full cone needs one inside target"));
            if (options.FullConeTcp)
            {
                nat.Check("iptables", "-t", "nat", "-A", "PREROUTING", "-i", wan, "-p", "tcp", "-j", "DNAT",
                    "--to-destination", insideTarget);
            }
        }
        if (options.WanFirewall)
        {
            nat.Check("iptables", "-A", "INPUT", "-i", wan, "-m", "conntrack", "--ctstate", "NEW", "-j", "DROP");
            nat.Check("iptables", "-A", "FORWARD", "-i", wan, "-m", "conntrack", "--ctstate", "NEW",
                "-m", "conntrack", "!", "--ctstate", "DNAT", "-j", "DROP");
        }
    }

    public void Dispose() => _lab.Dispose();
}
