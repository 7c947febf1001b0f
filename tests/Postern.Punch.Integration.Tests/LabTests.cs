using System.Globalization;
using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Punch.Integration.Tests;

/// <summary>PunchLab keeps its promises, checked with real datagrams (udppeer.py in the
/// namespaces): each NAT kind maps and filters as its comment says, the WAN firewall drops, the
/// shared NAT routes between its LANs and does not hairpin, a double NAT works outward, a short
/// UDP timeout expires a mapping, and DESIGN.md's simultaneous-open clash happens and is undone by
/// low-TTL openers. Every step is ordered by the test (one side waits for the other's output or a
/// start time), so the counts are exact.</summary>
public class LabTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly string[] ReflectorEndpoints =
    {
        PunchLab.ReflectorAddress + ":3478", PunchLab.ReflectorAddress + ":3479",
        PunchLab.ReflectorAlternateAddress + ":3478", PunchLab.ReflectorAlternateAddress + ":3479",
    };

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The "seen ADDR:PORT" answers of an ask, in the order asked.</summary>
    private static List<(string Address, int Port)> Seen(string output) => Regex.Matches(output, @"^\S+ seen ([\d.]+):(\d+)$", RegexOptions.Multiline)
        .Select(m => (m.Groups[1].Value, int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))).ToList();

    private static BackgroundProcess StartAsk(PunchSite site, int port, double listenSeconds, params string[] destinations)
    {
        BackgroundProcess ask = UdpPeer.Start(site.Host, new[] { "ask", "--port", Port(port), "--listen", listenSeconds.ToString(CultureInfo.InvariantCulture) }
            .Concat(destinations).ToArray());
        Assert.True(ask.WaitForOutput("asked", Timeout), ask.Output);
        return ask;
    }

    private static string Finish(BackgroundProcess process)
    {
        Assert.True(process.WaitForExit(Timeout), process.Command + " did not end: " + process.Output);
        return process.Output;
    }

    [RootTheory]
    [InlineData(SiteNat.Cone)]
    [InlineData(SiteNat.FullCone)]
    [InlineData(SiteNat.Symmetric)]
    public void TheMappingIsEndpointIndependentExceptBehindTheSymmetricNat(SiteNat kind)
    {
        using var lab = new PunchLab(new SiteOptions { Nat = kind });
        using BackgroundProcess echo = UdpPeer.StartEcho(lab.Reflector, ReflectorEndpoints);

        CommandResult ask = UdpPeer.Run(lab.A.Host, Timeout, new[] { "ask", "--port", "40001" }.Concat(ReflectorEndpoints).ToArray());
        List<(string Address, int Port)> seen = Seen(ask.Output);
        Assert.True(seen.Count == 4, ask.ToString());
        Assert.All(seen, s => Assert.Equal(PunchLab.SiteAPublicAddress, s.Address));
        if (kind == SiteNat.Symmetric)
        {
            // --random-fully: four destinations, four random ports; all equal would be 1 in 2^48.
            Assert.True(seen.Select(s => s.Port).Distinct().Count() > 1, ask.Output);
        }
        else
        {
            Assert.All(seen, s => Assert.Equal(40001, s.Port)); // one port, the host's own, for every destination
        }
    }

    /// <summary>After host A has sent to the reflector, a stranger (the relay host, never
    /// contacted) sends to A's mapping: only the full cone lets it in, firewall or not (the
    /// firewall lets DNATed datagrams through, as OpenWrt's port forwards).</summary>
    [RootTheory]
    [InlineData(SiteNat.Cone, false, false)]
    [InlineData(SiteNat.Cone, true, false)]
    [InlineData(SiteNat.FullCone, false, true)]
    [InlineData(SiteNat.FullCone, true, true)]
    public void OnlyTheFullConeLetsInADatagramFromARemoteNeverContacted(SiteNat kind, bool firewall, bool delivered)
    {
        using var lab = new PunchLab(new SiteOptions { Nat = kind, WanFirewall = firewall });
        using BackgroundProcess echo = UdpPeer.StartEcho(lab.Reflector, PunchLab.ReflectorAddress + ":3478");

        BackgroundProcess ask = StartAsk(lab.A, 40002, 2, PunchLab.ReflectorAddress + ":3478");
        Assert.Contains($"seen {PunchLab.SiteAPublicAddress}:40002", ask.Output, StringComparison.Ordinal);
        UdpPeer.Run(lab.Relay, Timeout, "send", $"{PunchLab.SiteAPublicAddress}:40002", "--port", "5000", "--count", "3", "--text", "stranger").EnsureSuccess();
        string output = Finish(ask);

        Assert.Equal(delivered ? 3 : 0, Regex.Matches(output, $@"^from {Regex.Escape(PunchLab.RelayAddress)}:5000 stranger \d$", RegexOptions.Multiline).Count);
    }

    /// <summary>Unsolicited datagrams from the WAN: to the NAT itself (INPUT) the NAT without
    /// firewall answers port unreachable and keeps a conntrack entry (what later clashes), the
    /// firewall drops it silently and keeps none; to the inside address, routed at the NAT by a
    /// neighbour on the WAN (FORWARD), the NAT without firewall forwards it, the firewall drops it.</summary>
    [RootTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheWanFirewallDropsUnsolicitedInbound(bool firewall)
    {
        using var lab = new PunchLab(new SiteOptions { WanFirewall = firewall });

        CommandResult toNat = UdpPeer.Run(lab.Relay, Timeout, "refused", $"{PunchLab.SiteAPublicAddress}:40003", "--seconds", "1");
        Assert.Equal(firewall ? "silent" : "refused", toNat.Output.Trim());
        string conntrack = lab.A.Nat.Check("cat", "/proc/net/nf_conntrack");
        Assert.Equal(!firewall, conntrack.Contains("dport=40003 ", StringComparison.Ordinal));

        lab.Internet.Check("ip", "route", "add", PunchLab.SiteAHostAddress, "via", PunchLab.SiteAPublicAddress);
        BackgroundProcess receiver = UdpPeer.Start(lab.A.Host, "recv", "--port", "40004", "--seconds", "1.5");
        Assert.True(receiver.WaitForOutput("listening", Timeout), receiver.Output);
        UdpPeer.Run(lab.Relay, Timeout, "send", $"{PunchLab.SiteAHostAddress}:40004", "--port", "5001", "--count", "3", "--text", "routed").EnsureSuccess();
        string output = Finish(receiver);
        Assert.Equal(firewall ? 0 : 3, Regex.Matches(output, @"^from 203\.0\.113\.20:5001 routed \d$", RegexOptions.Multiline).Count);
    }

    /// <summary>Two hosts behind one NAT talk by their local addresses, un-NATed, and share one
    /// public address; a datagram to the other's public mapping does not come round (no hairpin).</summary>
    [RootFact]
    public void SameNatHostsReachEachOtherByLocalAddressAndTheNatDoesNotHairpin()
    {
        using var lab = PunchLab.SameNat();
        Assert.Same(lab.A.Nat, lab.B.Nat);
        Assert.Equal(lab.A.PublicAddress, lab.B.PublicAddress);
        using BackgroundProcess echoB = UdpPeer.StartEcho(lab.B.Host, $"{PunchLab.SiteBHostAddress}:4000");
        using BackgroundProcess echo = UdpPeer.StartEcho(lab.Reflector, PunchLab.ReflectorAddress + ":3478");

        CommandResult local = UdpPeer.Run(lab.A.Host, Timeout, "ask", "--port", "40005", $"{PunchLab.SiteBHostAddress}:4000");
        Assert.Contains($"seen {PunchLab.SiteAHostAddress}:40005", local.Output, StringComparison.Ordinal);

        BackgroundProcess b = StartAsk(lab.B, 40006, 1.5, PunchLab.ReflectorAddress + ":3478");
        Assert.Contains($"seen {PunchLab.SiteAPublicAddress}:40006", b.Output, StringComparison.Ordinal);
        UdpPeer.Run(lab.A.Host, Timeout, "send", $"{PunchLab.SiteAPublicAddress}:40006", "--port", "40007", "--count", "3", "--text", "hairpin").EnsureSuccess();
        Assert.DoesNotContain("hairpin", Finish(b), StringComparison.Ordinal);
    }

    [RootFact]
    public void DoubleNatWorksOutward()
    {
        using var lab = new PunchLab(new SiteOptions { DoubleNat = true });
        Assert.Equal(PunchLab.SiteAInnerHostAddress, lab.A.HostAddress);
        Assert.NotNull(lab.A.InnerNat);
        Assert.Equal(2, lab.A.Nats.Count);
        using BackgroundProcess echo = UdpPeer.StartEcho(lab.Reflector, PunchLab.ReflectorAddress + ":3478");

        CommandResult ask = UdpPeer.Run(lab.A.Host, Timeout, "ask", "--port", "40008", PunchLab.ReflectorAddress + ":3478");
        // Both NATs keep the free port: the reflector sees the outer NAT's address and the host's port.
        Assert.Equal(new[] { (PunchLab.SiteAPublicAddress, 40008) }, Seen(ask.Output));
    }

    /// <summary>The reflector answers at once, and again 0.5 s and 4 s later without being asked.
    /// With a 2 s UDP timeout the mapping is gone by the third (idle 3.5 s), so it is dropped; with
    /// the kernel's 30 s all three arrive.</summary>
    [RootTheory]
    [InlineData(2, false)]
    [InlineData(0, true)]
    public void AShortUdpTimeoutExpiresTheMapping(int timeoutSeconds, bool lateArrives)
    {
        using var lab = new PunchLab(new SiteOptions { UdpTimeout = timeoutSeconds > 0 ? TimeSpan.FromSeconds(timeoutSeconds) : null });
        Assert.Equal(timeoutSeconds > 0 ? Port(timeoutSeconds) : "30", lab.A.Nat.Check("sysctl", "-n", "net.netfilter.nf_conntrack_udp_timeout").Trim());
        using BackgroundProcess echo = UdpPeer.Start(lab.Reflector, "echo", PunchLab.ReflectorAddress + ":3478", "--again", "0.5", "--again", "4");
        Assert.True(echo.WaitForOutput("listening", Timeout), echo.Output);

        string output = Finish(StartAsk(lab.A, 40009, 4.6, PunchLab.ReflectorAddress + ":3478"));
        Assert.Contains("again 0.5 ", output, StringComparison.Ordinal);
        Assert.Equal(lateArrives, output.Contains("again 4 ", StringComparison.Ordinal));
    }

    /// <summary>DESIGN.md's "Linux NAT simultaneous open", with both sites cone and each host on
    /// port 40010 (so each knows the other's mapping): A's probes start 0.3 s before B's. Without
    /// firewall or openers, A's first probe reaches NAT B first, NAT B keeps an entry for it, B's
    /// own probes clash with it and leave from another port, and nothing is delivered either way.
    /// A TTL-2 opener from each side (it dies at the internet router) makes each NAT's mapping
    /// first: every probe arrives. With the WAN firewall, A's early probes are dropped without an
    /// entry, so B's all arrive and A's arrive from the moment B has sent.</summary>
    [RootTheory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void SimultaneousOpenClashesUnlessLowTtlOpenersGoFirst(bool firewall, bool openers)
    {
        var site = new SiteOptions { WanFirewall = firewall };
        using var lab = new PunchLab(site, site);
        // Both start at one wall-clock time, well after python is up; A's probes (every 0.1 s from
        // +0.1 s) lead B's (from +0.4 s) by 0.3 s and last 1.5 s, margins that a loaded machine
        // does not eat.
        double start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0 + 3.0;
        BackgroundProcess Peer(PunchSite self, PunchSite other, double delay) => UdpPeer.Start(self.Host, "peer", "--port", "40010",
            "--peer", other.PublicAddress + ":40010", "--start", start.ToString("F3", CultureInfo.InvariantCulture),
            "--delay", delay.ToString(CultureInfo.InvariantCulture), "--count", "15", "--interval", "0.1", "--seconds", "3.5",
            "--opener-ttl", openers ? "2" : "0");
        BackgroundProcess a = Peer(lab.A, lab.B, 0.1);
        BackgroundProcess b = Peer(lab.B, lab.A, 0.4);
        int atA = Received(Finish(a));
        int atB = Received(Finish(b));

        if (openers)
        {
            Assert.Equal((15, 15), (atA, atB));
        }
        else if (firewall)
        {
            Assert.Equal(15, atA); // every probe of B's
            Assert.InRange(atB, 1, 14); // A's first ones were dropped before B had sent, the rest arrived
        }
        else
        {
            Assert.Equal((0, 0), (atA, atB));
        }
    }

    private static int Received(string output)
    {
        Match m = Regex.Match(output, @"^received (\d+)", RegexOptions.Multiline);
        Assert.True(m.Success, output);
        return int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
