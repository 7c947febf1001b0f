using Postern.Testing;

namespace Postern.Punch.Integration.Tests;

/// <summary>postern-punch --relay through postern-socks on the lab's relay host: both NATs
/// symmetric (no direct path), so the pair connects by the relay, and data crosses it both
/// ways. The same pair through dante is in HandoffTests; here the relay is Postern's own.</summary>
public class SocksRelayTests
{
    private static string SocksBinary => Repository.Binary("postern-socks");

    private static BackgroundProcess StartSocat(PunchSite site, string name, string file) =>
        site.Host.Start("/bin/sh", "-c",
            $"timeout 8 socat -T 6 UDP4:127.0.0.1:7000 SYSTEM:'echo first-{name}; sleep 1; echo second-{name}; sleep 1; echo third-{name}; cat > {file}'");

    [RootFact]
    public void Two_symmetric_nats_connect_through_postern_socks_and_carry_data()
    {
        using var lab = new PunchLab(new SiteOptions { Nat = SiteNat.Symmetric }, new SiteOptions { Nat = SiteNat.Symmetric });
        using var scratch = new ScratchDirectory("punch");
        using BackgroundProcess socks = lab.Relay.Start(SocksBinary, "--listen", PunchLab.RelayAddress + ":1080", "--stats-interval", "0");
        Assert.True(socks.WaitForOutput("ready: listening on", Punch.Timeout), socks.Output);
        using var pair = PunchPair.Start(lab,
            new[] { "--relay", $"socks5://{PunchLab.RelayAddress}:1080", "--forward", "127.0.0.1:7000" },
            new[] { "--forward", "127.0.0.1:7000" });
        Punched pa = Punch.WaitPunched(pair.A);
        Punched pb = Punch.WaitPunched(pair.B);
        Assert.Equal("relay", pa.Path);
        Assert.Equal("relay", pb.Path);
        Assert.Equal(PunchLab.RelayAddress, pb.PeerIp);
        Assert.True(pair.A.WaitForOutput("forwarding 127.0.0.1:7000", Punch.Timeout), pair.A.Output);
        Assert.True(pair.B.WaitForOutput("forwarding 127.0.0.1:7000", Punch.Timeout), pair.B.Output);
        string fileA = Path.Combine(scratch.Path, "a.out");
        string fileB = Path.Combine(scratch.Path, "b.out");
        using BackgroundProcess socatA = StartSocat(lab.A, "a", fileA);
        using BackgroundProcess socatB = StartSocat(lab.B, "b", fileB);
        Assert.True(socatA.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.True(socatB.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.Contains("third-b", File.ReadAllText(fileA));
        Assert.Contains("third-a", File.ReadAllText(fileB));
        socks.Signal(10);
        Assert.True(socks.WaitForOutput("stats:", TimeSpan.FromSeconds(10)), socks.Output);
        Assert.Matches(@"udp-relayed\.to-client=[1-9]", socks.Output);
        Assert.Matches(@"udp-relayed\.to-remote=[1-9]", socks.Output);
    }
}
