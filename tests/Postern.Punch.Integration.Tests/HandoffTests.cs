using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Punch.Integration.Tests;

/// <summary>What happens after the punch: --forward carries a socat session both ways (and
/// notices when the path dies), --exec gets the right values, and a relay carries the path when
/// both NATs are symmetric.</summary>
public class HandoffTests
{
    /// <summary>socat on each host talks to its own forwarder's local port; each sends a first
    /// line (so the forwarder learns where its program is) and, a second later, a second line,
    /// and writes what it receives to a file.</summary>
    private static BackgroundProcess StartSocat(PunchSite site, string name, string file) =>
        site.Host.Start("/bin/sh", "-c",
            $"timeout 8 socat -T 6 UDP4:127.0.0.1:7000 SYSTEM:'echo first-{name}; sleep 1; echo second-{name}; sleep 1; echo third-{name}; cat > {file}'");

    [RootFact]
    public void Forward_carries_a_socat_session_both_ways_and_stops_both_sides_on_a_signal()
    {
        using var lab = new PunchLab();
        using var scratch = new ScratchDirectory("punch");
        using var pair = PunchPair.Start(lab,
            new[] { "--forward", "127.0.0.1:7000" }, new[] { "--forward", "127.0.0.1:7000" });
        BackgroundProcess first = pair.A, second = pair.B;
        pair.WaitForwarding();
        string fileA = Path.Combine(scratch.Path, "a.out");
        string fileB = Path.Combine(scratch.Path, "b.out");
        using BackgroundProcess socatA = StartSocat(lab.A, "a", fileA);
        using BackgroundProcess socatB = StartSocat(lab.B, "b", fileB);
        Assert.True(socatA.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.True(socatB.WaitForExit(TimeSpan.FromSeconds(20)));
        string gotA = File.ReadAllText(fileA);
        string gotB = File.ReadAllText(fileB);
        Assert.Contains("second-b", gotA);
        Assert.Contains("third-b", gotA);
        Assert.Contains("second-a", gotB);
        Assert.Contains("third-a", gotB);

        first.Signal(15);
        Assert.Equal(0, Punch.WaitExit(first));
        // The peer is told (a close probe) and ends at once, not after the consent timeout.
        Assert.Equal(0, Punch.WaitExit(second, TimeSpan.FromSeconds(10)));
        Assert.Contains("closed the path", second.Output);
        Assert.True(Punch.Stat(first, "forwarded-out") >= 2);
        Assert.True(Punch.Stat(first, "forwarded-in") >= 2);
    }

    [RootFact]
    public void A_held_path_that_dies_is_noticed_by_consent_and_ends_with_status_3()
    {
        using var lab = new PunchLab(new SiteOptions { UdpTimeout = TimeSpan.FromSeconds(2) });
        string[] hold = { "--forward", "127.0.0.1:7000", "--keepalive", "1", "--consent-timeout", "3" };
        using var pair = PunchPair.Start(lab, hold, hold);
        BackgroundProcess first = pair.A, second = pair.B;
        pair.WaitForwarding();
        // Keepalives every second hold the path well past the 2 s UDP timeout of NAT A...
        Thread.Sleep(TimeSpan.FromSeconds(4));
        Assert.False(first.HasExited, first.Output);
        Assert.False(second.HasExited, second.Output);
        // ...until NAT A drops the site's UDP: its mapping expires, both sides notice.
        lab.A.Nat.Check("iptables", "-I", "FORWARD", "-p", "udp", "-j", "DROP");
        Assert.Equal(3, Punch.WaitExit(first, TimeSpan.FromSeconds(15)));
        Assert.Equal(3, Punch.WaitExit(second, TimeSpan.FromSeconds(15)));
        Assert.Contains("lost: no answer from the peer for 3 s", first.Output);
        Assert.Contains("lost: no answer from the peer for 3 s", second.Output);
        Assert.True(Punch.Stat(first, "keepalive-answers") >= 3, first.Output);
    }

    [RootFact]
    public void With_keep_a_lost_path_is_punched_again_through_the_reflector()
    {
        using var lab = new PunchLab();
        string[] hold = { "--forward", "127.0.0.1:7000", "--keepalive", "1", "--consent-timeout", "3", "--keep" };
        using var pair = PunchPair.Start(lab, hold, hold);
        BackgroundProcess first = pair.A, second = pair.B;
        pair.WaitForwarding();
        // NAT A drops the site's UDP for longer than the consent timeout, then lets it through.
        lab.A.Nat.Check("iptables", "-I", "FORWARD", "-p", "udp", "-j", "DROP");
        Assert.True(first.WaitForOutput("re-punching (--keep), round 2", TimeSpan.FromSeconds(15)), first.Output);
        Assert.True(second.WaitForOutput("re-punching (--keep), round 2", TimeSpan.FromSeconds(15)), second.Output);
        lab.A.Nat.Check("iptables", "-D", "FORWARD", "-p", "udp", "-j", "DROP");
        Assert.True(WaitForCount(first, "punched local=", 2, Punch.Timeout), first.Output);
        Assert.True(WaitForCount(second, "punched local=", 2, Punch.Timeout), second.Output);
        Assert.False(first.HasExited);
        Assert.False(second.HasExited);
        first.Signal(15);
        Assert.Equal(0, Punch.WaitExit(first));
        Assert.Equal(0, Punch.WaitExit(second, TimeSpan.FromSeconds(10)));
    }

    private static bool WaitForCount(BackgroundProcess process, string text, int count, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (Regex.Matches(process.Output, Regex.Escape(text)).Count >= count)
            {
                return true;
            }
            Thread.Sleep(50);
        }
        return false;
    }

