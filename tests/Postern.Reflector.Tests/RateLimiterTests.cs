using System.Net;

namespace Postern.Reflector.Tests;

public class RateLimiterTests
{
    private static byte[] Ip(string text) => IPAddress.Parse(text).GetAddressBytes();

    private static int Take(RateLimiter limiter, string address, int attempts, long now)
    {
        int granted = 0;
        for (int i = 0; i < attempts; i++)
        {
            if (limiter.TryAcquire(Ip(address), now))
            {
                granted++;
            }
        }
        return granted;
    }

    [Fact]
    public void ABurstThenTheRate()
    {
        var limiter = new RateLimiter(new RateLimitOptions { PerSourceRate = 20, PerSourceBurst = 40, GlobalRate = 0 }, frequency: 1_000_000);
        Assert.Equal(40, Take(limiter, "192.0.2.1", 1000, 1_000_000));
        Assert.Equal(20, Take(limiter, "192.0.2.1", 1000, 2_000_000)); // one second later
    }

    [Fact]
    public void AnIpv6Slash64IsOneSource()
    {
        var limiter = new RateLimiter(new RateLimitOptions { PerSourceRate = 1, PerSourceBurst = 3, GlobalRate = 0 }, frequency: 1000);
        Assert.Equal(3, Take(limiter, "2001:db8:1:2::1", 10, 1000));
        Assert.Equal(0, Take(limiter, "2001:db8:1:2:ffff::9", 10, 1000));
        Assert.Equal(3, Take(limiter, "2001:db8:1:3::1", 10, 1000));
    }

    [Fact]
    public void AnIpv4PrefixCanBeWiderThanOneAddress()
    {
        var limiter = new RateLimiter(new RateLimitOptions { PerSourceRate = 1, PerSourceBurst = 3, Ipv4PrefixLength = 24, GlobalRate = 0 }, frequency: 1000);
        Assert.Equal(3, Take(limiter, "198.51.100.1", 10, 1000));
        Assert.Equal(0, Take(limiter, "198.51.100.200", 10, 1000));
        Assert.Equal(3, Take(limiter, "198.51.101.1", 10, 1000));
    }

    [Fact]
    public void Ipv4AndIpv6KeysNeverMeet()
    {
        var limiter = new RateLimiter(new RateLimitOptions());
        Assert.NotEqual(limiter.KeyOf(Ip("255.255.255.255")), limiter.KeyOf(Ip("ffff:ffff:ffff:ffff::")));
        Assert.NotEqual(limiter.KeyOf(Ip("0.0.0.1")), limiter.KeyOf(Ip("ffff:ffff:0:1::")));
    }

    [Fact]
    public void TheGlobalBudgetCapsAllSources()
    {
        var limiter = new RateLimiter(new RateLimitOptions { PerSourceRate = 100, PerSourceBurst = 100, GlobalRate = 50 }, frequency: 1000);
        int granted = 0;
        for (int source = 1; source <= 200; source++)
        {
            granted += Take(limiter, $"192.0.2.{source}", 1, 1000);
        }
        Assert.Equal(50, granted);
    }

    [Fact]
    public void CrowdingTheTableDoesNotRefillAnExhaustedSource()
    {
        // One set of four: a flood's victim has the latest arrival time, so fresh sources push
        // out the idle entries, never the victim's.
        var limiter = new RateLimiter(new RateLimitOptions { PerSourceRate = 1, PerSourceBurst = 5, GlobalRate = 0, TableSize = 4 }, frequency: 1000);
        Assert.Equal(5, Take(limiter, "203.0.113.7", 50, 1000));
        for (int source = 1; source <= 100; source++)
        {
            Take(limiter, $"198.51.100.{source}", 1, 1000);
        }
        Assert.Equal(0, Take(limiter, "203.0.113.7", 10, 1000));
    }

    [Fact]
    public void ThreadsShareTheBudgetExactly()
    {
        var limiter = new RateLimiter(new RateLimitOptions { PerSourceRate = 1, PerSourceBurst = 1000, GlobalRate = 0 }, frequency: 1000);
        int granted = 0;
        Parallel.For(0, 8, _ => Interlocked.Add(ref granted, Take(limiter, "192.0.2.9", 1000, 1000)));
        Assert.Equal(1000, granted);
    }
}
