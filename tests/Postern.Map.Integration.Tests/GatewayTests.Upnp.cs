using System.Text.RegularExpressions;
using Postern.Testing;
using Xunit;

namespace Postern.Map.Integration.Tests;

/// <summary>postern-map against miniupnpd's UPnP IGD (enable_upnp=yes: SSDP on the NAT's LAN
/// interface, HTTP on 5000), cross-checked with Debian's upnpc run on the lab's host: the mapping
/// it lists, the DNAT rule, a stranger reaching the port, and all of it gone after stop.</summary>
public sealed partial class GatewayTests
{
    /// <summary>Site A's NAT on its LAN: miniupnpd's listening address.</summary>
    private const string SiteAGateway = "198.51.100.1";

    /// <summary>Another address of site A's LAN, no host behind it: upnpc's mapping for it holds the port.</summary>
    private const string OtherLanHost = "198.51.100.3";

    private static readonly MiniUpnpdOptions s_withUpnp = new() { Upnp = true };

    /// <summary>The mappings upnpc lists for one protocol and port ("UDP 40300->198.51.100.2:40300 'postern-map' ...").</summary>
    private static string[] UpnpcMappings(PunchLab lab, MiniUpnpd upnp, string protocol, int port)
    {
        CommandResult list = upnp.Upnpc(lab.A.Host, SiteAGateway, "-l");
        Assert.True(list.ExitCode == 0, "upnpc -l failed:\n" + list.Output);
        string p = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return list.Output.Split('\n')
            .Where(line => Regex.IsMatch(line, $@"^\s*\d+\s+{protocol.ToUpperInvariant()}\s+{p}->", RegexOptions.CultureInvariant))
            .ToArray();
    }

    private static void AssertUpnpcLists(PunchLab lab, MiniUpnpd upnp, string protocol, int port, string description)
    {
        string[] mappings = UpnpcMappings(lab, upnp, protocol, port);
        string p = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(mappings.Length == 1, $"upnpc -l lists {mappings.Length} {protocol} mappings of {port}:\n" +
                                          upnp.Upnpc(lab.A.Host, SiteAGateway, "-l").Output);
        Assert.Contains($"{p}->{PunchLab.SiteAHostAddress}:{p} '{description}'", mappings[0], StringComparison.Ordinal);
    }

    /// <summary>UPnP alone: found by SSDP, mapped by AddPortMapping, reached by a stranger,
    /// deleted on stop (upnpc no longer lists it, the rule is gone, the port ends on the NAT).</summary>
    [BuiltBinaryFact(Map.Binary)]
    public void UpnpAloneMapsThePortUpnpcListsItAndStopDeletesIt()
    {
        using var lab = new PunchLab();
        using BackgroundProcess reflector = Map.StartReflector(lab);
        using MiniUpnpd upnp = StartMiniUpnpd(lab, s_withUpnp);
        using BackgroundProcess map = Map.Start(lab.A.Host, "--udp", "--bind", "40300", "--gateway-protocols", "none", "--upnp", "--hook", Hook);
        Map.WaitReady(map);

        Assert.True(map.Output.Contains($"gateway: upnp mapped udp {PunchLab.SiteAPublicAddress}:40300 -> {PunchLab.SiteAHostAddress}:40300 for 7200 s (asked 7200 s) by 198.51.100.1:{MiniUpnpd.HttpPort}",
            StringComparison.Ordinal), map.Output);
        Assert.True(map.Output.Contains($"gateway: upnp urn:schemas-upnp-org:service:WANIPConnection:2 control http://{SiteAGateway}:{MiniUpnpd.HttpPort}/ctl/IPConn",
            StringComparison.Ordinal), map.Output);
        Assert.True(map.Output.Contains($"mapping: udp {PunchLab.SiteAPublicAddress}:40300 (private {PunchLab.SiteAHostAddress}:40300) via {SiteAGateway}:{MiniUpnpd.HttpPort}",
            StringComparison.Ordinal), map.Output);
        string hook = Map.WaitHookLines(map, 1)[0];
        Assert.StartsWith($"HOOK {PunchLab.SiteAPublicAddress} 40300 ", hook, StringComparison.Ordinal);
        AssertUpnpcLists(lab, upnp, "udp", 40300, "postern-map");
        AssertOneDnat(upnp, "udp", 40300, 40300);
        Map.RequestStats(map);
        Assert.Equal(1, Map.Counter(map, "upnp-discoveries"));
        Assert.Equal(1, Map.Counter(map, "upnp-requests"));
        Assert.Equal(1, Map.Counter(map, "upnp-granted"));
        Assert.Equal(0, Map.Counter(map, "upnp-errors"));
        Assert.Equal(0, Map.Counter(map, "upnp-refused"));
        Assert.Equal(0, Map.Counter(map, "pcp-requests") + Map.Counter(map, "natpmp-requests"));
        Assert.Equal(0, Map.Counter(map, "checks"));

        AssertStrangerReachesUdp(lab, 40300, 5000);

        Map.Stop(map);
        Assert.Equal(1, Map.Counter(map, "upnp-deleted"));
        Assert.True(map.Output.Contains($"gateway: upnp mapping udp {PunchLab.SiteAPublicAddress}:40300 deleted", StringComparison.Ordinal), map.Output);
        Assert.Empty(UpnpcMappings(lab, upnp, "udp", 40300));
        Assert.Empty(upnp.DnatRules("udp", 40300));
        AssertStrangerRefused(lab, 40300);
    }

