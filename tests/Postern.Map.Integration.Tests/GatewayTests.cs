using Postern.Testing;
using Xunit;

namespace Postern.Map.Integration.Tests;

/// <summary>postern-map against a real gateway daemon: Debian's miniupnpd (2.3.1, nftables) on
/// PunchLab site A's NAT (WAN 203.0.113.40, LAN 198.51.100.1/25, host 198.51.100.2), which learns
/// its external address by STUN from the lab's postern-reflector (with --alternate). Each mapping
/// is checked where it takes effect: the DNAT rule in the NAT's nft ruleset, and a stranger on
/// the internet side (the relay host, never contacted) reaching the host's port through it. The
/// NAT is plain MASQUERADE (a port-restricted cone): without the gateway's rule nothing from a
/// stranger gets in, which the checks after each stop show.</summary>
public sealed partial class GatewayTests
{
    private const string Hook = "echo HOOK";

    private static MiniUpnpd StartMiniUpnpd(PunchLab lab, MiniUpnpdOptions? options = null) =>
        MiniUpnpd.Start(lab.A.Nat, lab.A.NatWanInterface, lab.A.NatLanInterface, PunchLab.ReflectorAddress, options);

    /// <summary>NAT-PMP alone, no STUN server at all: the gateway's grant is the whole answer.</summary>
    [BuiltBinaryFact(Map.Binary)]
    public void NatPmpMapsThePortAStrangerReachesItAndStopDeletesIt()
    {
        using var lab = new PunchLab();
        using BackgroundProcess reflector = Map.StartReflector(lab);
        using MiniUpnpd upnp = StartMiniUpnpd(lab);
        using BackgroundProcess map = Map.Start(lab.A.Host, "--udp", "--bind", "40200", "--gateway-protocols", "natpmp", "--hook", Hook);
        Map.WaitReady(map);

        Assert.True(map.Output.Contains($"gateway: nat-pmp mapped udp {PunchLab.SiteAPublicAddress}:40200 -> {PunchLab.SiteAHostAddress}:40200",
            StringComparison.Ordinal), map.Output);
        string hook = Map.WaitHookLines(map, 1)[0];
        Assert.StartsWith($"HOOK {PunchLab.SiteAPublicAddress} 40200 ", hook, StringComparison.Ordinal);
        Assert.EndsWith($" 40200 udp {PunchLab.SiteAHostAddress}", hook, StringComparison.Ordinal);
        AssertOneDnat(upnp, "udp", 40200, 40200);
        Map.RequestStats(map);
        Assert.Equal(1, Map.Counter(map, "natpmp-granted"));
        Assert.Equal(0, Map.Counter(map, "pcp-requests"));

        AssertStrangerReachesUdp(lab, 40200, 5000);

        Map.Stop(map);
        Assert.Equal(1, Map.Counter(map, "natpmp-deleted"));
        Assert.True(map.Output.Contains($"gateway: nat-pmp mapping udp {PunchLab.SiteAPublicAddress}:40200 deleted", StringComparison.Ordinal), map.Output);
        Assert.Empty(upnp.DnatRules("udp", 40200));
        AssertStrangerRefused(lab, 40200);
    }

