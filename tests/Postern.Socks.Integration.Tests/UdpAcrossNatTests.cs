using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Socks.Integration.Tests;

/// <summary>UDP ASSOCIATE from behind the NAT lab's sites, with Debian's PySocks as the client:
/// postern-socks on the relay host (203.0.113.20), an echo on the reflector host. Dante gets 0 of 5
/// behind a symmetric NAT for PySocks' own request and for a private address (DanteTests); these
/// must get 5 of 5 whatever the client announced.</summary>
public class UdpAcrossNatTests
{
    private const string Relay = PunchLab.RelayAddress + ":1080";
    private const string Echo = PunchLab.ReflectorAddress + ":7";

    [RootTheory]
    [InlineData(SiteNat.Symmetric, "zero")]
    [InlineData(SiteNat.Symmetric, "private")]
    [InlineData(SiteNat.Symmetric, "port")]
    [InlineData(SiteNat.Cone, "private")]
    public void PySocks_gets_every_echo_whatever_it_announced(SiteNat kind, string announce)
    {
        using var lab = new PunchLab(new SiteOptions { Nat = kind });
        using Socks socks = Socks.Start(lab.Relay, "--listen", Relay);
        using BackgroundProcess echo = UdpPeer.StartEcho(lab.Reflector, Echo);
        using BackgroundProcess client = PySocks.Start(lab.A.Host, Relay, Echo, "--announce", announce, "--port", "40020", "--count", "5");
        Assert.True(client.WaitForExit(Socks.Timeout), client.Output);
        Assert.Equal(5, PySocks.Echoes(client.Output));
        // The echo saw the relay's address, not the site's: the datagrams went through it.
        Assert.Equal(5, Regex.Matches(client.Output, $@"^echo {Regex.Escape(Echo)} seen {Regex.Escape(PunchLab.RelayAddress)}:\d+$", RegexOptions.Multiline).Count);
        string stats = socks.Stats();
        Assert.Equal(5, Socks.Counter(stats, "udp-relayed.to-remote"));
        Assert.Equal(5, Socks.Counter(stats, "udp-relayed.to-client"));
        Assert.Equal(1, Socks.Counter(stats, "associations"));
        Assert.Equal(0, Socks.Counter(stats, "udp-dropped"));
    }

    [RootFact]
    public void PySocks_with_a_user_and_password_relays_and_a_wrong_password_is_refused_and_counted()
    {
        using var lab = new PunchLab(new SiteOptions { Nat = SiteNat.Symmetric });
        using var scratch = new ScratchDirectory("socks");
        string users = scratch.Combine("users");
        File.WriteAllText(users, "# test users\nalice:s3cret\n");
        using Socks socks = Socks.Start(lab.Relay, "--listen", Relay, "--users", users);
        using BackgroundProcess echo = UdpPeer.StartEcho(lab.Reflector, Echo);

        using BackgroundProcess good = PySocks.Start(lab.A.Host, Relay, Echo, "--announce", "zero", "--user", "alice", "--password", "s3cret");
        Assert.True(good.WaitForExit(Socks.Timeout), good.Output);
        Assert.Equal(5, PySocks.Echoes(good.Output));

        using BackgroundProcess bad = PySocks.Start(lab.A.Host, Relay, Echo, "--user", "alice", "--password", "wrong");
        Assert.True(bad.WaitForExit(Socks.Timeout), bad.Output);
        Assert.Contains("proxy error", bad.Output);
        Assert.Equal(3, bad.ExitCode);
        Assert.Equal(1, socks.Counter("refused.auth-failed"));
    }

    /// <summary>The remote peer's host has nothing on the port at first, so the relay's first
    /// datagrams get ICMP port unreachable (as a peer whose NAT has no mapping yet answers while
    /// punching); then the peer starts answering. The association must survive the errors and
    /// the client must get the data.</summary>
    [RootFact]
    public void An_icmp_port_unreachable_first_then_data_the_client_receives_the_data()
    {
        using var lab = new PunchLab(new SiteOptions { Nat = SiteNat.Symmetric });
        using Socks socks = Socks.Start(lab.Relay, "--listen", Relay);
        const string Late = PunchLab.ReflectorAddress + ":9999";
        using BackgroundProcess client = PySocks.Start(lab.A.Host, Relay, Late, "--announce", "zero", "--count", "60", "--interval", "0.25");
        Assert.True(socks.WaitForCounter("icmp-errors", 1, Socks.Timeout), socks.Output + client.Output);
        Assert.DoesNotContain("echo ", client.Output);
        using BackgroundProcess echo = UdpPeer.StartEcho(lab.Reflector, Late);
        Assert.True(client.WaitForOutput("echo " + Late, Socks.Timeout), client.Output + socks.Output);
        Assert.Equal(1, socks.Counter("open-associations")); // the one it started with, still open
        Assert.True(client.WaitForExit(TimeSpan.FromSeconds(60)), client.Output);
        Assert.True(PySocks.Echoes(client.Output) >= 5, client.Output);
        Assert.DoesNotContain("receive error", client.Output);
        string stats = socks.Stats();
        Assert.True(Socks.Counter(stats, "icmp-errors") >= 1, stats);
        Assert.Equal(1, Socks.Counter(stats, "associations"));
    }
}
