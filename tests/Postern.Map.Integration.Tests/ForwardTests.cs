using System.Text.RegularExpressions;
using Postern.Testing;
using Xunit;

namespace Postern.Map.Integration.Tests;

/// <summary>--forward-to in the lab: the kept port's new inbound flows go to a service on another
/// port of the host by a tagged DNAT rule in host A's namespace, the service sees the stranger's
/// real address, and the rule goes on stop, after a crash (next start, --cleanup), and is put
/// back when flushed.</summary>
public sealed class ForwardTests
{
    private const string Tag = "postern-map:udp40100";
    private static readonly string Target = PunchLab.SiteAHostAddress + ":6881";

    private static string NatRules(PunchLab lab) => lab.A.Host.Check("iptables", "-w", "-t", "nat", "-S", "PREROUTING");

    /// <summary>The nat PREROUTING rules carrying the tag (iptables-nft prints it quoted, legacy bare).</summary>
    private static string[] TaggedRules(PunchLab lab) =>
        NatRules(lab).Split('\n').Where(line => Regex.IsMatch(line, $@"--comment ""?{Regex.Escape(Tag)}""?( |$)")).ToArray();

    [BuiltBinaryFact(Map.Binary)]
    public void AStrangerReachesTheForwardedServiceWithItsOwnAddressAndTheRuleGoesOnStop()
    {
        using var lab = new PunchLab(new SiteOptions { Nat = SiteNat.FullCone });
        using BackgroundProcess reflector = Map.StartReflector(lab);
        using BackgroundProcess map = Map.Start(lab.A.Host, "--udp", "--bind", "40100", "--server", PunchLab.ReflectorAddress,
            "--forward-to", Target, "--keepalive", "1", "--check", "2");
        Map.WaitReady(map);
        Assert.True(map.Output.Contains("inbound open", StringComparison.Ordinal), map.Output);
        Assert.Single(TaggedRules(lab));

        using BackgroundProcess service = UdpPeer.Start(lab.A.Host, "recv", "--port", "6881", "--seconds", "30");
        Assert.True(service.WaitForOutput("listening", Map.Deadline), service.Output);
        UdpPeer.Run(lab.Relay, Map.Deadline, "send", $"{PunchLab.SiteAPublicAddress}:40100", "--port", "5000", "--count", "3", "--text", "stranger").EnsureSuccess();
        Assert.True(service.WaitForOutput($"from {PunchLab.RelayAddress}:5000 stranger", Map.Deadline), "the stranger did not reach the service:\n" + service.Output);

        // The kept path is not forwarded: keepalives go on being answered.
        Thread.Sleep(TimeSpan.FromSeconds(3));
        map.Signal(10);
        Assert.True(map.WaitForOutput("stats:", Map.Deadline), map.Output);
        Assert.Matches(@" keepalives-lost=0\b", Regex.Matches(map.Output, "stats: .*").Last().Value);
        Assert.DoesNotContain("mapping changed", map.Output, StringComparison.Ordinal);

        // An admin's flush: the next check puts the rule back.
        lab.A.Host.Check("iptables", "-w", "-t", "nat", "-F", "PREROUTING");
        Assert.True(map.WaitForOutput("rules changed by someone else: 1 of 1 missing; reinstalled", Map.Deadline), map.Output);
        Assert.Single(TaggedRules(lab));

        Map.Stop(map);
        Assert.DoesNotContain("postern-map", NatRules(lab), StringComparison.Ordinal);
    }

