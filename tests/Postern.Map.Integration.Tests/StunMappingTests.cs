using System.Text.RegularExpressions;
using Postern.Testing;
using Xunit;

namespace Postern.Map.Integration.Tests;

/// <summary>postern-map behind the lab's NATs (PunchLab site A), against the real postern-reflector
/// with its RFC 5780 alternate address, reached by a stranger (the relay host, never contacted).</summary>
public sealed class StunMappingTests
{
    private const string Hook = "echo HOOK";

    [BuiltBinaryFact(Map.Binary)]
    public void UdpMappingIsLearnedAnnouncedVerifiedAndReachedByAStranger()
    {
        using var lab = new PunchLab(new SiteOptions { Nat = SiteNat.FullCone });
        using BackgroundProcess reflector = Map.StartReflector(lab);
        using BackgroundProcess map = Map.Start(lab.A.Host, "--udp", "--bind", "40000", "--server", PunchLab.ReflectorAddress, "--hook", Hook);
        Map.WaitReady(map);

        string[] hook = Map.WaitHookLines(map, 1);
        Assert.Equal($"HOOK {PunchLab.SiteAPublicAddress} 40000 2001::9c40:cb00:7128 40000 udp {PunchLab.SiteAHostAddress}", hook[0]);
        Assert.True(map.Output.Contains("nat: mapping endpoint-independent", StringComparison.Ordinal), map.Output);
        Assert.True(map.Output.Contains("inbound open", StringComparison.Ordinal), map.Output);

        // The local service shares the port; a host that never heard of it reaches it.
        using BackgroundProcess service = UdpPeer.Start(lab.A.Host, "recv", "--port", "40000", "--seconds", "30");
        Assert.True(service.WaitForOutput("listening", Map.Deadline), service.Output);
        UdpPeer.Run(lab.Relay, Map.Deadline, "send", $"{PunchLab.SiteAPublicAddress}:40000", "--port", "5000", "--count", "3", "--text", "stranger").EnsureSuccess();
        Assert.True(service.WaitForOutput($"from {PunchLab.RelayAddress}:5000 stranger", Map.Deadline), "the stranger did not reach the service:\n" + service.Output);
        Assert.Single(Map.HookLines(map));

        Map.Stop(map);
    }

    [BuiltBinaryFact(Map.Binary)]
    public void TcpMappingIsLearnedOverTheKeptConnectionAndReachedByAStranger()
    {
        using var lab = new PunchLab(new SiteOptions { Nat = SiteNat.FullCone, FullConeTcp = true });
        using BackgroundProcess reflector = Map.StartReflector(lab);
        // Over TCP the reflector sends no OTHER-ADDRESS (RFC 5780 is UDP): the second --server,
        // the same reflector's other address, is what the mapping is compared with.
        using BackgroundProcess map = Map.Start(lab.A.Host, "--tcp", "--bind", "40010", "--server", PunchLab.ReflectorAddress,
            "--server", PunchLab.ReflectorAlternateAddress, "--hook", Hook, "--keepalive", "2");
        Map.WaitReady(map);

        string[] hook = Map.WaitHookLines(map, 1);
        Assert.Equal($"HOOK {PunchLab.SiteAPublicAddress} 40010 2001::9c4a:cb00:7128 40010 tcp {PunchLab.SiteAHostAddress}", hook[0]);
        Assert.True(map.Output.Contains("nat: mapping endpoint-independent", StringComparison.Ordinal), map.Output);

        // The service listens on the kept port beside the kept connection.
        using BackgroundProcess service = lab.A.Host.Start("socat", "TCP4-LISTEN:40010,reuseaddr,reuseport,fork", "SYSTEM:echo reached-service");
        CommandResult reached = default!;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        do
        {
            reached = lab.Relay.Run(TimeSpan.FromSeconds(10), "socat", "-t", "3", "-", $"TCP4:{PunchLab.SiteAPublicAddress}:40010");
        }
        while (!reached.Output.Contains("reached-service", StringComparison.Ordinal) && clock.Elapsed < Map.Deadline && Sleep());
        Assert.Contains("reached-service", reached.Output, StringComparison.Ordinal);

        // Keepalives on the kept connection go on being answered: several, none lost, no change.
        Assert.True(WaitStat(map, "keepalives", 3), map.Output);
        Assert.Matches(@"keepalives-lost=0\b", LastStats(map));
        Assert.Single(Map.HookLines(map));

        Map.Stop(map);
    }

