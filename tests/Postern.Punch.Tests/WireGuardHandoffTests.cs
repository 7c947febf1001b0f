using System.Net;

namespace Postern.Punch.Tests;

public class WireGuardHandoffTests
{
    private const string Key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";

    [Fact]
    public void Wg_gets_the_punched_port_the_peer_and_a_keepalive()
    {
        var handoff = new WireGuardHandoff("wg0", Key);
        Assert.Equal(
            $"set wg0 listen-port 40000 peer {Key} endpoint 203.0.113.2:50000 persistent-keepalive 25",
            string.Join(' ', handoff.Arguments(40000, new IPEndPoint(IPAddress.Parse("203.0.113.2"), 50000))));
        Assert.Contains("endpoint [2001:db8::2]:50000 ",
            string.Join(' ', handoff.Arguments(40000, new IPEndPoint(IPAddress.Parse("2001:db8::2"), 50000))));
    }

    [Fact]
    public void Keep_gives_wg_its_own_keepalive()
    {
        var handoff = new WireGuardHandoff("wg0", Key) { Keepalive = 3 };
        Assert.EndsWith(" persistent-keepalive 3",
            string.Join(' ', handoff.Arguments(40000, new IPEndPoint(IPAddress.Parse("203.0.113.2"), 50000))));
    }

    [Theory]
    [InlineData(Key)]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    public void Public_keys_as_wg_prints_them_pass(string key) => Assert.Null(WireGuardHandoff.KeyProblem(key));

    [Theory]
    [InlineData("")]
    [InlineData("xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg")]
    [InlineData("xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg==")]
    [InlineData("xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8D!=")]
    [InlineData("xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=A")]
    [InlineData("dGhpcyBpcyBub3QgYSBrZXkgYXQgYWxsLCAzMyBieXQ")]
    public void Anything_else_is_not_a_key(string key) => Assert.Contains("not a WireGuard public key", WireGuardHandoff.KeyProblem(key));

    [Theory]
    [InlineData("wg0")]
    [InlineData("a")]
    [InlineData("wireguard-12345")]
    [InlineData("wg.site_b")]
    public void Linux_interface_names_pass(string name) => Assert.Null(WireGuardHandoff.InterfaceProblem(name));

    [Theory]
    [InlineData("")]
    [InlineData("wireguard-123456")]
    [InlineData("wg/0")]
    [InlineData("wg:0")]
    [InlineData("wg 0")]
    [InlineData("wg\t0")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("wgéééééééé")]
    public void Names_linux_refuses_are_refused(string name) => Assert.StartsWith("--wireguard: ", WireGuardHandoff.InterfaceProblem(name));
}