    /// <summary>A 4 s lease is added again every 2 s: the one mapping and rule stay, the port is still reached.</summary>
    [BuiltBinaryFact(Map.Binary)]
    public void AShortUpnpLeaseIsRenewedByAddingItAgain()
    {
        using var lab = new PunchLab();
        using BackgroundProcess reflector = Map.StartReflector(lab);
        using MiniUpnpd upnp = StartMiniUpnpd(lab, s_withUpnp);
        using BackgroundProcess map = Map.Start(lab.A.Host, "--udp", "--bind", "40310", "--gateway-protocols", "none", "--upnp", "--lease", "4", "--hook", Hook);
        Map.WaitReady(map);
        Assert.True(map.Output.Contains($"gateway: upnp mapped udp {PunchLab.SiteAPublicAddress}:40310 -> {PunchLab.SiteAHostAddress}:40310 for 4 s (asked 4 s)",
            StringComparison.Ordinal), map.Output);

        Map.WaitCounter(map, "upnp-renewals", 3);
        Assert.True(map.Output.Contains($"gateway: upnp renewed: udp {PunchLab.SiteAPublicAddress}:40310 for 4 s", StringComparison.Ordinal), map.Output);
        Assert.Equal(1, Map.Counter(map, "upnp-discoveries"));
        Assert.Equal(0, Map.Counter(map, "upnp-errors"));
        Assert.Equal(1, Map.Counter(map, "mapping-changes"));
        AssertUpnpcLists(lab, upnp, "udp", 40310, "postern-map");
        AssertOneDnat(upnp, "udp", 40310, 40310);
        AssertStrangerReachesUdp(lab, 40310, 5000);
        Assert.Single(Map.HookLines(map));

        Map.Stop(map);
        Assert.Equal(1, Map.Counter(map, "upnp-deleted"));
        Assert.Empty(upnp.DnatRules("udp", 40310));
    }

    /// <summary>TCP over UPnP: NewProtocol TCP, a TCP rule only, a stranger's connection gets in until stop.</summary>
    [BuiltBinaryFact(Map.Binary)]
    public void TcpIsMappedByUpnpAndAStrangerConnects()
    {
        using var lab = new PunchLab();
        using BackgroundProcess reflector = Map.StartReflector(lab);
        using MiniUpnpd upnp = StartMiniUpnpd(lab, s_withUpnp);
        using BackgroundProcess map = Map.Start(lab.A.Host, "--tcp", "--bind", "40320", "--gateway-protocols", "none", "--upnp", "--hook", Hook);
        Map.WaitReady(map);

        Assert.True(map.Output.Contains($"gateway: upnp mapped tcp {PunchLab.SiteAPublicAddress}:40320 -> {PunchLab.SiteAHostAddress}:40320",
            StringComparison.Ordinal), map.Output);
        AssertUpnpcLists(lab, upnp, "tcp", 40320, "postern-map");
        Assert.Empty(UpnpcMappings(lab, upnp, "udp", 40320));
        AssertOneDnat(upnp, "tcp", 40320, 40320);
        Assert.Empty(upnp.DnatRules("udp", 40320));

        using BackgroundProcess service = lab.A.Host.Start("socat", "TCP4-LISTEN:40320,reuseaddr,reuseport,fork", "SYSTEM:echo reached-service");
        Assert.Contains("reached-service", ConnectFromRelay(lab, 40320, expectAnswer: true), StringComparison.Ordinal);

        Map.Stop(map);
        Assert.Equal(1, Map.Counter(map, "upnp-deleted"));
        Assert.Empty(UpnpcMappings(lab, upnp, "tcp", 40320));
        Assert.Empty(upnp.DnatRules("tcp", 40320));
        Assert.DoesNotContain("reached-service", ConnectFromRelay(lab, 40320, expectAnswer: false), StringComparison.Ordinal);
    }

