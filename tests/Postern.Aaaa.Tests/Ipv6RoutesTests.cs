namespace Postern.Aaaa.Tests;

/// <summary>--auto's question, "does this host have a usable IPv6 default route?", answered from
/// real /proc/net/ipv6_route text.</summary>
public class Ipv6RoutesTests
{
    [Fact]
    public void DefaultViaAGateway_IsADefaultRoute() =>
        Assert.True(Ipv6Routes.HasDefaultRoute(ProcIpv6Route.Lines(ProcIpv6Route.DefaultViaEth0)));

    [Fact]
    public void OnlyTheKernelsOwnRoutes_IsNoDefaultRoute() =>
        Assert.False(Ipv6Routes.HasDefaultRoute(ProcIpv6Route.Lines(ProcIpv6Route.NoDefault)));

    [Fact]
    public void UnreachableDefault_IsNoDefaultRoute() =>
        Assert.False(Ipv6Routes.HasDefaultRoute(ProcIpv6Route.Lines(ProcIpv6Route.UnreachableDefault)));

    [Fact]
    public void EmptyTable_IsNoDefaultRoute()
    {
        Assert.False(Ipv6Routes.HasDefaultRoute([]));
        Assert.False(Ipv6Routes.HasDefaultRoute([""]));
    }

    [Fact]
    public void DefaultRouteLine_AloneIsEnough()
    {
        string line = ProcIpv6Route.Lines(ProcIpv6Route.DefaultViaEth0)[3];

        Assert.True(Ipv6Routes.HasDefaultRoute([line]));
    }

    [Theory]
    // Not up (RTF_UP clear).
    [InlineData("00000002", "eth0")]
    // Up but a reject route on a real device (prohibit/blackhole-style flags).
    [InlineData("00000201", "eth0")]
    // Up, not rejecting, but on loopback.
    [InlineData("00000001", "lo")]
    public void DefaultRoute_ThatCannotCarryTraffic_DoesNotCount(string flags, string device)
    {
        string line = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 " +
            $"20010db8000000000000000000000001 00000400 00000001 00000000 {flags}     {device}";

        Assert.False(Ipv6Routes.HasDefaultRoute([line]));
    }

    [Fact]
    public void DeviceRouteWithoutGateway_Counts()
    {
        // The kernel's line for "ip -6 route add default dev eth0" (same namespace as
        // ProcIpv6Route): up, no RTF_GATEWAY, a real device, as a point-to-point link has.
        string line = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 " +
            "00000000000000000000000000000000 00000400 00000001 00000000 00000001     eth0";

        Assert.True(Ipv6Routes.HasDefaultRoute([line]));
    }

    [Theory]
    // ::/0 destination with a nonzero prefix length is not a default route; nor is a /1.
    [InlineData("00000000000000000000000000000000 01")]
    [InlineData("80000000000000000000000000000000 01")]
    [InlineData("20000000000000000000000000000000 03")]
    public void NonDefaultPrefix_DoesNotCount(string destinationAndLength)
    {
        string line = destinationAndLength + " 00000000000000000000000000000000 00 " +
            "20010db8000000000000000000000001 00000400 00000001 00000000 00000003     eth0";

        Assert.False(Ipv6Routes.HasDefaultRoute([line]));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("00000000000000000000000000000000 00 00000000000000000000000000000000 00")]
    [InlineData("00000000000000000000000000000000 00 00000000000000000000000000000000 00 20010db8000000000000000000000001 00000400 00000001 00000000 zzzz     eth0")]
    public void ShortOrBadLines_AreSkipped(string line) => Assert.False(Ipv6Routes.HasDefaultRoute([line]));
}