    /// <summary>The default order, PCP then NAT-PMP: miniupnpd 2.3.1 serves PCP on 5351 beside
    /// NAT-PMP and grants the PCP MAP request, so NAT-PMP is never asked. It raises the 60 s asked
    /// to its min_lifetime (120 s).</summary>
    [BuiltBinaryFact(Map.Binary)]
    public void ByDefaultPcpMapsThePortAndNatPmpIsNotAsked()
    {
        using var lab = new PunchLab();
        using BackgroundProcess reflector = Map.StartReflector(lab);
        using MiniUpnpd upnp = StartMiniUpnpd(lab);
        using BackgroundProcess map = Map.Start(lab.A.Host, "--udp", "--bind", "40210", "--lease", "60", "--hook", Hook);
        Map.WaitReady(map);

        Assert.True(map.Output.Contains($"gateway: pcp mapped udp {PunchLab.SiteAPublicAddress}:40210 -> {PunchLab.SiteAHostAddress}:40210 for 120 s (asked 60 s)",
            StringComparison.Ordinal), map.Output);
        AssertOneDnat(upnp, "udp", 40210, 40210);
        Map.RequestStats(map);
        Assert.Equal(1, Map.Counter(map, "pcp-requests"));
        Assert.Equal(1, Map.Counter(map, "pcp-granted"));
        Assert.Equal(0, Map.Counter(map, "pcp-timeouts"));
        Assert.Equal(0, Map.Counter(map, "pcp-unreachable"));
        Assert.Equal(0, Map.Counter(map, "natpmp-requests"));
        Assert.Equal(0, Map.Counter(map, "checks"));

        AssertStrangerReachesUdp(lab, 40210, 5000);

        Map.Stop(map);
        Assert.Equal(1, Map.Counter(map, "pcp-deleted"));
        Assert.Empty(upnp.DnatRules("udp", 40210));
        AssertStrangerRefused(lab, 40210);
    }

    /// <summary>TCP over PCP (protocol 6): a stranger's connection reaches the host's listener.</summary>
    [BuiltBinaryFact(Map.Binary)]
    public void TcpIsMappedByPcpAndAStrangerConnects()
    {
        using var lab = new PunchLab();
        using BackgroundProcess reflector = Map.StartReflector(lab);
        using MiniUpnpd upnp = StartMiniUpnpd(lab);
        using BackgroundProcess map = Map.Start(lab.A.Host, "--tcp", "--bind", "40220", "--hook", Hook);
        Map.WaitReady(map);

        Assert.True(map.Output.Contains($"gateway: pcp mapped tcp {PunchLab.SiteAPublicAddress}:40220 -> {PunchLab.SiteAHostAddress}:40220",
            StringComparison.Ordinal), map.Output);
        AssertOneDnat(upnp, "tcp", 40220, 40220);
        Assert.Empty(upnp.DnatRules("udp", 40220));

        using BackgroundProcess service = lab.A.Host.Start("socat", "TCP4-LISTEN:40220,reuseaddr,reuseport,fork", "SYSTEM:echo reached-service");
        Assert.Contains("reached-service", ConnectFromRelay(lab, 40220, expectAnswer: true), StringComparison.Ordinal);

        Map.Stop(map);
        Assert.Equal(1, Map.Counter(map, "pcp-deleted"));
        Assert.Empty(upnp.DnatRules("tcp", 40220));
        // The listener is still there; without the gateway's rule the connection ends on the NAT.
        Assert.DoesNotContain("reached-service", ConnectFromRelay(lab, 40220, expectAnswer: false), StringComparison.Ordinal);
    }

    /// <summary>A short lease is renewed at half what was granted, the same rule kept (not one per
    /// renewal), and the port still reached. miniupnpd's min_lifetime is lowered for PCP; NAT-PMP
    /// lifetimes are granted as asked.</summary>
    [BuiltBinaryTheory(Map.Binary)]
    [InlineData("pcp", 40230)]
    [InlineData("natpmp", 40235)]
    public void AShortLeaseIsRenewedAndTheMappingKeepsWorking(string protocol, int port)
    {
        using var lab = new PunchLab();
        using BackgroundProcess reflector = Map.StartReflector(lab);
        using MiniUpnpd upnp = StartMiniUpnpd(lab, new MiniUpnpdOptions { MinLifetime = 2 });
        string p = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using BackgroundProcess map = Map.Start(lab.A.Host, "--udp", "--bind", p, "--gateway-protocols", protocol, "--lease", "4", "--hook", Hook);
        Map.WaitReady(map);
        string name = protocol == "pcp" ? "pcp" : "nat-pmp";
        Assert.True(map.Output.Contains($"gateway: {name} mapped udp {PunchLab.SiteAPublicAddress}:{p} -> {PunchLab.SiteAHostAddress}:{p} for 4 s (asked 4 s)",
            StringComparison.Ordinal), map.Output);

        // Every 2 s: three renewals in about 6 s, each one logged.
        Map.WaitCounter(map, protocol + "-renewals", 3);
        Assert.True(map.Output.Contains($"gateway: {name} renewed: udp {PunchLab.SiteAPublicAddress}:{p} for 4 s", StringComparison.Ordinal), map.Output);
        Assert.Equal(0, Map.Counter(map, protocol + "-epoch-resets"));
        Assert.Equal(0, Map.Counter(map, protocol + "-timeouts"));
        Assert.Equal(1, Map.Counter(map, "mapping-changes"));
        AssertOneDnat(upnp, "udp", port, port);
        AssertStrangerReachesUdp(lab, port, 5000);
        Assert.Single(Map.HookLines(map));

        Map.Stop(map);
        Assert.Empty(upnp.DnatRules("udp", port));
    }

