using Postern.Testing;

namespace Postern.Punch.Integration.Tests;

/// <summary>postern-punch connect between the two sites of a PunchLab, for each pairing of NAT
/// kinds the issue names, with the real reflector: both sides print the punched line, each names
/// the other's public mapping as its peer, and the path is the one that pairing allows.</summary>
public class ConnectTests
{
    public static TheoryData<SiteNat, bool, SiteNat, bool> DirectPairings => new()
    {
        { SiteNat.Cone, false, SiteNat.Cone, false },
        { SiteNat.Cone, true, SiteNat.Cone, true },
        { SiteNat.Cone, false, SiteNat.Cone, true },
        { SiteNat.Cone, false, SiteNat.FullCone, false },
        { SiteNat.FullCone, true, SiteNat.FullCone, false },
        { SiteNat.FullCone, false, SiteNat.Symmetric, false },
    };

    [RootTheory]
    [MemberData(nameof(DirectPairings))]
    public void Every_pairing_with_an_endpoint_independent_side_connects_directly(SiteNat a, bool firewallA, SiteNat b, bool firewallB)
    {
        using var lab = new PunchLab(new SiteOptions { Nat = a, WanFirewall = firewallA }, new SiteOptions { Nat = b, WanFirewall = firewallB });
        using var pair = PunchPair.Start(lab);
        BackgroundProcess first = pair.A, second = pair.B;
        (Punched pa, Punched pb) = pair.WaitPunchedAndExit();
        AssertMutual(lab, pa, pb, "direct");
    }

    [RootFact]
    public void Cone_and_symmetric_connect_by_birthday_probing()
    {
        using var lab = new PunchLab(new SiteOptions { Nat = SiteNat.Cone }, new SiteOptions { Nat = SiteNat.Symmetric });
        using var pair = PunchPair.Start(lab);
        BackgroundProcess first = pair.A, second = pair.B;
        (Punched pa, Punched pb) = pair.WaitPunchedAndExit();
        Assert.Contains("birthday probing, spraying side", first.Output);
        Assert.Contains("birthday probing, hard side", second.Output);
        Assert.Equal("direct", pa.Path);
        Assert.Equal(PunchLab.SiteBPublicAddress, pa.PeerIp);
        Assert.Equal(PunchLab.SiteAPublicAddress, pb.PeerIp);
        // The sprayed side found one of the hard side's mappings, not the one the reflector saw.
        Assert.Equal(PunchLab.SiteBPublicAddress, pb.PublicIp);
        Assert.Equal(pa.PublicPort, pb.PeerPort);
    }

    [RootFact]
    public void Both_behind_one_nat_find_the_lan_path()
    {
        using var lab = PunchLab.SameNat();
        using var pair = PunchPair.Start(lab);
        BackgroundProcess first = pair.A, second = pair.B;
        Punched pa = Punch.WaitPunched(first);
        Punched pb = Punch.WaitPunched(second);
        Assert.Equal("lan", pa.Path);
        Assert.Equal("lan", pb.Path);
        Assert.Equal(PunchLab.SiteBHostAddress, pa.PeerIp);
        Assert.Equal(PunchLab.SiteAHostAddress, pb.PeerIp);
        Assert.Equal(0, Punch.WaitExit(first));
        Assert.Equal(0, Punch.WaitExit(second));
    }

    [RootFact]
    public void A_host_behind_two_nats_connects_with_openers_that_pass_both()
    {
        using var lab = new PunchLab(new SiteOptions { Nat = SiteNat.Cone, DoubleNat = true }, new SiteOptions { Nat = SiteNat.Cone });
        using var pair = PunchPair.Start(lab, new[] { "--opener-ttl", "3" });
        BackgroundProcess first = pair.A, second = pair.B;
        Punched pa = Punch.WaitPunched(first);
        Punched pb = Punch.WaitPunched(second);
        AssertMutual(lab, pa, pb, "direct");
        Assert.Equal(0, Punch.WaitExit(first));
        Assert.Equal(0, Punch.WaitExit(second));
    }

    [RootFact]
    public void Wrong_codes_never_pair()
    {
        using var lab = new PunchLab();
        using BackgroundProcess reflector = Punch.StartReflector(lab.Reflector);
        using BackgroundProcess first = Punch.Start(lab.A, "connect", "--server", Punch.Server, "--wait", "4");
        string code = Punch.CodeOf(first);
        string wrong = code[..^1] + (code[^1] == '0' ? '1' : '0');
        using BackgroundProcess second = Punch.Start(lab.B, "connect", "--server", Punch.Server, "--code", wrong, "--wait", "4");
        Assert.Equal(1, Punch.WaitExit(first));
        Assert.Equal(1, Punch.WaitExit(second));
        Assert.DoesNotContain("punched", first.Output);
        Assert.DoesNotContain("punched", second.Output);
        Assert.Contains("no peer joined with this code within 4 s", first.Output);
        Assert.Contains("no peer joined with this code within 4 s", second.Output);
    }

    [RootFact]
    public void A_forged_probe_is_ignored_and_counted()
    {
        using var lab = new PunchLab();
        using var pair = PunchPair.Start(lab, new[] { "--port", "40500" });
        BackgroundProcess first = pair.A, second = pair.B;
        // Probe-shaped datagrams (magic, version, 60 bytes) with a MAC under no one's key, from
        // the NAT box, which is on host A's LAN; sent before and while the punch runs.
        string script = "import socket, time\n" +
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n" +
            "for i in range(40):\n" +
            $"    s.sendto(b'PNCH\\x01\\x01' + bytes(54), ('{PunchLab.SiteAHostAddress}', 40500))\n" +
            "    time.sleep(0.05)\n";
        using BackgroundProcess sender = lab.A.Nat.Start(UdpPeer.Python, "-c", script);
        Punched pa = Punch.WaitPunched(first);
        Punch.WaitPunched(second);
        Assert.True(sender.WaitForExit(Punch.Timeout));
        Assert.Equal(0, Punch.WaitExit(first));
        Assert.Equal(0, Punch.WaitExit(second));
        Assert.Equal(40500, pa.LocalPort);
        Assert.True(Punch.Stat(first, "probes-forged") >= 1, first.Output);
        Assert.Equal(0, Punch.Stat(second, "probes-forged"));
    }

    private static void AssertMutual(PunchLab lab, Punched pa, Punched pb, string path)
    {
        Assert.Equal(path, pa.Path);
        Assert.Equal(path, pb.Path);
        Assert.Equal(lab.A.PublicAddress, pa.PublicIp);
        Assert.Equal(lab.B.PublicAddress, pb.PublicIp);
        Assert.Equal(pb.PublicIp, pa.PeerIp);
        Assert.Equal(pa.PublicIp, pb.PeerIp);
        // A symmetric NAT maps the peer to another port than the reflector.
        if (lab.B.Options.Nat != SiteNat.Symmetric)
        {
            Assert.Equal(pb.PublicPort, pa.PeerPort);
        }
        if (lab.A.Options.Nat != SiteNat.Symmetric)
        {
            Assert.Equal(pa.PublicPort, pb.PeerPort);
        }
        Assert.True(pa.Attempts >= 1 && pb.Attempts >= 1);
    }
}
