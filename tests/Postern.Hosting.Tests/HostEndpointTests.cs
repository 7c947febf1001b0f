using System.Net;

namespace Postern.Hosting.Tests;

public class HostEndpointTests
{
    [Theory]
    [InlineData("127.0.0.1:9100", "127.0.0.1:9100")]
    [InlineData("0.0.0.0:9100", "0.0.0.0:9100")]
    [InlineData("[::1]:9100", "[::1]:9100")]
    [InlineData("[::]:0", "[::]:0")]
    [InlineData("[2001:db8::7]:65535", "[2001:db8::7]:65535")]
    [InlineData("localhost:9100", "127.0.0.1:9100")]
    [InlineData("192.0.2.10:80", "192.0.2.10:80")]
    public void Parses(string text, string expected)
    {
        Assert.True(HostEndpoint.TryParse(text, out IPEndPoint? endpoint, out string? problem), problem);
        Assert.Equal(expected, HostEndpoint.Format(endpoint));
    }

    [Theory]
    [InlineData("9100", "is not HOST:PORT")]
    [InlineData("127.0.0.1:", "is not HOST:PORT")]
    [InlineData(":9100", "is not HOST:PORT")]
    [InlineData("127.0.0.1:65536", "is not a port")]
    [InlineData("127.0.0.1:-1", "is not a port")]
    [InlineData("127.0.0.1:http", "is not a port")]
    [InlineData("1.2.3:9100", "is not an IPv4 address")]
    [InlineData("10.010.0.1:9100", "is not an IPv4 address")]
    [InlineData("256.0.0.1:9100", "is not an IPv4 address")]
    [InlineData("example.org:9100", "is not an IPv4 address")]
    [InlineData("::1:9100", "goes in brackets")]
    [InlineData("[127.0.0.1]:9100", "is not an IPv6 address")]
    [InlineData("[zz::1]:9100", "is not an IPv6 address")]
    public void Refuses_WithOneSentence(string text, string says)
    {
        Assert.False(HostEndpoint.TryParse(text, out IPEndPoint? endpoint, out string? problem));
        Assert.Null(endpoint);
        Assert.Contains(says, problem);
        Assert.DoesNotContain("\n", problem);
    }
}