    /// <summary>A permission rule that denies the host's port: PCP answers NOT_AUTHORIZED, so
    /// does NAT-PMP (asked next), and postern-map keeps the port by STUN instead. miniupnpd runs
    /// without -d here (see <see cref="MiniUpnpdOptions.Debug"/>).</summary>
    [BuiltBinaryFact(Map.Binary)]
    public void ARefusalIsLoggedAndStunKeepsThePort()
    {
        using var lab = new PunchLab();
        using BackgroundProcess reflector = Map.StartReflector(lab);
        using MiniUpnpd upnp = StartMiniUpnpd(lab, new MiniUpnpdOptions
        {
            Rules = new[] { "deny 0-65535 198.51.100.0/24 40240-40240" },
            Debug = false,
        });
        using BackgroundProcess map = Map.Start(lab.A.Host, "--udp", "--bind", "40240", "--server", PunchLab.ReflectorAddress, "--hook", Hook);
        Map.WaitReady(map);

        Assert.True(map.Output.Contains("gateway: pcp map refused by 198.51.100.1:5351: NOT_AUTHORIZED", StringComparison.Ordinal), map.Output);
        Assert.True(map.Output.Contains("gateway: nat-pmp map refused by 198.51.100.1:5351: not-authorized", StringComparison.Ordinal), map.Output);
        Assert.True(map.Output.Contains("gateway: 198.51.100.1:5351 granted no udp mapping of port 40240; STUN instead", StringComparison.Ordinal), map.Output);
        Assert.True(map.Output.Contains($"mapping: udp {PunchLab.SiteAPublicAddress}:40240 (private {PunchLab.SiteAHostAddress}:40240) via {PunchLab.ReflectorAddress}:3478",
            StringComparison.Ordinal), map.Output);
        Assert.True(map.Output.Contains("inbound filtered", StringComparison.Ordinal), map.Output);
        Map.RequestStats(map);
        Assert.Equal(1, Map.Counter(map, "pcp-refused.NOT_AUTHORIZED"));
        Assert.Equal(1, Map.Counter(map, "natpmp-refused.not-authorized"));
        Assert.Equal(0, Map.Counter(map, "pcp-granted") + Map.Counter(map, "natpmp-granted"));
        Assert.Equal(0, Map.Counter(map, "pcp-timeouts") + Map.Counter(map, "natpmp-timeouts"));
        Assert.True(Map.Counter(map, "checks") >= 1, map.Output);
        Assert.Empty(upnp.DnatRules("udp", 40240));
        Map.Stop(map);
    }