    [BuiltBinaryFact(Map.Binary)]
    public void KeepalivesKeepTheMappingPastSeveralNatTimeouts()
    {
        using var lab = new PunchLab(new SiteOptions { Nat = SiteNat.FullCone, UdpTimeout = TimeSpan.FromSeconds(3) });
        using BackgroundProcess reflector = Map.StartReflector(lab);
        using BackgroundProcess map = Map.Start(lab.A.Host, "--udp", "--bind", "40020", "--server", PunchLab.ReflectorAddress,
            "--hook", Hook, "--keepalive", "1", "--check", "1000");
        Map.WaitReady(map);
        Map.WaitHookLines(map, 1);

        string first = ConntrackId(lab, 40020, PunchLab.ReflectorAddress);
        Thread.Sleep(TimeSpan.FromSeconds(12)); // four 3-second timeouts
        string later = ConntrackId(lab, 40020, PunchLab.ReflectorAddress);

        // The same conntrack entry (one mapping, never expired and made anew) and one hook run.
        Assert.Equal(first, later);
        Assert.Single(Map.HookLines(map));
        Assert.DoesNotContain("mapping changed", map.Output, StringComparison.Ordinal);
    }

    /// <summary>The control for the keepalive test: the same lab with keepalives too rare to keep
    /// the mapping, whose entry then expires.</summary>
    [BuiltBinaryFact(Map.Binary)]
    public void WithoutKeepalivesInTimeTheMappingExpires()
    {
        using var lab = new PunchLab(new SiteOptions { Nat = SiteNat.FullCone, UdpTimeout = TimeSpan.FromSeconds(3) });
        using BackgroundProcess reflector = Map.StartReflector(lab);
        using BackgroundProcess map = Map.Start(lab.A.Host, "--udp", "--bind", "40030", "--server", PunchLab.ReflectorAddress,
            "--keepalive", "600");
        Map.WaitReady(map);
        Assert.NotEqual("", ConntrackId(lab, 40030, PunchLab.ReflectorAddress));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (ConntrackId(lab, 40030, PunchLab.ReflectorAddress) != "" && clock.Elapsed < Map.Deadline)
        {
            Thread.Sleep(500);
        }
        Assert.Equal("", ConntrackId(lab, 40030, PunchLab.ReflectorAddress));
    }

    [BuiltBinaryTheory(Map.Binary)]
    [InlineData("udp")]
    [InlineData("tcp")]
    public void AFlushedConntrackTableGivesANewPortAndTheHookRunsAgain(string protocol)
    {
        using var lab = new PunchLab(new SiteOptions { Nat = SiteNat.FullCone, FullConeTcp = true });
        using BackgroundProcess reflector = Map.StartReflector(lab);
        using BackgroundProcess map = Map.Start(lab.A.Host, "--" + protocol, "--bind", "40040", "--server", PunchLab.ReflectorAddress,
            "--server", PunchLab.ReflectorAlternateAddress, "--hook", Hook, "--keepalive", "1", "--check", "3", "--stun-timeout", "2");
        Map.WaitReady(map);
        Map.WaitHookLines(map, 1);

        // From now on the NAT maps the port elsewhere, as a NAT does whose table was lost. One
        // port, so that every destination gets the same one (with a range Linux picks a random
        // port per destination, which postern-map would rightly call address-dependent).
        lab.A.Nat.Check("iptables", "-t", "nat", "-I", "POSTROUTING", "1", "-o", lab.A.NatWanInterface, "-p", protocol,
            "-j", "MASQUERADE", "--to-ports", "41234");
        lab.A.Nat.Check("conntrack", "-F");

        string[] hook = Map.WaitHookLines(map, 2);
        Assert.Equal($"HOOK {PunchLab.SiteAPublicAddress} 41234 2001::a112:cb00:7128 40040 {protocol} {PunchLab.SiteAHostAddress}", hook[1]);
        Assert.True(map.Output.Contains($"mapping changed: {PunchLab.SiteAPublicAddress}:40040 -> {PunchLab.SiteAPublicAddress}:41234", StringComparison.Ordinal), map.Output);
    }

