using System.Net;
using Postern.Map;
using Xunit;

namespace Postern.Map.Tests;

public sealed class GatewayPolicyTests
{
    [Theory]
    [InlineData(1000u, 2000u, 1000, false)] // in step
    [InlineData(1000u, 1875u, 1000, false)] // exactly 7/8
    [InlineData(1000u, 1000u, 1000, true)] // stood still while the client's clock ran
    [InlineData(1000u, 5u, 10, true)] // went backwards: restarted
    [InlineData(1000u, 1001u, 3, false)] // within the 2 s allowance
    public void NatPmpEpochChecksFollowRfc6886(uint previous, uint epoch, int clientSeconds, bool lost) =>
        Assert.Equal(lost, GatewayEpoch.NatPmpLost(previous, epoch, TimeSpan.FromSeconds(clientSeconds)));

    [Theory]
    [InlineData(1000u, 1060u, 60, false)]
    [InlineData(1000u, 999u, 0, false)] // one second back is allowed
    [InlineData(1000u, 998u, 0, true)]
    [InlineData(1000u, 1001u, 60, true)] // the gateway's clock stood still
    [InlineData(1000u, 2000u, 60, true)] // it ran far ahead: not the same epoch
    public void PcpEpochChecksFollowRfc6887(uint previous, uint epoch, int clientSeconds, bool lost) =>
        Assert.Equal(lost, GatewayEpoch.PcpLost(previous, epoch, TimeSpan.FromSeconds(clientSeconds)));

    [Fact]
    public void TheDefaultRoutesGatewayIsReadFromProcNetRoute()
    {
        string[] table =
        {
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
            "lan\t006433C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
            "lan\t00000000\t016433C6\t0003\t0\t0\t0\t00000000\t0\t0\t0",
        };
        Assert.Equal(IPAddress.Parse("198.51.100.1"), DefaultRoute.Parse(table));
        Assert.Null(DefaultRoute.Parse(table[..2]));
        Assert.Null(DefaultRoute.Parse(new[] { table[0], "garbage", "lan\t00000000\t016433C6\t0001\t0\t0\t0\t00000000\t0\t0\t0" }));
    }

    [Theory]
    [InlineData("203.0.113.1", true)]
    [InlineData("8.8.8.8", true)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.20.0.1", false)]
    [InlineData("172.32.0.1", true)]
    [InlineData("192.168.1.1", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("100.128.0.1", true)]
    [InlineData("0.0.0.0", false)]
    public void AGatewayWithAPrivateExternalAddressIsBehindAnotherNat(string address, bool isPublic) =>
        Assert.Equal(isPublic, MapService.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public void OptionsNeedAServerOnlyWithoutGatewayProtocols()
    {
        var gatewayOnly = new MapOptions { Bind = new IPEndPoint(IPAddress.Any, 40000) };
        Assert.Null(gatewayOnly.Validate());
        Assert.Contains("--server", (gatewayOnly with { GatewayProtocols = Array.Empty<GatewayProtocol>() }).Validate());
        Assert.Contains("--lease", (gatewayOnly with { Lease = TimeSpan.FromSeconds(1) }).Validate());
        Assert.Contains("--lease", (gatewayOnly with { Lease = TimeSpan.FromDays(2) }).Validate());
        Assert.Contains("--gateway", (gatewayOnly with { Gateway = IPAddress.Parse("2001:db8::1") }).Validate());
        Assert.Contains("--gateway", (gatewayOnly with { Gateway = IPAddress.Any }).Validate());
    }
}
