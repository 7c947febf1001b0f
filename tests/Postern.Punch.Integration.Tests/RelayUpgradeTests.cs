using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Punch.Integration.Tests;

/// <summary>A relayed path that moves to a direct one when one appears. Two cone NATs, which
/// would punch at once, but the lab's internet router drops UDP between their public addresses
/// (an iptables DROP in the inet namespace): the pair connects through the relay (A holds the
/// association), and a UDP flow (a pinger on A, a mirror on B, both on loopback through
/// --forward) crosses it, which the relay's counters show. Then the drop goes: both sides must
/// move to the direct path (their log line and switches counter), the same flow must go on, and
/// the relay's counters must stop growing.</summary>
public class RelayUpgradeTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [RootFact]
    public void A_relayed_path_moves_to_direct_through_postern_socks_once_direct_udp_passes()
    {
        using var lab = new PunchLab();
        using BackgroundProcess socks = lab.Relay.Start(Repository.Binary("postern-socks"),
            "--listen", PunchLab.RelayAddress + ":1080", "--stats-interval", "0");
        Assert.True(socks.WaitForOutput("ready: listening on", Punch.Timeout), socks.Output);
        RelayedThenDirect(lab, $"socks5://{PunchLab.RelayAddress}:1080", () => PosternSocksRelayed(socks), () => socks.Output);
    }

    [RootFact]
    public void A_relayed_path_moves_to_direct_through_dante_once_direct_udp_passes()
    {
        using var lab = new PunchLab();
        // dante's defaults, as in HandoffTests: the STUN request through it unconnects its socket.
        using Dante dante = Dante.Start(lab.Relay, PunchLab.RelayAddress);
        lab.Relay.Check("iptables", "-A", "OUTPUT", "-p", "udp", "-j", "ACCEPT");
        RelayedThenDirect(lab, "socks5://" + dante.Endpoint, () => UdpSentBy(lab.Relay), () => dante.Log);
    }

    private static void RelayedThenDirect(PunchLab lab, string relay, Func<long> relayed, Func<string> relayLog)
    {
        Block(lab, true);
        using var pair = PunchPair.Start(lab,
            new[] { "--relay", relay, "--forward", "127.0.0.1:7000" },
            new[] { "--forward", "127.0.0.1:7000" });
        (Punched pa, Punched pb) = pair.WaitForwarding();
        Assert.Equal("relay", pa.Path);
        Assert.Equal("relay", pb.Path);

        using BackgroundProcess mirror = UdpPeer.Start(lab.B.Host, "mirror", "127.0.0.1:7000", "--seconds", "240");
        using BackgroundProcess pinger = UdpPeer.Start(lab.A.Host, "pinger", "127.0.0.1:7000", "--interval", "0.1", "--seconds", "240");
        string Both() => $"--- A:\n{pair.A.Output}\n--- B:\n{pair.B.Output}\n--- pinger:\n{Tail(pinger.Output)}\n--- relay:\n{relayLog()}";

        // Over the relay: the flow runs and the relay carries it.
        WaitForPongs(pinger, 20, Both);
        long relayedBefore = relayed();
        int pongs = Pongs(pinger.Output);
        // Long enough for a few rounds of direct probes to be dropped (2, 4, 8 s apart).
        WaitForPongs(pinger, pongs + 100, Both);
        long relayedDuring = relayed();
        Assert.True(relayedDuring > relayedBefore, $"the relay carried nothing more: {relayedBefore} then {relayedDuring}\n{Both()}");
        Assert.DoesNotContain("moved off the relay", pair.A.Output + pair.B.Output, StringComparison.Ordinal);

        // Direct UDP passes again: both sides move, agreeing.
        Block(lab, false);
        Assert.True(pair.A.WaitForOutput("moved off the relay: path direct to " + PunchLab.SiteBPublicAddress + ":", Deadline), Both());
        Assert.True(pair.B.WaitForOutput("moved off the relay: path direct to " + PunchLab.SiteAPublicAddress + ":", Deadline), Both());
        Assert.True(pair.A.WaitForOutput("relay association at", Deadline), Both()); // closed after the grace

        // The same flow (one pinger socket, one mirror socket) goes on, no longer through the relay.
        int pongsAtMove = Pongs(pinger.Output);
        WaitForPongs(pinger, pongsAtMove + 5, Both); // what was in flight over the relay has landed
        long relayedAfterMove = relayed();
        pongs = Pongs(pinger.Output);
        WaitForPongs(pinger, pongs + 30, Both);
        long relayedLater = relayed();
        Assert.True(relayedLater == relayedAfterMove, $"the relay still carries the flow: {relayedAfterMove} then {relayedLater}\n{Both()}");
        Assert.Single(Regex.Matches(mirror.Output, "^mirroring$", RegexOptions.Multiline));

        pair.A.Signal(15);
        pair.B.Signal(15);
        Assert.Equal(0, Punch.WaitExit(pair.A));
        Assert.Equal(0, Punch.WaitExit(pair.B));
        Assert.Equal(1, Punch.Stat(pair.A, "switches"));
        Assert.Equal(1, Punch.Stat(pair.B, "switches"));
        Assert.True(Punch.Stat(pair.A, "upgrade-probes") > 0, pair.A.Output);
        Assert.True(Punch.Stat(pair.B, "upgrade-probes") > 0, pair.B.Output);
        Assert.True(Punch.Stat(pair.A, "switch-offers") + Punch.Stat(pair.B, "switch-offers") > 0, Both());
    }

    /// <summary>Drops (or lets through again) UDP between the two NATs' public addresses, both
    /// ways, in the lab's internet router: nothing else changes, the relay still reaches both.</summary>
    private static void Block(PunchLab lab, bool block)
    {
        foreach ((string from, string to) in new[] { (PunchLab.SiteAPublicAddress, PunchLab.SiteBPublicAddress), (PunchLab.SiteBPublicAddress, PunchLab.SiteAPublicAddress) })
        {
            lab.Internet.Check("iptables", block ? "-I" : "-D", "FORWARD", "-p", "udp", "-s", from, "-d", to, "-j", "DROP");
        }
    }

    private static int Pongs(string output) => Regex.Matches(output, @"^pong \d+$", RegexOptions.Multiline).Count;

    private static void WaitForPongs(BackgroundProcess pinger, int count, Func<string> context)
    {
        var clock = Stopwatch.StartNew();
        while (Pongs(pinger.Output) < count)
        {
            Assert.True(clock.Elapsed < Deadline && !pinger.HasExited, $"fewer than {count} pongs in {Deadline.TotalSeconds:0} s\n{context()}");
            Thread.Sleep(50);
        }
    }

    private static string Tail(string output) => output.Length <= 2000 ? output : "..." + output[^2000..];

    /// <summary>postern-socks' datagrams relayed, both directions, from a stats line asked for
    /// with SIGUSR1 (the line must be a new one).</summary>
    private static long PosternSocksRelayed(BackgroundProcess socks)
    {
        int lines = Regex.Matches(socks.Output, "stats:").Count;
        socks.Signal(10);
        var clock = Stopwatch.StartNew();
        while (Regex.Matches(socks.Output, "stats:").Count <= lines)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "postern-socks printed no stats line on SIGUSR1:\n" + socks.Output);
            Thread.Sleep(20);
        }
        string last = Regex.Matches(socks.Output, @"stats: .*$", RegexOptions.Multiline)[^1].Value;
        return Counter(last, "udp-relayed.to-client") + Counter(last, "udp-relayed.to-remote");
    }

    private static long Counter(string line, string name)
    {
        Match value = Regex.Match(line, @" " + Regex.Escape(name) + @"=(\d+)");
        Assert.True(value.Success, $"no {name} in: {line}");
        return long.Parse(value.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>Dante counts nothing it can be asked for; what it relays is seen on its host: the
    /// UDP datagrams that left the relay's namespace, both ways (the packet counter of the relay
    /// host's counting rule, -A OUTPUT -p udp -j ACCEPT; its only UDP sender is dante).</summary>
    private static long UdpSentBy(Netns relay)
    {
        string listing = relay.Check("iptables", "-L", "OUTPUT", "-v", "-n", "-x");
        Match rule = Regex.Match(listing, @"^\s*(\d+)\s+\d+\s+ACCEPT\s+(?:17|udp)\b", RegexOptions.Multiline);
        Assert.True(rule.Success, "no UDP counting rule in the relay's OUTPUT chain:\n" + listing);
        return long.Parse(rule.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