    /// <summary>A hook that fails or hangs is logged (with its status, or as killed after
    /// --hook-timeout) and counted; the service goes on keeping the mapping.</summary>
    [BuiltBinaryTheory(Map.Binary)]
    [InlineData("exit 7; :", "hook: exited with status 7", "hook-failures.exit-status=1")]
    [InlineData("sleep 300; :", "hook: still running after 1 s (--hook-timeout); killed", "hook-failures.timeout=1")]
    public void AFailingOrHangingHookIsLoggedAndNeverFatal(string hook, string logged, string counted)
    {
        using var lab = new PunchLab(new SiteOptions { Nat = SiteNat.FullCone });
        using BackgroundProcess reflector = Map.StartReflector(lab);
        using BackgroundProcess map = Map.Start(lab.A.Host, "--udp", "--bind", "40090", "--server", PunchLab.ReflectorAddress,
            "--hook", hook, "--hook-timeout", "1", "--keepalive", "1");
        Map.WaitReady(map);
        Assert.True(map.WaitForOutput(logged, Map.Deadline), map.Output);
        Assert.True(WaitStat(map, "keepalives", 3), map.Output);
        Assert.Contains(counted, LastStats(map), StringComparison.Ordinal);
        Assert.Matches(@" keepalives-lost=0\b", LastStats(map));
        Assert.False(map.HasExited, map.Output);
        Map.Stop(map);
    }

    /// <summary>Plain MASQUERADE (a port-restricted cone): the mapping is endpoint-independent but
    /// strangers are filtered, and postern-map says so instead of assuming otherwise.</summary>
    [BuiltBinaryFact(Map.Binary)]
    public void APortRestrictedConeIsReportedFiltered()
    {
        using var lab = new PunchLab(new SiteOptions { Nat = SiteNat.Cone });
        using BackgroundProcess reflector = Map.StartReflector(lab);
        using BackgroundProcess map = Map.Start(lab.A.Host, "--udp", "--bind", "40050", "--server", PunchLab.ReflectorAddress, "--hook", Hook);
        Map.WaitReady(map);
        Assert.True(map.Output.Contains("nat: mapping endpoint-independent", StringComparison.Ordinal), map.Output);
        Assert.True(map.Output.Contains("inbound filtered", StringComparison.Ordinal), map.Output);
        Map.WaitHookLines(map, 1);
    }

    [BuiltBinaryTheory(Map.Binary)]
    [InlineData("udp")]
    [InlineData("tcp")]
    public void BehindASymmetricNatItSaysSoAndExitsNonZero(string protocol)
    {
        using var lab = new PunchLab(new SiteOptions { Nat = SiteNat.Symmetric });
        using BackgroundProcess reflector = Map.StartReflector(lab);
        using BackgroundProcess map = Map.Start(lab.A.Host, "--" + protocol, "--bind", "40060", "--server", PunchLab.ReflectorAddress,
            "--server", PunchLab.ReflectorAlternateAddress, "--hook", Hook);

        Assert.True(map.WaitForExit(Map.Deadline), "postern-map did not exit:\n" + map.Output);
        Assert.Equal(1, map.ExitCode);
        Assert.True(map.Output.Contains("the mapping is address-dependent (a symmetric NAT)", StringComparison.Ordinal), map.Output);
        Assert.True(map.Output.Contains("others cannot reach it (--keep-trying goes on and re-checks)", StringComparison.Ordinal), map.Output);
        Assert.Single(map.Output.Split('\n'), line => line.Contains("the mapping is address-dependent", StringComparison.Ordinal));
        Assert.DoesNotContain("ready:", map.Output, StringComparison.Ordinal);
        Assert.Empty(Map.HookLines(map));
    }

