using System.Net;
using Postern.Wire;

namespace Postern.Aaaa.Tests;

/// <summary>The --except-client CIDRs: what parses, and what a parsed prefix contains.</summary>
public class AddressPrefixTests
{
    private static AddressPrefix Parse(string text)
    {
        Assert.True(AddressPrefix.TryParse(text, out AddressPrefix? prefix), text);
        return prefix!;
    }

    private static bool Contains(AddressPrefix prefix, string address) =>
        prefix.Contains(IPAddress.Parse(address).GetAddressBytes());

    [Theory]
    [InlineData("1.2.3")]
    [InlineData("1.2")]
    [InlineData("16909060")]
    [InlineData("0x01.2.3.4")]
    [InlineData("1.2.3.4/33")]
    [InlineData("1.2.3.4/")]
    [InlineData("1.2.3.4/-1")]
    [InlineData("1.2.3.4/+8")]
    [InlineData("1.2.3.4/24/8")]
    [InlineData("1.2.3.256")]
    [InlineData("10.010.0.0/16")]
    [InlineData("192.0.2.07")]
    [InlineData("::1/129")]
    [InlineData("fe80::1%eth0")]
    [InlineData("fe80::1%2/64")]
    [InlineData("")]
    [InlineData("/24")]
    [InlineData("garbage")]
    [InlineData("example.com/24")]
    [InlineData("1.2.3.4 /24")]
    public void TryParse_Rejects(string text)
    {
        Assert.False(AddressPrefix.TryParse(text, out AddressPrefix? prefix));
        Assert.Null(prefix);
    }

    [Theory]
    [InlineData("192.0.2.0/24", 4, 24, "192.0.2.0/24")]
    [InlineData("192.0.2.7", 4, 32, "192.0.2.7/32")]
    [InlineData(" 10.0.0.0/8 ", 4, 8, "10.0.0.0/8")]
    [InlineData("0.0.0.0/0", 4, 0, "0.0.0.0/0")]
    [InlineData("2001:db8::/32", 16, 32, "2001:db8::/32")]
    [InlineData("::1", 16, 128, "::1/128")]
    [InlineData("::/0", 16, 0, "::/0")]
    [InlineData("::ffff:192.0.2.0/120", 16, 120, "::ffff:192.0.2.0/120")]
    public void TryParse_Accepts(string text, int addressLength, int length, string shown)
    {
        AddressPrefix prefix = Parse(text);

        Assert.Equal(addressLength, prefix.AddressLength);
        Assert.Equal(length, prefix.Length);
        Assert.Equal(shown, prefix.ToString());
    }

    [Fact]
    public void TryParse_ClearsHostBits()
    {
        AddressPrefix prefix = Parse("192.0.2.7/24");

        Assert.Equal("192.0.2.0/24", prefix.ToString());
        Assert.True(Contains(prefix, "192.0.2.200"));
        Assert.True(Contains(prefix, "192.0.2.0"));
        Assert.False(Contains(prefix, "192.0.3.7"));
    }

    [Fact]
    public void TryParse_ClearsHostBitsInsideAByte()
    {
        AddressPrefix prefix = Parse("2001:db8:1:2::7/47");

        Assert.Equal("2001:db8::/47", prefix.ToString());
        Assert.True(Contains(prefix, "2001:db8:1:ffff::1"));
        Assert.False(Contains(prefix, "2001:db8:2::1"));
    }

    [Theory]
    [InlineData("192.0.2.128/25", "192.0.2.128", true)]
    [InlineData("192.0.2.128/25", "192.0.2.255", true)]
    [InlineData("192.0.2.128/25", "192.0.2.127", false)]
    [InlineData("192.0.2.0/31", "192.0.2.1", true)]
    [InlineData("192.0.2.0/31", "192.0.2.2", false)]
    [InlineData("192.0.2.9", "192.0.2.9", true)]
    [InlineData("192.0.2.9", "192.0.2.8", false)]
    [InlineData("0.0.0.0/0", "203.0.113.1", true)]
    [InlineData("2001:db8:1::/48", "2001:db8:1:abcd::1", true)]
    [InlineData("2001:db8:1::/48", "2001:db8:2::1", false)]
    [InlineData("2001:db8::/29", "2001:db8:7::1", true)]
    [InlineData("2001:db8::/29", "2001:db0::1", false)]
    [InlineData("::/0", "2001:db8::1", true)]
    public void Contains_ExactlyThePrefix(string prefix, string address, bool expected) =>
        Assert.Equal(expected, Contains(Parse(prefix), address));

    [Fact]
    public void Contains_AnAddressOfTheOtherFamily_IsFalse()
    {
        Assert.False(Contains(Parse("0.0.0.0/0"), "::1"));
        Assert.False(Contains(Parse("::/0"), "192.0.2.1"));
        Assert.False(Parse("192.0.2.0/24").Contains(ReadOnlySpan<byte>.Empty));
    }
}
