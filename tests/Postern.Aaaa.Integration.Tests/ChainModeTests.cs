using Postern.Testing;

namespace Postern.Aaaa.Integration.Tests;

/// <summary>dig AAAA through each chain mode, IPv4 and IPv6: NODATA with Postern's SOA at once,
/// while dig A gets the slow server's real answer.</summary>
public sealed class ChainModeTests
{
    // Well under the upstream's delay, and far above what a direct answer takes.
    private static readonly int FastMs = (int)(DnsLab.UpstreamDelay.TotalMilliseconds / 2);

    private static void AssertAnsweredByPostern(DigResult result)
    {
        Assert.True(result.Status == "NOERROR", result.Output);
        Assert.Equal(0, result.AnswerCount);
        Assert.Equal(1, result.AuthorityCount);
        Assert.True(result.FromPostern, result.Output);
        Assert.True(result.QueryTimeMs >= 0 && result.QueryTimeMs < FastMs, $"AAAA took {result.QueryTimeMs} ms:\n{result.Output}");
    }

    private static void AssertRealAnswer(DigResult result, string type, string expected)
    {
        Assert.True(result.Status == "NOERROR", result.Output);
        Assert.Equal(new[] { expected }, result.Answers(type));
        Assert.False(result.FromPostern, result.Output);
        // It went all the way to the slow server.
        Assert.True(result.QueryTimeMs >= DnsLab.UpstreamDelay.TotalMilliseconds * 0.9, $"A took only {result.QueryTimeMs} ms:\n{result.Output}");
    }

    private static void Check(Netns from, Netns posternHost, string chain, string server4, string server6)
    {
        using BackgroundProcess postern = DnsLab.StartPostern(posternHost, "--chain", chain);
        foreach (string server in new[] { server4, server6 })
        {
            AssertAnsweredByPostern(DnsLab.Dig(from, server, "AAAA", "www.example.test"));
            AssertRealAnswer(DnsLab.Dig(from, server, "A", "www.example.test"), "A", DnsLab.RealV4);
        }
        DnsLab.Stats stats = DnsLab.ReadStats(postern);
        Assert.Equal(2, stats["answered"]);
        Assert.Equal(0, stats["send-errors"]);
    }

    [RootFact]
    public void Input_chain_answers_AAAA_for_the_local_DNS_server()
    {
        using var lab = new DnsLab(forwarder: true);
        Check(lab.Client, lab.Middle, "input", DnsLab.MiddleV4, DnsLab.MiddleV6);
    }

    [RootFact]
    public void Forward_chain_answers_AAAA_from_the_address_the_client_asked()
    {
        using var lab = new DnsLab(forwarder: false);
        Check(lab.Client, lab.Middle, "forward", DnsLab.ServerV4, DnsLab.ServerV6);
    }

    [RootFact]
    public void Output_chain_answers_this_hosts_own_AAAA_lookups()
    {
        using var lab = new DnsLab(forwarder: false);
        Check(lab.Client, lab.Client, "output", DnsLab.ServerV4, DnsLab.ServerV6);
    }

    [RootFact]
    public void Several_chains_and_queues_at_once()
    {
        using var lab = new DnsLab(forwarder: true);
        using BackgroundProcess postern = DnsLab.StartPostern(lab.Middle, "--chain", "input", "--chain", "forward", "--queues", "2");
        string saved = lab.Middle.Check("iptables-save");
        Assert.Contains("--queue-balance 53:54", saved, StringComparison.Ordinal);
        AssertAnsweredByPostern(DnsLab.Dig(lab.Client, DnsLab.MiddleV4, "AAAA", "a.example.test"));
        AssertAnsweredByPostern(DnsLab.Dig(lab.Client, DnsLab.ServerV6, "AAAA", "b.example.test"));
        // Enough distinct source ports that both queues get work.
        for (int i = 0; i < 8; i++)
        {
            AssertAnsweredByPostern(DnsLab.Dig(lab.Client, DnsLab.MiddleV4, "AAAA", $"n{i}.example.test"));
        }
        Assert.Equal(10, DnsLab.ReadStats(postern)["answered"]);
    }
}