    /// <summary>--upnp with the default protocols: PCP answers first, so no SSDP search is sent;
    /// upnpc still lists the PCP mapping (miniupnpd keeps one table for all three protocols).</summary>
    [BuiltBinaryFact(Map.Binary)]
    public void WithUpnpAllowedPcpStillAnswersFirstAndUpnpIsNotAsked()
    {
        using var lab = new PunchLab();
        using BackgroundProcess reflector = Map.StartReflector(lab);
        using MiniUpnpd upnp = StartMiniUpnpd(lab, s_withUpnp);
        using BackgroundProcess map = Map.Start(lab.A.Host, "--udp", "--bind", "40330", "--upnp", "--hook", Hook);
        Map.WaitReady(map);

        Assert.True(map.Output.Contains($"gateway: pcp mapped udp {PunchLab.SiteAPublicAddress}:40330 -> {PunchLab.SiteAHostAddress}:40330", StringComparison.Ordinal),
            map.Output);
        Map.RequestStats(map);
        Assert.Equal(1, Map.Counter(map, "pcp-granted"));
        Assert.Equal(0, Map.Counter(map, "natpmp-requests"));
        Assert.Equal(0, Map.Counter(map, "upnp-searches"));
        Assert.Equal(0, Map.Counter(map, "upnp-requests"));
        Assert.Single(UpnpcMappings(lab, upnp, "udp", 40330));
        AssertOneDnat(upnp, "udp", 40330, 40330);

        Map.Stop(map);
        Assert.Equal(1, Map.Counter(map, "pcp-deleted"));
        Assert.Equal(0, Map.Counter(map, "upnp-deleted"));
        Assert.Empty(UpnpcMappings(lab, upnp, "udp", 40330));
    }

    /// <summary>A NAT-PMP mapping made by postern-map, seen by upnpc and by Debian's natpmpc asking
    /// the same gateway for its external address.</summary>
    [BuiltBinaryFact(Map.Binary)]
    public void ANatPmpMappingIsSeenByUpnpcAndNatpmpc()
    {
        using var lab = new PunchLab();
        using BackgroundProcess reflector = Map.StartReflector(lab);
        using MiniUpnpd upnp = StartMiniUpnpd(lab, s_withUpnp);
        using BackgroundProcess map = Map.Start(lab.A.Host, "--udp", "--bind", "40340", "--gateway-protocols", "natpmp", "--hook", Hook);
        Map.WaitReady(map);

        Assert.Single(UpnpcMappings(lab, upnp, "udp", 40340));
        CommandResult natpmpc = lab.A.Host.Run(TimeSpan.FromSeconds(30), "natpmpc", "-g", SiteAGateway);
        Assert.True(natpmpc.ExitCode == 0, natpmpc.Output);
        Assert.Contains($"Public IP address : {PunchLab.SiteAPublicAddress}", natpmpc.Output, StringComparison.Ordinal);

        Map.Stop(map);
        Assert.Equal(1, Map.Counter(map, "natpmp-deleted"));
        Assert.Empty(UpnpcMappings(lab, upnp, "udp", 40340));
    }

    /// <summary>The external port is taken already: upnpc maps it to another LAN address first
    /// (secure_mode off; with the same internal address miniupnpd 2.3.1 replaces the old mapping
    /// instead). miniupnpd answers AddPortMapping with 718 ConflictInMappingEntry, postern-map
    /// says so, counts it by its code, leaves upnpc's mapping alone and keeps the port by STUN.</summary>
    [BuiltBinaryFact(Map.Binary)]
    public void AConflictIsReportedByItsCodeAndStunKeepsThePort()
    {
        using var lab = new PunchLab();
        using BackgroundProcess reflector = Map.StartReflector(lab);
        using MiniUpnpd upnp = StartMiniUpnpd(lab, s_withUpnp with { SecureMode = false });
        CommandResult taken = upnp.Upnpc(lab.A.Host, SiteAGateway, "-e", "other", "-a", OtherLanHost, "40350", "40350", "UDP", "3600");
        Assert.True(taken.ExitCode == 0 && UpnpcMappings(lab, upnp, "udp", 40350).Length == 1, "upnpc could not map 40350:\n" + taken.Output);

        using BackgroundProcess map = Map.Start(lab.A.Host, "--udp", "--bind", "40350", "--gateway-protocols", "none", "--upnp", "--server", PunchLab.ReflectorAddress,
            "--hook", Hook);
        Map.WaitReady(map);

        Assert.True(map.Output.Contains($"gateway: upnp AddPortMapping refused by {SiteAGateway}:{MiniUpnpd.HttpPort}: 718 ConflictInMappingEntry", StringComparison.Ordinal),
            map.Output);
        Assert.True(map.Output.Contains("external udp port 40350 is mapped to another host already", StringComparison.Ordinal), map.Output);
        Assert.True(map.Output.Contains($"via {PunchLab.ReflectorAddress}:3478", StringComparison.Ordinal), map.Output);
        Map.RequestStats(map);
        Assert.Equal(1, Map.Counter(map, "upnp-refused.718"));
        Assert.Equal(0, Map.Counter(map, "upnp-granted"));
        Assert.Equal(0, Map.Counter(map, "upnp-errors"));
        Assert.True(Map.Counter(map, "checks") >= 1, map.Output);
        string[] mappings = UpnpcMappings(lab, upnp, "udp", 40350);
        Assert.Single(mappings);
        Assert.Contains($"40350->{OtherLanHost}:40350 'other'", mappings[0], StringComparison.Ordinal);

        Map.Stop(map);
        Assert.Equal(0, Map.Counter(map, "upnp-deleted"));
        Assert.Single(UpnpcMappings(lab, upnp, "udp", 40350));
    }
}
