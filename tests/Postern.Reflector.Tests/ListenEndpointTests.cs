using System.Net;

namespace Postern.Reflector.Tests;

public class ListenEndpointTests
{
    [Theory]
    [InlineData("udp:[::]:3478", ListenTransport.Udp, "::", 3478)]
    [InlineData("tcp:203.0.113.10:80", ListenTransport.Tcp, "203.0.113.10", 80)]
    [InlineData("UDP:0.0.0.0:2727", ListenTransport.Udp, "0.0.0.0", 2727)]
    [InlineData("udp:[2001:db8::1]:0", ListenTransport.Udp, "2001:db8::1", 0)]
    public void GoodAddressesParse(string text, ListenTransport transport, string address, int port)
    {
        Assert.True(ListenEndpoint.TryParse(text, out ListenEndpoint? endpoint, out string? error), error);
        Assert.Equal(new ListenEndpoint(transport, IPAddress.Parse(address), (ushort)port), endpoint);
    }

    [Theory]
    [InlineData("3478", "must start with udp: or tcp:")]
    [InlineData("sctp:[::]:3478", "must start with udp: or tcp:")]
    [InlineData("udp:[::1]3478", "brackets")]
    [InlineData("udp:::1:3478", "HOST:PORT")]
    [InlineData("udp:2001:db8::1:3478", "HOST:PORT")]
    [InlineData("udp:1.2.3.4:70000", "not a port")]
    [InlineData("udp:1.2.3.4:", "not a port")]
    [InlineData("udp:reflector.example:3478", "not an IP address")]
    [InlineData("udp:[1.2.3.4]:3478", "not an IP address")]
    public void BadAddressesSaySoInOneSentence(string text, string expected)
    {
        Assert.False(ListenEndpoint.TryParse(text, out _, out string? error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Contains(text, error, StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultsAreUdp3478Tcp3478AndUdp2727()
    {
        Assert.Equal(new[] { "udp:[::]:3478", "tcp:[::]:3478", "udp:[::]:2727" }, ListenEndpoint.Defaults.Select(e => e.ToString()));
    }

    [Fact]
    public void AlternateNeedsANamedPrimaryOfTheSameFamilyDifferingInAddressAndPort()
    {
        var alternate = new IPEndPoint(IPAddress.Parse("203.0.113.11"), 3479);
        Assert.Contains("name the primary IP", ReflectorServer.Validate(new ReflectorOptions { Alternate = alternate }));
        ListenEndpoint primary = new(ListenTransport.Udp, IPAddress.Parse("203.0.113.10"), 3478);
        Assert.Null(ReflectorServer.Validate(new ReflectorOptions { Listen = new[] { primary }, Alternate = alternate }));
        Assert.Contains("differ", ReflectorServer.Validate(new ReflectorOptions
        {
            Listen = new[] { primary },
            Alternate = new IPEndPoint(IPAddress.Parse("203.0.113.11"), 3478),
        }));
        Assert.Contains("family", ReflectorServer.Validate(new ReflectorOptions
        {
            Listen = new[] { primary },
            Alternate = new IPEndPoint(IPAddress.Parse("2001:db8::2"), 3479),
        }));
    }

    [Fact]
    public void OutOfRangeNumbersAreRefused()
    {
        Assert.Contains("--workers", ReflectorServer.Validate(new ReflectorOptions { Workers = 0 }));
        Assert.Contains("--rate-prefix6", ReflectorServer.Validate(new ReflectorOptions { RateLimit = new RateLimitOptions { Ipv6PrefixLength = 65 } }));
        Assert.Contains("--software", ReflectorServer.Validate(new ReflectorOptions { Software = new string('x', 128) }));
        Assert.Null(ReflectorServer.Validate(new ReflectorOptions()));
    }
}