    [RootFact]
    public void Exec_gets_the_ports_and_addresses_of_the_punch()
    {
        using var lab = new PunchLab();
        using var scratch = new ScratchDirectory("punch");
        using BackgroundProcess reflector = Punch.StartReflector(lab.Reflector);
        string file = Path.Combine(scratch.Path, "exec.out");
        (BackgroundProcess first, BackgroundProcess second) = Punch.Pair(lab,
            new[] { "--exec", $"echo {{local_port}} {{public_ip}} {{public_port}} {{peer_ip}} {{peer_port}} > {file}; exit 7" });
        using (first)
        using (second)
        {
            Punched pa = Punch.WaitPunched(first);
            Punched pb = Punch.WaitPunched(second);
            Assert.Equal(7, Punch.WaitExit(first));
            Assert.Equal(0, Punch.WaitExit(second));
            Assert.Equal($"{pa.LocalPort} {PunchLab.SiteAPublicAddress} {pa.PublicPort} {PunchLab.SiteBPublicAddress} {pb.PublicPort}",
                File.ReadAllText(file).Trim());
        }
    }

    [RootFact]
    public void Two_symmetric_nats_connect_through_a_socks5_relay_and_carry_data()
    {
        using var lab = new PunchLab(new SiteOptions { Nat = SiteNat.Symmetric }, new SiteOptions { Nat = SiteNat.Symmetric });
        using var scratch = new ScratchDirectory("punch");
        // dante in its default configuration: it relays datagrams from a stranger only once its
        // external socket is unconnected, which the STUN request postern-punch sends through it
        // (a second destination) brings about (DanteTests pin both behaviours).
        using Dante dante = Dante.Start(lab.Relay, PunchLab.RelayAddress);
        using var pair = PunchPair.Start(lab,
            new[] { "--relay", $"socks5://{PunchLab.RelayAddress}:1080", "--forward", "127.0.0.1:7000" },
            new[] { "--forward", "127.0.0.1:7000" });
        BackgroundProcess first = pair.A, second = pair.B;
        Punched pa = Punch.WaitPunched(first);
        Punched pb = Punch.WaitPunched(second);
        Assert.Equal("relay", pa.Path);
        Assert.Equal("relay", pb.Path);
        Assert.Equal(PunchLab.RelayAddress, pb.PeerIp);
        Assert.True(first.WaitForOutput("forwarding 127.0.0.1:7000", Punch.Timeout), first.Output);
        Assert.True(second.WaitForOutput("forwarding 127.0.0.1:7000", Punch.Timeout), second.Output);
        string fileA = Path.Combine(scratch.Path, "a.out");
        string fileB = Path.Combine(scratch.Path, "b.out");
        using BackgroundProcess socatA = StartSocat(lab.A, "a", fileA);
        using BackgroundProcess socatB = StartSocat(lab.B, "b", fileB);
        Assert.True(socatA.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.True(socatB.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.Contains("third-b", File.ReadAllText(fileA));
        Assert.Contains("third-a", File.ReadAllText(fileB));
    }

    [RootFact]
    public void Two_symmetric_nats_without_a_relay_say_so_in_one_sentence()
    {
        using var lab = new PunchLab(new SiteOptions { Nat = SiteNat.Symmetric }, new SiteOptions { Nat = SiteNat.Symmetric });
        using var pair = PunchPair.Start(lab);
        BackgroundProcess first = pair.A, second = pair.B;
        Assert.Equal(1, Punch.WaitExit(first));
        Assert.Equal(1, Punch.WaitExit(second));
        Assert.Contains("no direct path can be punched; give one side --relay socks5://HOST:PORT", first.Output);
        Assert.Contains("no direct path can be punched; give one side --relay socks5://HOST:PORT", second.Output);
    }
}
