using System.Net;
using Postern.Map;
using Postern.Netfilter;
using Xunit;

namespace Postern.Map.Tests;

public sealed class ForwardRulesTests
{
    [Fact]
    public void OneTaggedDnatOfNewFlowsToTheKeptPort()
    {
        FirewallRule rule = Assert.Single(ForwardRules.Build(MapProtocol.Udp, new IPEndPoint(IPAddress.Any, 40000), IPEndPoint.Parse("198.51.100.2:6881")));
        Assert.Equal(("nat", "PREROUTING", IpFamily.Ipv4, "postern-map:udp40000"), (rule.Table, rule.Chain, rule.Family, rule.Tag));
        Assert.Equal(new[] { "-p", "udp", "--dport", "40000", "-m", "conntrack", "--ctstate", "NEW", "-j", "DNAT", "--to-destination", "198.51.100.2:6881" }, rule.Spec);
    }

    [Fact]
    public void ABoundAddressNarrowsTheRuleAndIpv6GoesToIp6tables()
    {
        FirewallRule rule = Assert.Single(ForwardRules.Build(MapProtocol.Tcp, IPEndPoint.Parse("[2001:db8::2]:51413"), IPEndPoint.Parse("[2001:db8::2]:6881")));
        Assert.Equal(IpFamily.Ipv6, rule.Family);
        Assert.Equal("postern-map:tcp51413", rule.Tag);
        Assert.Equal(new[] { "-p", "tcp", "-d", "2001:db8::2", "--dport", "51413" }, rule.Spec.Take(6));
        Assert.Equal("[2001:db8::2]:6881", rule.Spec[^1]);
    }

    [Theory]
    [InlineData("127.0.0.1:6881", "loopback")]
    [InlineData("[2001:db8::2]:6881", "address family")]
    public void AForwardTargetDnatCannotReachIsRefused(string target, string why)
    {
        var options = new MapOptions
        {
            Bind = new IPEndPoint(IPAddress.Any, 40000),
            Servers = new[] { ("203.0.113.10", 3478) },
            ForwardTo = IPEndPoint.Parse(target),
        };
        string? problem = options.Validate();
        Assert.StartsWith("--forward-to:", problem);
        Assert.Contains(why, problem, StringComparison.Ordinal);
    }
}