    /// <summary>The lab's NAT without miniupnpd: nothing listens on its 5351, so it answers ICMP
    /// port unreachable, which ends the PCP request at once (RFC 6886 section 3.1); NAT-PMP, on
    /// the same port, is not asked, and STUN gives the mapping.</summary>
    [BuiltBinaryFact(Map.Binary)]
    public void ARouterWithoutAGatewayServerIsPassedAtOnce()
    {
        using var lab = new PunchLab();
        using BackgroundProcess reflector = Map.StartReflector(lab);
        using BackgroundProcess map = Map.Start(lab.A.Host, "--udp", "--bind", "40250", "--server", PunchLab.ReflectorAddress);
        Map.WaitReady(map);

        Assert.True(map.Output.Contains("gateway: 198.51.100.1:5351 answered ICMP port unreachable: it serves neither PCP nor NAT-PMP", StringComparison.Ordinal),
            map.Output);
        Assert.True(map.Output.Contains("gateway: 198.51.100.1:5351 granted no udp mapping of port 40250 (no server there); STUN instead", StringComparison.Ordinal),
            map.Output);
        Map.RequestStats(map);
        Assert.Equal(1, Map.Counter(map, "pcp-unreachable"));
        Assert.Equal(0, Map.Counter(map, "pcp-timeouts"));
        Assert.Equal(0, Map.Counter(map, "natpmp-requests"));
        Assert.Equal(1, Map.Counter(map, "checks"));
        Map.Stop(map);
    }

    /// <summary>The gateway holds exactly one DNAT rule for the port, to the host's port.</summary>
    private static void AssertOneDnat(MiniUpnpd upnp, string protocol, int externalPort, int internalPort)
    {
        string[] rules = upnp.DnatRules(protocol, externalPort);
        Assert.True(rules.Length == 1, $"expected one {protocol} DNAT rule for {externalPort}:\n{upnp.NatRules}");
        Assert.EndsWith($"dnat ip to {PunchLab.SiteAHostAddress}:{internalPort}", rules[0], StringComparison.Ordinal);
        Assert.Contains($"iif \"{upnp.WanInterface}\"", rules[0], StringComparison.Ordinal);
    }

    /// <summary>A receiver on the host's port gets what the relay host (a stranger on the
    /// internet side) sends to the public address and port.</summary>
    private static void AssertStrangerReachesUdp(PunchLab lab, int port, int strangerPort)
    {
        string p = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string from = strangerPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using BackgroundProcess service = UdpPeer.Start(lab.A.Host, "recv", "--port", p, "--seconds", "30");
        Assert.True(service.WaitForOutput("listening", Map.Deadline), service.Output);
        UdpPeer.Run(lab.Relay, Map.Deadline, "send", $"{PunchLab.SiteAPublicAddress}:{p}", "--port", from, "--count", "3", "--text", "stranger")
            .EnsureSuccess();
        Assert.True(service.WaitForOutput($"from {PunchLab.RelayAddress}:{from} stranger", Map.Deadline),
            "the stranger did not reach the host's port:\n" + service.Output);
    }

    /// <summary>After the mapping is deleted, a datagram to the public port lands on the NAT
    /// itself, which has nothing there: ICMP port unreachable. From a new (ephemeral) source
    /// port, so that no conntrack entry of the earlier datagrams carries it through the old DNAT.</summary>
    private static void AssertStrangerRefused(PunchLab lab, int port)
    {
        CommandResult refused = UdpPeer.Run(lab.Relay, Map.Deadline, "refused",
            $"{PunchLab.SiteAPublicAddress}:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}", "--seconds", "3");
        Assert.Contains("refused", refused.Output, StringComparison.Ordinal);
    }

    /// <summary>A TCP connection from the relay host to the public port; what came back. With
    /// <paramref name="expectAnswer"/>, retried until the service answers (the listener may still
    /// be starting).</summary>
    private static string ConnectFromRelay(PunchLab lab, int port, bool expectAnswer)
    {
        string target = $"TCP4:{PunchLab.SiteAPublicAddress}:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string output;
        do
        {
            output = lab.Relay.Run(TimeSpan.FromSeconds(10), "socat", "-t", "3", "-", target).Output;
            if (!expectAnswer || output.Contains("reached-service", StringComparison.Ordinal))
            {
                break;
            }
            Thread.Sleep(500);
        }
        while (clock.Elapsed < Map.Deadline);
        return output;
    }
}