    /// <summary>TCP: a stranger's connection to the kept port reaches the forwarded service, which
    /// sees the stranger's own address; the kept STUN connection goes on beside it.</summary>
    [BuiltBinaryFact(Map.Binary)]
    public void TcpConnectionsAreForwardedWithTheClientsAddress()
    {
        using var lab = new PunchLab(new SiteOptions { Nat = SiteNat.FullCone, FullConeTcp = true });
        using BackgroundProcess reflector = Map.StartReflector(lab);
        using BackgroundProcess map = Map.Start(lab.A.Host, "--tcp", "--bind", "40130", "--server", PunchLab.ReflectorAddress,
            "--server", PunchLab.ReflectorAlternateAddress, "--forward-to", PunchLab.SiteAHostAddress + ":6882", "--keepalive", "1");
        Map.WaitReady(map);
        using BackgroundProcess service = lab.A.Host.Start("socat", "TCP4-LISTEN:6882,reuseaddr,fork", "SYSTEM:echo peer=$SOCAT_PEERADDR");
        CommandResult reached;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        do
        {
            reached = lab.Relay.Run(TimeSpan.FromSeconds(10), "socat", "-t", "3", "-", $"TCP4:{PunchLab.SiteAPublicAddress}:40130");
        }
        while (!reached.Output.Contains("peer=", StringComparison.Ordinal) && clock.Elapsed < Map.Deadline && Pause());
        Assert.Equal($"peer={PunchLab.RelayAddress}", reached.Output.Trim());
        Thread.Sleep(TimeSpan.FromSeconds(3));
        map.Signal(10);
        Assert.True(map.WaitForOutput("stats:", Map.Deadline), map.Output);
        Assert.Matches(@" keepalives-lost=0\b", Regex.Matches(map.Output, "stats: .*").Last().Value);
        Map.Stop(map);
        Assert.DoesNotContain("postern-map", NatRules(lab), StringComparison.Ordinal);
    }

    private static bool Pause()
    {
        Thread.Sleep(500);
        return true;
    }

    [BuiltBinaryFact(Map.Binary)]
    public void AKilledInstancesRuleGoesAtTheNextStartOrWithCleanup()
    {
        using var lab = new PunchLab(new SiteOptions { Nat = SiteNat.FullCone });
        using BackgroundProcess reflector = Map.StartReflector(lab);
        string[] arguments = { "--udp", "--bind", "40100", "--server", PunchLab.ReflectorAddress, "--forward-to", Target };
        using (BackgroundProcess first = Map.Start(lab.A.Host, arguments))
        {
            Map.WaitReady(first);
            first.Signal(9);
            Assert.True(first.WaitForExit(Map.Deadline));
        }
        Assert.Single(TaggedRules(lab));

        using (BackgroundProcess second = Map.Start(lab.A.Host, arguments))
        {
            Map.WaitReady(second);
            Assert.True(second.Output.Contains($"removed 1 stale rule(s) tagged {Tag}", StringComparison.Ordinal), second.Output);
            Assert.Single(TaggedRules(lab));
            second.Signal(9);
            Assert.True(second.WaitForExit(Map.Deadline));
        }

        CommandResult cleanup = lab.A.Host.Run(Map.Deadline, Repository.Binary(Map.Binary), arguments.Append("--cleanup").ToArray());
        Assert.Equal(0, cleanup.ExitCode);
        Assert.Contains($"removed 1 rule(s) tagged {Tag}", cleanup.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("postern-map", NatRules(lab), StringComparison.Ordinal);
    }

    [BuiltBinaryFact(Map.Binary)]
    public void DryRunPrintsTheRuleAndTouchesNothing()
    {
        using var lab = new PunchLab(new SiteOptions { Nat = SiteNat.FullCone });
        string before = NatRules(lab);
        CommandResult dryRun = lab.A.Host.Run(Map.Deadline, Repository.Binary(Map.Binary),
            "--tcp", "--bind", "40110", "--server", PunchLab.ReflectorAddress, "--forward-to", Target, "--dry-run");
        Assert.Equal(0, dryRun.ExitCode);
        Assert.Equal(
            $"iptables -w -t nat -I PREROUTING 1 -p tcp --dport 40110 -m conntrack --ctstate NEW -j DNAT --to-destination {Target} -m comment --comment postern-map:tcp40110",
            dryRun.Output.Trim());
        Assert.Equal(before, NatRules(lab));
    }
}
