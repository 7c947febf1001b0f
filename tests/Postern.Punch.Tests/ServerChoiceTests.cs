using Postern.Punch;

namespace Postern.Punch.Tests;

public class ServerChoiceTests
{
    [Fact]
    public void Both_peers_choose_the_same_server_whatever_the_order_of_the_list()
    {
        var names = new List<string> { "203.0.113.10:3478", "203.0.113.20:3478", "stun.example.net:3478", "[2001:db8::1]:3478" };
        for (int i = 0; i < 200; i++)
        {
            byte[] token = PairingCode.Token(PairingCode.Generate());
            string chosen = names[ServerChoice.Choose(token, names)];
            var shuffled = names.OrderBy(_ => Random.Shared.Next()).ToList();
            Assert.Equal(chosen, shuffled[ServerChoice.Choose(token, shuffled)]);
        }
    }

    [Fact]
    public void Tokens_spread_over_the_servers_and_removing_one_moves_only_its_share()
    {
        var names = new List<string> { "a:3478", "b:3478", "c:3478", "d:3478" };
        var counts = new int[4];
        int moved = 0;
        for (int i = 0; i < 4000; i++)
        {
            byte[] token = PairingCode.Token(PairingCode.Generate());
            int chosen = ServerChoice.Choose(token, names);
            counts[chosen]++;
            int without = ServerChoice.Choose(token, names.Where(n => n != "d:3478").ToList());
            if (chosen != 3 && names[chosen] != names.Where(n => n != "d:3478").ToList()[without])
            {
                moved++;
            }
        }
        Assert.All(counts, c => Assert.InRange(c, 800, 1200));
        Assert.Equal(0, moved);
    }

    [Theory]
    [InlineData("Stun.Example.NET", 3478, "stun.example.net:3478")]
    [InlineData("2001:DB8::1", 3479, "[2001:db8::1]:3479")]
    [InlineData("203.0.113.10", 3478, "203.0.113.10:3478")]
    public void Canonical_names_are_lower_case_with_the_port(string host, int port, string expected) =>
        Assert.Equal(expected, ServerChoice.Canonical(host, port));

    [Theory]
    [InlineData("203.0.113.10", "203.0.113.10:3478")]
    [InlineData("203.0.113.10:3479", "203.0.113.10:3479")]
    [InlineData("[2001:db8::1]", "[2001:db8::1]:3478")]
    [InlineData("[2001:db8::1]:4000", "[2001:db8::1]:4000")]
    [InlineData("reflector.example.org", "reflector.example.org:3478")]
    public void Server_addresses_parse(string text, string canonical)
    {
        Assert.Equal(canonical, ServerAddress.Parse(text, out _)!.Canonical);
    }

    [Theory]
    [InlineData("2001:db8::1", "brackets")]
    [InlineData("203.0.113.10:0", "not a port")]
    [InlineData("203.0.113.10:65536", "not a port")]
    [InlineData("[2001:db8::1", "closing")]
    [InlineData(":3478", "no host")]
    public void Bad_server_addresses_are_named(string text, string named)
    {
        Assert.Null(ServerAddress.Parse(text, out string? problem));
        Assert.Contains(named, problem);
    }
}
