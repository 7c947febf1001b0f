using System.Globalization;
using Postern.Testing;

namespace Postern.Aaaa.Integration.Tests;

/// <summary>Under load with a full conntrack table, the scoped NOTRACK rule keeps every reply
/// going; without it the sends fail with EPERM and the counters say so. A full table cannot be
/// made in a child namespace (nf_conntrack_max is read-only there), so it is stood in for by a
/// rule that drops new tracked packets from port 53: a raw send that conntrack would have to
/// track fails exactly as with a full table.</summary>
public sealed class ConntrackTests
{
    private static void FillConntrackStandIn(Netns host)
    {
        foreach (string program in new[] { "iptables", "ip6tables" })
        {
            host.Check(program, "-A", "OUTPUT", "-p", "udp", "--sport", "53", "-m", "conntrack", "--ctstate", "NEW", "-j", "DROP");
        }
    }

    private static long ConntrackCount(Netns host) =>
        long.Parse(host.Check("cat", "/proc/sys/net/netfilter/nf_conntrack_count").Trim(), CultureInfo.InvariantCulture);

    [RootFact]
    public void Scoped_notrack_gives_zero_send_errors_under_load_with_a_full_table()
    {
        using var lab = new DnsLab(forwarder: true);
        FillConntrackStandIn(lab.Middle);
        using BackgroundProcess postern = DnsLab.StartPostern(lab.Middle);
        long conntrackBefore = ConntrackCount(lab.Middle);

        Dnsperf.Result load = Dnsperf.Run(lab.Client, DnsLab.MiddleV4, "AAAA", names: 1000, seconds: 3);
        DnsLab.Stats stats = DnsLab.ReadStats(postern);

        Assert.True(load.Completed > 1000, load.Output);
        Assert.Equal(0, load.Lost);
        Assert.Equal(0, stats["send-errors"]);
        Assert.True(stats["answered"] >= load.Completed, $"{stats.Line}\n{load.Output}");
        // The replies made no conntrack entries (the queries were dropped before confirmation).
        Assert.True(ConntrackCount(lab.Middle) - conntrackBefore < 5, $"conntrack grew from {conntrackBefore} to {ConntrackCount(lab.Middle)}");
    }

    [RootFact]
    public void Without_notrack_the_counters_show_the_send_errors_and_queries_still_pass()
    {
        using var lab = new DnsLab(forwarder: true);
        FillConntrackStandIn(lab.Middle);
        using BackgroundProcess postern = DnsLab.StartPostern(lab.Middle, "--no-notrack");
        Assert.Equal(2, DnsLab.CountRules(lab.Middle));

        // The reply cannot be sent, so the query is accepted and the real server answers it.
        DigResult result = DnsLab.Dig(lab.Client, DnsLab.MiddleV4, "AAAA", "www.example.test");
        Assert.Equal(new[] { DnsLab.RealV6 }, result.Answers("AAAA"));

        // Every client port's first reply fails; the query it answered then passes, is tracked,
        // and later replies to that port ride on its conntrack entry. So: at least one error per
        // client socket.
        Dnsperf.Run(lab.Client, DnsLab.MiddleV4, "AAAA", names: 200, seconds: 2, clients: 20, outstanding: 40);
        DnsLab.Stats stats = DnsLab.ReadStats(postern);
        Assert.True(stats["send-errors"] >= 21, stats.Line);
        Assert.Equal(stats["send-errors"], stats["send-errors.EPERM"]);
        Assert.Equal(stats["send-errors"], stats["passed.send-error"]);
    }

    [RootFact]
    public void Without_notrack_each_reply_takes_a_conntrack_entry_and_with_it_none()
    {
        using var lab = new DnsLab(forwarder: true);
        // Conntrack runs in a namespace only once a rule uses it, as on any stateful gateway.
        lab.Middle.Check("iptables", "-A", "INPUT", "-m", "conntrack", "--ctstate", "INVALID", "-j", "DROP");
        const int Queries = 100;
        long Entries(params string[] flags)
        {
            long before = ConntrackCount(lab.Middle);
            using BackgroundProcess postern = DnsLab.StartPostern(lab.Middle, flags);
            // A new source port for every query, as stub resolvers do; chosen, not random, so
            // that no two of them share a port (and with it a conntrack entry).
            int firstPort = flags.Length == 0 ? 20000 : 30000;
            CommandResult digs = lab.Client.Sh(
                $"for i in $(seq {Queries}); do dig -b {DnsLab.ClientV4}#$(({firstPort} + i)) @{DnsLab.MiddleV4} AAAA q$i.example.test +tries=1 +time=2 +short || exit 1; done",
                TimeSpan.FromSeconds(120));
            Assert.True(digs.Succeeded, digs.ToString());
            Assert.Equal(Queries, DnsLab.ReadStats(postern)["answered"]);
            return ConntrackCount(lab.Middle) - before;
        }
        long untracked = Entries();
        long tracked = Entries("--no-notrack");
        Assert.True(untracked < 5, $"with NOTRACK: {untracked} entries");
        Assert.True(tracked >= Queries, $"without NOTRACK: {tracked} entries\n{lab.Middle.Run("iptables-save").Output}{lab.Middle.Run("head", "-3", "/proc/net/nf_conntrack").Output}");
    }
}
