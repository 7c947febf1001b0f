using System.Net;
using Postern.Punch;

namespace Postern.Punch.Tests;

public class ManualLineTests
{
    [Theory]
    [InlineData("Got my IP and Port: ('203.0.113.7', 40060, 5000).", "203.0.113.7:40060")]
    [InlineData("peer> ('203.0.113.7', 40060)  ", "203.0.113.7:40060")]
    [InlineData("[12:01] alice: Got my IP and Port: ('198.51.100.200', 1, 2).!!", "198.51.100.200:1")]
    [InlineData("('2001:db8::7', 40060, 40060)", "[2001:db8::7]:40060")]
    public void Any_line_with_the_tuple_in_it(string line, string expected)
    {
        Assert.Equal(expected, Endpoints.Format(ManualLine.Parse(line, out _)!));
    }

    [Theory]
    [InlineData("203.0.113.7 40060", "no ('IP', PORT)")]
    [InlineData("('203.0.113.7', 70000)", "not a port")]
    [InlineData("('example.org', 40060)", "not an IP address")]
    [InlineData("('203.0.113', 40060)", "not an IP address")]
    public void A_line_without_a_good_tuple_is_named(string line, string named)
    {
        Assert.Null(ManualLine.Parse(line, out string? problem));
        Assert.Contains(named, problem);
    }

    [Fact]
    public void Our_line_is_the_classic_one_and_reads_back()
    {
        string line = ManualLine.Format(new IPEndPoint(IPAddress.Parse("203.0.113.7"), 40060), 5000);
        Assert.Equal("Got my IP and Port: ('203.0.113.7', 40060, 5000).", line);
        Assert.Equal("203.0.113.7:40060", Endpoints.Format(ManualLine.Parse(line, out _)!));
    }

    [Fact]
    public void Both_sides_derive_the_same_manual_key()
    {
        var a = new IPEndPoint(IPAddress.Parse("203.0.113.1"), 1000);
        var b = new IPEndPoint(IPAddress.Parse("203.0.113.2"), 2000);
        Assert.Equal(PunchClient.ManualKey(a, b), PunchClient.ManualKey(b, a));
        Assert.NotEqual(PunchClient.ManualKey(a, b), PunchClient.ManualKey(a, new IPEndPoint(b.Address, 2001)));
    }
}

public class ExecAndRelayTests
{
    [Fact]
    public void Exec_gets_every_value_put_in()
    {
        string command = ExecCommand.Substitute("x {local_port} {public_ip}:{public_port} {peer_ip} {peer_port} {local_port}", 5000,
            new IPEndPoint(IPAddress.Parse("203.0.113.1"), 40000), new IPEndPoint(IPAddress.Parse("203.0.113.2"), 50000));
        Assert.Equal("x 5000 203.0.113.1:40000 203.0.113.2 50000 5000", command);
    }

    [Theory]
    [InlineData("socks5://203.0.113.20:1080", "203.0.113.20", 1080, null)]
    [InlineData("socks5://203.0.113.20", "203.0.113.20", 1080, null)]
    [InlineData("SOCKS5://user:p%40ss@[2001:db8::20]:1081/", "2001:db8::20", 1081, "user")]
    public void Relay_urls(string text, string host, int port, string? user)
    {
        RelayAddress relay = RelayAddress.Parse(text, out _)!;
        Assert.Equal(host, relay.Host);
        Assert.Equal(port, relay.Port);
        Assert.Equal(user, relay.User);
        if (user is not null)
        {
            Assert.Equal("p@ss", relay.Password);
        }
    }

    [Theory]
    [InlineData("http://203.0.113.20:1080", "not a socks5")]
    [InlineData("socks5://203.0.113.20:99999", "not a port")]
    [InlineData("socks5://:pw@203.0.113.20:1080", "1 to 255 bytes")]
    public void Bad_relay_urls_are_named(string text, string named)
    {
        Assert.Null(RelayAddress.Parse(text, out string? problem));
        Assert.Contains(named, problem);
        Assert.StartsWith("--relay: ", problem);
    }

    [Fact]
    public void Peer_info_round_trips_and_unknown_versions_read_as_nothing()
    {
        byte[] bytes = new byte[PeerInfo.Length];
        new PeerInfo(NatBehaviour.AddressAndPortDependent, true).Write(bytes);
        Assert.Equal(new PeerInfo(NatBehaviour.AddressAndPortDependent, true), PeerInfo.Read(bytes));
        bytes[0] = 2;
        Assert.Equal(default, PeerInfo.Read(bytes));
        Assert.Equal(default, PeerInfo.Read(default));
    }

    [Fact]
    public void Port_allocation_is_classified_from_the_ports_seen()
    {
        var report = new NatReport();
        report.MappedPorts.AddRange(new[] { 40000, 40000, 40000 });
        Assert.Equal("one port for every destination", report.Allocation());
        report.MappedPorts.Clear();
        report.MappedPorts.AddRange(new[] { 40000, 40001, 40002 });
        Assert.StartsWith("sequential", report.Allocation());
        report.MappedPorts.Clear();
        report.MappedPorts.AddRange(new[] { 40000, 12000, 61000 });
        Assert.Equal("random (steps -28000, +49000)", report.Allocation());
    }
}
