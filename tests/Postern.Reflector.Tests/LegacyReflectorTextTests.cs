using System.Net;
using System.Text;
using Postern.Wire;

namespace Postern.Reflector.Tests;

public class LegacyReflectorTextTests
{
    private static string Text(byte[] address, ushort port, uint scopeId = 0)
    {
        var buffer = new byte[LegacyReflectorText.MaxLength];
        int length = LegacyReflectorText.Write(buffer, address, port, scopeId);
        Assert.True(length > 0);
        return Encoding.ASCII.GetString(buffer, 0, length);
    }

    [Fact]
    public void Ipv4IsPythonsReprOfTheAddressTuple()
    {
        Assert.Equal("Your address is ('203.0.113.7', 40060)\n", Text(IPAddress.Parse("203.0.113.7").GetAddressBytes(), 40060));
        Assert.Equal("Your address is ('0.0.0.0', 0)\n", Text(new byte[4], 0));
    }

    [Fact]
    public void Ipv6IsPythonsReprOfTheFourTuple()
    {
        Assert.Equal("Your address is ('2001:db8::1', 40060, 0, 0)\n", Text(IPAddress.Parse("2001:db8::1").GetAddressBytes(), 40060));
        Assert.Equal("Your address is ('fe80::1', 65535, 0, 4294967295)\n",
            Text(IPAddress.Parse("fe80::1").GetAddressBytes(), 65535, uint.MaxValue));
    }

    [Fact]
    public void Ipv4MappedIsWrittenAsPlainIpv4()
    {
        Assert.Equal("Your address is ('198.51.100.2', 5)\n", Text(IPAddress.Parse("::ffff:198.51.100.2").GetAddressBytes(), 5));
    }

    // Expected text from Python 3: socket.inet_ntop(AF_INET6, bytes) (glibc's inet_ntop).
    [Theory]
    [InlineData("20010db8000000000000000000000001", "2001:db8::1")]
    [InlineData("00000000000000000000000000000001", "::1")]
    [InlineData("00000000000000000000000000000000", "::")]
    [InlineData("20010db8000000000001000000000001", "2001:db8::1:0:0:1")]
    [InlineData("20010db8000000010001000100010001", "2001:db8:0:1:1:1:1:1")]
    [InlineData("fe800000000000000001000200030004", "fe80::1:2:3:4")]
    [InlineData("20010db8123456780011223344556677", "2001:db8:1234:5678:11:2233:4455:6677")]
    [InlineData("00000000000000000000000001020304", "::1.2.3.4")]
    [InlineData("00010000000000000000000000000000", "1::")]
    [InlineData("00010000000000020000000000000003", "1:0:0:2::3")]
    [InlineData("20010000000000010000000000000000", "2001:0:0:1::")]
    [InlineData("00000000000100000000000000000000", "0:0:1::")]
    [InlineData("20010db8000000000000ffff00000001", "2001:db8::ffff:0:1")]
    public void Ipv6TextIsWhatPythonPrints(string hex, string expected)
    {
        Assert.Equal($"Your address is ('{expected}', 1, 0, 0)\n", Text(Hex.Parse(hex), 1));
    }

    [Fact]
    public void TheLongestAnswerFits()
    {
        byte[] all = Enumerable.Repeat((byte)0xFF, 16).ToArray();
        string text = Text(all, 65535, uint.MaxValue);
        Assert.True(text.Length <= LegacyReflectorText.MaxLength);
        Assert.Equal(-1, LegacyReflectorText.Write(new byte[LegacyReflectorText.MaxLength - 1], all, 1));
        Assert.Equal(-1, LegacyReflectorText.Write(new byte[LegacyReflectorText.MaxLength], new byte[5], 1));
    }

    /// <summary>Write, then read back with .NET's parser: the same address, for random
    /// addresses with runs of zero groups (where compression decisions are made).</summary>
    [Fact]
    public void AnyIpv6AddressReadsBackToItself()
    {
        var random = new Random(3478);
        var address = new byte[16];
        for (int i = 0; i < 20000; i++)
        {
            random.NextBytes(address);
            for (int group = 0; group < 8; group++)
            {
                if (random.Next(3) == 0)
                {
                    address[2 * group] = 0;
                    address[2 * group + 1] = 0;
                }
            }
            string text = Text(address, 1);
            string host = text.Substring(18, text.IndexOf('\'', 18) - 18);
            byte[] parsed = IPAddress.Parse(host).GetAddressBytes();
            if (LegacyReflectorText.IsMapped(address))
            {
                Assert.Equal(address.AsSpan(12).ToArray(), parsed);
            }
            else
            {
                Assert.Equal(address, parsed);
                Assert.DoesNotContain(":::", host, StringComparison.Ordinal);
                Assert.Equal(host, host.ToLowerInvariant());
            }
        }
    }
}
