using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Postern.Hosting;
using Postern.Netfilter;

namespace Postern.Map;

/// <summary>The rule postern-map owns with --forward-to: one nat PREROUTING DNAT of new
/// connections (or UDP flows) to the kept port, to the local service, so that the service sees
/// each client's real address. Answers to postern-map's own STUN requests are not new (they
/// match the flow the request made), so the kept path is never forwarded. The rule is managed
/// as postern-aaaa's are (<see cref="RuleSet"/>): tagged, inserted only when absent, verified,
/// repaired, removed on stop, and removed at start or by --cleanup after a crash.</summary>
public static class ForwardRules
{
    /// <summary>"postern-map:udp40000": the role, the transport and the kept port, so that two
    /// instances on two ports never touch each other's rule.</summary>
    public static string Tag(MapProtocol protocol, int port) =>
        "postern-map:" + (protocol == MapProtocol.Udp ? "udp" : "tcp") + port.ToString(CultureInfo.InvariantCulture);

    public static IpFamily FamilyOf(IPEndPoint endpoint) =>
        endpoint.AddressFamily == AddressFamily.InterNetworkV6 ? IpFamily.Ipv6 : IpFamily.Ipv4;

    /// <summary>Every place the rule may be, for stale-rule cleanup whatever the options were.</summary>
    public static IReadOnlyList<RulePlace> AllPlaces { get; } = new[]
    {
        new RulePlace(IpFamily.Ipv4, "nat", "PREROUTING"),
        new RulePlace(IpFamily.Ipv6, "nat", "PREROUTING"),
    };

    public static IReadOnlyList<FirewallRule> Build(MapProtocol protocol, IPEndPoint bind, IPEndPoint target)
    {
        string port = bind.Port.ToString(CultureInfo.InvariantCulture);
        var spec = new List<string> { "-p", protocol == MapProtocol.Udp ? "udp" : "tcp" };
        if (!bind.Address.Equals(IPAddress.Any) && !bind.Address.Equals(IPAddress.IPv6Any))
        {
            spec.AddRange(new[] { "-d", bind.Address.ToString() });
        }
        spec.AddRange(new[] { "--dport", port, "-m", "conntrack", "--ctstate", "NEW", "-j", "DNAT", "--to-destination", HostEndpoint.Format(target) });
        return new[] { new FirewallRule(FamilyOf(bind), "nat", "PREROUTING", spec, Tag(protocol, bind.Port)) };
    }

    public static RuleSet For(MapOptions options, Iptables iptables) =>
        new(iptables, Tag(options.Protocol, options.Bind.Port),
            options.ForwardTo is { } target ? Build(options.Protocol, options.Bind, target) : Array.Empty<FirewallRule>(),
            AllPlaces);
}