    [BuiltBinaryFact(Map.Binary)]
    public void BehindASymmetricNatKeepTryingGoesOnWithoutAnnouncing()
    {
        using var lab = new PunchLab(new SiteOptions { Nat = SiteNat.Symmetric });
        using BackgroundProcess reflector = Map.StartReflector(lab);
        using BackgroundProcess map = Map.Start(lab.A.Host, "--udp", "--bind", "40070", "--server", PunchLab.ReflectorAddress, "--hook", Hook,
            "--keep-trying", "--keepalive", "1", "--check", "2");
        Map.WaitReady(map);
        Assert.True(map.Output.Contains("others cannot reach it, retrying", StringComparison.Ordinal), map.Output);
        Assert.True(WaitStat(map, "checks", 3), map.Output);
        Assert.False(map.HasExited);
        Assert.Empty(Map.HookLines(map));
        Map.Stop(map);
    }

    [BuiltBinaryFact(Map.Binary)]
    public void NoServerAnsweringFailsTheStartWithExitOne()
    {
        using var lab = new PunchLab(new SiteOptions { Nat = SiteNat.FullCone });
        using BackgroundProcess map = Map.Start(lab.A.Host, "--udp", "--bind", "40080", "--server", PunchLab.ReflectorAddress, "--stun-timeout", "1");
        Assert.True(map.WaitForExit(Map.Deadline), map.Output);
        Assert.Equal(1, map.ExitCode);
        Assert.True(map.Output.Contains($"no STUN server answered from udp port 40080 ({PunchLab.ReflectorAddress}:3478)", StringComparison.Ordinal), map.Output);
    }

    /// <summary>A server this host has no route to is skipped (logged, counted) and the next one
    /// gives the mapping: a namespace with only loopback, a reflector on 127.0.0.1.</summary>
    [BuiltBinaryFact(Map.Binary)]
    public void AnUnreachableServerIsSkippedForTheNext()
    {
        using Netns host = Netns.Create("map-noroute");
        using BackgroundProcess reflector = host.Start(Repository.Binary("postern-reflector"), "--listen", "udp:127.0.0.1:3478", "--stats-interval", "0");
        Assert.True(reflector.WaitForOutput("ready:", Map.Deadline), reflector.Output);
        using BackgroundProcess map = Map.Start(host, "--udp", "--bind", "127.0.0.1:40120", "--server", PunchLab.ReflectorAddress, "--server", "127.0.0.1");
        Map.WaitReady(map);
        Assert.True(map.Output.Contains($"udp: cannot reach {PunchLab.ReflectorAddress}:3478 from port 40120", StringComparison.Ordinal), map.Output);
        Assert.True(map.Output.Contains("mapping: udp 127.0.0.1:40120 (private 127.0.0.1:40120) via 127.0.0.1:3478", StringComparison.Ordinal), map.Output);
        Assert.True(WaitStat(map, "socket-errors", 1), map.Output);
        Map.Stop(map);
    }

    private static bool Sleep()
    {
        Thread.Sleep(500);
        return true;
    }

    /// <summary>The id of the NAT's conntrack entry for the host's port towards the server, or "".</summary>
    private static string ConntrackId(PunchLab lab, int port, string server)
    {
        CommandResult list = lab.A.Nat.Run("conntrack", "-L", "-p", "udp", "--orig-port-src", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--dst", server, "-o", "id");
        Match id = Regex.Match(list.Output, @"id=(\d+)");
        return id.Success ? id.Groups[1].Value : "";
    }

    private static string LastStats(BackgroundProcess map) =>
        Regex.Matches(map.Output, "^postern-map: stats: .*$", RegexOptions.Multiline).LastOrDefault()?.Value ?? "";

    /// <summary>Asks for the stats line (SIGUSR1) until <paramref name="counter"/> reaches <paramref name="least"/>.</summary>
    private static bool WaitStat(BackgroundProcess map, string counter, long least)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < Map.Deadline && !map.HasExited)
        {
            map.Signal(10);
            Thread.Sleep(500);
            Match value = Regex.Match(LastStats(map), $@" {Regex.Escape(counter)}=(\d+)\b");
            if (value.Success && long.Parse(value.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= least)
            {
                return true;
            }
        }
        return false;
    }
}
