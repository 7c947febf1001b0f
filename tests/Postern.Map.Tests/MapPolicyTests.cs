using System.Net;
using Postern.Map;
using Postern.Wire;
using Xunit;

namespace Postern.Map.Tests;

public sealed class MapPolicyTests
{
    private static StunAddress At(string endpoint) => StunAddress.FromIPEndPoint(IPEndPoint.Parse(endpoint));

    private static Mapping Udp(string publicEndpoint) =>
        new(MapProtocol.Udp, IPEndPoint.Parse(publicEndpoint), IPEndPoint.Parse("198.51.100.2:40000"));

    [Fact]
    public void TheSameMappingTowardsTwoAddressesIsEndpointIndependent() =>
        Assert.Equal(NatMapping.EndpointIndependent, MapPolicy.JudgeMapping(At("203.0.113.40:40000"), At("203.0.113.40:40000")));

    [Fact]
    public void AnotherPortTowardsAnotherAddressIsAddressDependent() =>
        Assert.Equal(NatMapping.AddressDependent, MapPolicy.JudgeMapping(At("203.0.113.40:40000"), At("203.0.113.40:51234")));

    [Fact]
    public void NothingToCompareWithIsUnknown()
    {
        Assert.Equal(NatMapping.Unknown, MapPolicy.JudgeMapping(At("203.0.113.40:40000"), null));
        Assert.Equal(NatMapping.Unknown, MapPolicy.JudgeMapping(At("203.0.113.40:40000"), default(StunAddress)));
    }

    [Theory]
    [InlineData(false, false, NatFiltering.Unknown)]
    [InlineData(false, true, NatFiltering.Unknown)]
    [InlineData(true, true, NatFiltering.Open)]
    [InlineData(true, false, NatFiltering.Filtered)]
    public void FilteringIsKnownOnlyWhenTheOtherAddressWasAsked(bool asked, bool answered, NatFiltering expected) =>
        Assert.Equal(expected, MapPolicy.JudgeFiltering(asked, answered));

    [Fact]
    public void TheHookRunsForTheFirstMappingAndForEveryChangeOnly()
    {
        Mapping first = Udp("203.0.113.40:40000");
        Assert.True(MapPolicy.ShouldRunHook(null, first, NatMapping.EndpointIndependent));
        Assert.True(MapPolicy.ShouldRunHook(null, first, NatMapping.Unknown));
        Assert.False(MapPolicy.ShouldRunHook(first, Udp("203.0.113.40:40000"), NatMapping.EndpointIndependent));
        Assert.True(MapPolicy.ShouldRunHook(first, Udp("203.0.113.40:40001"), NatMapping.EndpointIndependent));
        Assert.True(MapPolicy.ShouldRunHook(first, Udp("203.0.113.41:40000"), NatMapping.EndpointIndependent));
    }

    [Fact]
    public void AnAddressDependentMappingIsNeverAnnounced()
    {
        Assert.False(MapPolicy.IsUsable(NatMapping.AddressDependent));
        Assert.False(MapPolicy.ShouldRunHook(null, Udp("203.0.113.40:40000"), NatMapping.AddressDependent));
    }

    /// <summary>NATMap's order (public address, public port, IP4P, private port, protocol,
    /// private address), so that its hook scripts work unchanged.</summary>
    [Fact]
    public void HookArgumentsAreInNatMapsOrder()
    {
        var mapping = new Mapping(MapProtocol.Tcp, IPEndPoint.Parse("203.0.113.40:51413"), IPEndPoint.Parse("198.51.100.2:6881"));
        Assert.Equal(new[] { "203.0.113.40", "51413", "2001::c8d5:cb00:7128", "6881", "tcp", "198.51.100.2" }, mapping.HookArguments);
    }

    [Theory]
    [InlineData("203.0.113.40:40000", "2001::9c40:cb00:7128")]
    [InlineData("1.2.3.4:5678", "2001::162e:102:304")]
    [InlineData("0.0.0.1:1", "2001::1:0:1")]
    public void Ip4pPacksPortAndAddressAfter2001(string endpoint, string expected) =>
        Assert.Equal(expected, Ip4p.Format(IPEndPoint.Parse(endpoint)));

    [Fact]
    public void Ip4pOfAnIpv6EndpointIsItsAddress() =>
        Assert.Equal("2001:db8::7", Ip4p.Format(IPEndPoint.Parse("[2001:db8::7]:40000")));

    [Theory]
    [InlineData(0, 20, 10, 30, "--bind")]
    [InlineData(40000, 0, 10, 30, "--keepalive")]
    [InlineData(40000, 3601, 10, 30, "--keepalive")]
    [InlineData(40000, 20, 0, 30, "--check")]
    [InlineData(40000, 20, 10, 0, "--hook-timeout")]
    public void BadOptionsAreNamed(int port, int keepalive, int check, int hookTimeout, string flag)
    {
        var options = new MapOptions
        {
            Bind = new IPEndPoint(IPAddress.Any, port),
            Servers = new[] { ("203.0.113.10", 3478) },
            Keepalive = TimeSpan.FromSeconds(keepalive),
            CheckEvery = check,
            HookTimeout = TimeSpan.FromSeconds(hookTimeout),
        };
        Assert.StartsWith(flag + ":", options.Validate());
    }

    [Fact]
    public void NoServerIsRefusedWithoutGatewayProtocolsAndGoodOptionsPass()
    {
        var options = new MapOptions { Bind = new IPEndPoint(IPAddress.Any, 40000), GatewayProtocols = Array.Empty<GatewayProtocol>() };
        Assert.StartsWith("--server:", options.Validate());
        Assert.Null((options with { Servers = new[] { ("203.0.113.10", 3478) } }).Validate());
    }
}
