using System.Diagnostics;
using Postern.Testing;
using Xunit.Abstractions;

namespace Postern.Aaaa.Integration.Tests;

/// <summary>Faults postern-aaaa must survive without making DNS worse: stopped or killed under
/// load, its rules flushed by an admin, the xtables lock held by someone else, its netlink socket
/// overrun, and a second instance beside it. The real daemon in the DNS lab, with dnsmasq on the
/// middle host answering by itself so that failing open is measured against a fast server.</summary>
public sealed class FaultTests(ITestOutputHelper output)
{
    // NFQUEUE in INPUT and NOTRACK in raw OUTPUT, for IPv4 and IPv6.
    private const int DefaultRuleCount = 4;

    private static readonly string[] Quiet = ["--rule-check-interval", "0"];

    [RootFact]
    public void Sigstop_under_load_fails_open_to_the_server_and_sigcont_answers_again()
    {
        using var lab = new DnsLab(forwarder: false);
        FaultLoad.StartLocalDns(lab.Middle);
        // The smallest netlink buffer: a stop fills it within some 100 queued queries, long
        // before the queue's 4096, and from then on the kernel lets every query through. (Until
        // one of the two is full, queued queries wait for the daemon: with 1 MiB here the stop
        // held all of dnsperf's 3000 and the dig below timed out; nothing is counted then.)
        using BackgroundProcess postern = DnsLab.StartPostern(lab.Middle, "--socket-buffer", "65536");

        // dnsperf's timeout is longer than the stop: the queries held in the queue when the
        // daemon stopped get their verdict (and Postern's answer) after SIGCONT. Its window of
        // outstanding queries (500) is wider than what the stop holds (some 200), so the stop
        // cannot stall it; much wider overruns the single-threaded server instead.
        using var load = new FaultLoad.Run(lab.Client, DnsLab.MiddleV4, seconds: 4, outstanding: 500, timeoutSeconds: 6);
        Thread.Sleep(700);
        DnsLab.Stats before = DnsLab.ReadStats(postern);
        postern.Signal(19); // SIGSTOP
        // dnsperf alone does not always fill the buffer: on a loaded machine it had fewer queries
        // in flight than the buffer holds when the stop came, nothing overflowed, and the dig
        // below waited in the queue like them (CI, once). A burst of 1,000 more queries while
        // stopped is far more than the buffer holds, so the kernel is failing open by the dig.
        CommandResult burst = lab.Client.Run("/usr/bin/python3", "-c",
            "import socket, struct\n" +
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n" +
            "for i in range(1000):\n" +
            "    name = b''.join(bytes([len(l)]) + l for l in (b'burst%d' % i, b'example', b'test')) + b'\\0'\n" +
            $"    s.sendto(struct.pack('>HHHHHH', i, 0x0100, 1, 0, 0, 0) + name + struct.pack('>HH', 28, 1), ('{DnsLab.MiddleV4}', 53))\n");
        Assert.True(burst.ExitCode == 0, burst.Output + burst.Error);
        Thread.Sleep(1000);
        DigResult duringStop = DnsLab.Dig(lab.Client, DnsLab.MiddleV4, "AAAA", "stopped.example.test");
        Thread.Sleep(1500);
        postern.Signal(18); // SIGCONT
        Dnsperf.Result result = load.Finish();

        DigResult afterStop = DnsLab.Dig(lab.Client, DnsLab.MiddleV4, "AAAA", "resumed.example.test");
        DnsLab.Stats after = DnsLab.ReadStats(postern);
        string all = $"{result.Output}\nbefore: {before.Line}\nafter: {after.Line}";
        output.WriteLine($"dnsperf: {result.Completed} completed, {result.Lost} lost\nbefore: {before.Line}\nafter: {after.Line}");

        Assert.True(before["answered"] > 1000, $"not under load when stopped\n{all}");
        // The stopped daemon's queue failed open: the server itself answered AAAA.
        Assert.Equal(new[] { DnsLab.RealV6 }, duringStop.Answers("AAAA"));
        Assert.False(duringStop.FromPostern, duringStop.Output);
        Assert.True(result.Completed > 2000, all);
        Assert.True(result.Lost * 100 <= result.Completed + result.Lost, $"more than 1% lost\n{all}");
        // Resumed: Postern answers again, and the overrun of its netlink socket is counted. With
        // NFQA_CFG_F_FAIL_OPEN the kernel lets the overflow through without moving queue-dropped
        // or user-dropped (both are read and shown; only overruns must move).
        Assert.True(afterStop.FromPostern, afterStop.Output);
        Assert.True(after["overruns"] > before["overruns"], all);
        Assert.True(after["answered"] > before["answered"], all);
        Assert.Equal(0, after["verdict-errors"] + after["unrecovered"]);
        Assert.True(after["queue-dropped"] >= 0 && after["user-dropped"] >= 0, all);
        Assert.False(postern.HasExited, postern.Output);
    }

    [RootFact]
    public void Sigkill_under_load_then_a_restart_answers_every_query_and_leaves_one_rule_set()
    {
        using var lab = new DnsLab(forwarder: false);
        FaultLoad.StartLocalDns(lab.Middle);
        BackgroundProcess first = DnsLab.StartPostern(lab.Middle, Quiet);

        const int Seconds = 5;
        using var load = new FaultLoad.Run(lab.Client, DnsLab.MiddleV4, seconds: Seconds, outstanding: 100, timeoutSeconds: 3);
        BackgroundProcess digs = FaultLoad.StartDigLoop(lab.Client, DnsLab.MiddleV6, Seconds);
        Thread.Sleep(1500);
        first.Signal(9);
        Assert.True(first.WaitForExit(TimeSpan.FromSeconds(5)), first.Output);
        // Dead, its rules in place: --queue-bypass lets the queries through to the server.
        Assert.Equal(DefaultRuleCount, DnsLab.CountRules(lab.Middle));
        DigResult whileDead = DnsLab.Dig(lab.Client, DnsLab.MiddleV4, "AAAA", "dead.example.test");
        using BackgroundProcess second = DnsLab.StartPostern(lab.Middle, Quiet);
        Dnsperf.Result result = load.Finish();
        (int answered, int unanswered) = FaultLoad.DigLoopOutcome(digs, Seconds);

        string all = $"{result.Output}\ndigs: {answered} answered, {unanswered} not\n{second.Output}";
        output.WriteLine($"dnsperf: {result.Completed} completed, {result.Lost} lost; digs: {answered} answered, {unanswered} not");
        Assert.Equal(new[] { DnsLab.RealV6 }, whileDead.Answers("AAAA"));
        // No black hole at any moment: every dig (three tries) got an answer. Queries sitting in
        // the queue at the kill are dropped by the kernel when the queue goes with the process,
        // so a few of dnsperf's single tries may go; never more than 1%.
        Assert.True(answered > 20 && unanswered == 0, all);
        Assert.True(result.Completed > 1000, all);
        Assert.True(result.Lost * 100 <= result.Completed + result.Lost, all);
        Assert.Contains("removed 4 stale rule(s)", second.Output, StringComparison.Ordinal);
        Assert.Equal(DefaultRuleCount, DnsLab.CountRules(lab.Middle));
        Assert.True(DnsLab.Dig(lab.Client, DnsLab.MiddleV4, "AAAA", "restarted.example.test").FromPostern);
    }

    private static string SavedRules(Netns host) =>
        string.Join('\n', (host.Check("iptables-save") + host.Check("ip6tables-save")).Split('\n')
            .Where(line => line.StartsWith("-A", StringComparison.Ordinal)).Order());

    private static int RepairLines(BackgroundProcess postern) =>
        postern.Output.Split('\n').Count(line => line.Contains("rules changed by someone else", StringComparison.Ordinal));

    /// <summary>Polls until the rules are all back, for at most the interval and some slack.</summary>
    private static TimeSpan WaitForRules(Netns host, int count, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (DnsLab.CountRules(host) != count && clock.Elapsed < limit)
        {
            Thread.Sleep(100);
        }
        return clock.Elapsed;
    }

    [RootFact]
    public void A_flush_of_the_filter_and_raw_tables_is_repaired_within_the_check_interval()
    {
        using var lab = new DnsLab(forwarder: true);
        using BackgroundProcess postern = DnsLab.StartPostern(lab.Middle, "--rule-check-interval", "1");
        string installed = SavedRules(lab.Middle);

        lab.Middle.Check("iptables", "-F");
        lab.Middle.Check("iptables", "-t", "raw", "-F");
        Assert.Equal(2, DnsLab.CountRules(lab.Middle));
        TimeSpan took = WaitForRules(lab.Middle, DefaultRuleCount, TimeSpan.FromSeconds(4));
        output.WriteLine($"flush repaired after {took.TotalMilliseconds:0} ms");

        Assert.True(DnsLab.CountRules(lab.Middle) == DefaultRuleCount, $"not back after {took}: {SavedRules(lab.Middle)}\n{postern.Output}");
        Assert.Equal(installed, SavedRules(lab.Middle));
        Assert.True(postern.WaitForOutput("rules changed by someone else: 2 of 4 missing; reinstalled", TimeSpan.FromSeconds(2)), postern.Output);
        Assert.Equal(2, DnsLab.ReadStats(postern)["rules-repaired"]);
        Assert.True(DnsLab.Dig(lab.Client, DnsLab.MiddleV4, "AAAA", "www.example.test").FromPostern);
        // Nothing more to repair: no second line, no count, on the next rounds.
        Thread.Sleep(2500);
        Assert.Equal(1, RepairLines(postern));
        Assert.Equal(2, DnsLab.ReadStats(postern)["rules-repaired"]);
    }

    [RootFact]
    public void One_deleted_rule_is_put_back_alone_without_duplicates()
    {
        using var lab = new DnsLab(forwarder: true);
        using BackgroundProcess postern = DnsLab.StartPostern(lab.Middle, "--rule-check-interval", "1");
        string installed = SavedRules(lab.Middle);

        CommandResult deleted = lab.Middle.Sh(
            "ip6tables -t raw -S OUTPUT | grep -F postern-aaaa:q53 | sed 's/^-A/-D/' | xargs ip6tables -t raw");
        Assert.True(deleted.Succeeded, deleted.ToString());
        Assert.Equal(DefaultRuleCount - 1, DnsLab.CountRules(lab.Middle));
        TimeSpan took = WaitForRules(lab.Middle, DefaultRuleCount, TimeSpan.FromSeconds(4));
        output.WriteLine($"deleted rule repaired after {took.TotalMilliseconds:0} ms");

        Assert.True(DnsLab.CountRules(lab.Middle) == DefaultRuleCount, $"not back after {took}: {SavedRules(lab.Middle)}\n{postern.Output}");
        Thread.Sleep(2500);
        Assert.Equal(installed, SavedRules(lab.Middle));
        Assert.Contains("rules changed by someone else: 1 of 4 missing; reinstalled", postern.Output, StringComparison.Ordinal);
        Assert.Equal(1, RepairLines(postern));
        Assert.Equal(1, DnsLab.ReadStats(postern)["rules-repaired"]);

        // And the check never reinstalls during the stop: nothing is left once it has ended.
        postern.Signal(15);
        Assert.True(postern.WaitForExit(TimeSpan.FromSeconds(10)), postern.Output);
        Assert.Equal(0, postern.ExitCode);
        Thread.Sleep(1500);
        Assert.Equal(0, DnsLab.CountRules(lab.Middle));
    }

    private static BackgroundProcess StartLegacy(Netns host, string lockFile) =>
        host.Start(Repository.Binary("postern-aaaa"), ["--stats-interval", "0", "--rule-check-interval", "0", "--iptables", "iptables-legacy"],
            new Dictionary<string, string> { ["XTABLES_LOCKFILE"] = lockFile });

    /// <summary>iptables-nft takes no lock; iptables-legacy takes /run/xtables.lock (flock), or the
    /// file XTABLES_LOCKFILE names. That file is shared by every namespace on the machine, so the
    /// test holds a private one and points the daemon at it.</summary>
    private static BackgroundProcess HoldLock(Netns host, string lockFile, int seconds)
    {
        BackgroundProcess holder = host.Start("flock", lockFile, "/bin/sh", "-c",
            $"echo held; sleep {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}; echo released");
        if (!holder.WaitForOutput("held", TimeSpan.FromSeconds(5)))
        {
            throw new InvalidOperationException("flock did not take the lock: " + holder.Output);
        }
        return holder;
    }

    [RootFact]
    public void The_xtables_lock_held_at_start_and_at_stop_is_waited_for()
    {
        // Deleted once the lab (and every iptables-legacy in it, which recreates it) has gone.
        string lockFile = Path.Combine(Path.GetTempPath(), $"postern-xtables-{Environment.ProcessId}.lock");
        try
        {
            using var lab = new DnsLab(forwarder: true);
            using (BackgroundProcess holder = HoldLock(lab.Middle, lockFile, 3))
            {
                var clock = Stopwatch.StartNew();
                BackgroundProcess postern = StartLegacy(lab.Middle, lockFile);
                Assert.True(postern.WaitForOutput("ready", TimeSpan.FromSeconds(15)), postern.Output);
                output.WriteLine($"ready after {clock.Elapsed.TotalMilliseconds:0} ms with the lock held for 3 s");
                Assert.True(clock.Elapsed > TimeSpan.FromSeconds(2), $"ready after {clock.Elapsed}: the lock was not waited for\n{holder.Output}\n{postern.Output}");
                Assert.Equal(DefaultRuleCount, DnsLab.CountRules(lab.Middle, "postern-aaaa:q53"));
                Assert.True(DnsLab.Dig(lab.Client, DnsLab.MiddleV4, "AAAA", "www.example.test").FromPostern);

                using (HoldLock(lab.Middle, lockFile, 3))
                {
                    clock.Restart();
                    postern.Signal(15);
                    Assert.True(postern.WaitForExit(TimeSpan.FromSeconds(15)), postern.Output);
                    output.WriteLine($"stopped after {clock.Elapsed.TotalMilliseconds:0} ms with the lock held for 3 s");
                    Assert.True(clock.Elapsed > TimeSpan.FromSeconds(2), $"stopped after {clock.Elapsed}: the lock was not waited for\n{postern.Output}");
                }
                Assert.Equal(0, postern.ExitCode);
                Assert.Contains("removed 4 rule(s)", postern.Output, StringComparison.Ordinal);
                Assert.Equal(0, DnsLab.CountRules(lab.Middle));
            }
        }
        finally
        {
            File.Delete(lockFile);
        }
    }

    [RootFact]
    public void The_xtables_lock_held_too_long_at_start_fails_with_one_sentence_and_no_rule()
    {
        // Deleted once the lab (and every iptables-legacy in it, which recreates it) has gone.
        string lockFile = Path.Combine(Path.GetTempPath(), $"postern-xtables-{Environment.ProcessId}-long.lock");
        try
        {
            using var lab = new DnsLab(forwarder: true);
            using BackgroundProcess holder = HoldLock(lab.Middle, lockFile, 60);
            var clock = Stopwatch.StartNew();
            BackgroundProcess postern = StartLegacy(lab.Middle, lockFile);
            Assert.True(postern.WaitForExit(TimeSpan.FromSeconds(30)), postern.Output);
            TimeSpan took = clock.Elapsed;
            output.WriteLine($"gave up after {took.TotalMilliseconds:0} ms: {postern.Output.Trim()}");

            Assert.Equal(1, postern.ExitCode);
            string[] lines = postern.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length == 1, postern.Output);
            Assert.Contains("did not finish within 10 s (is another process holding the xtables lock?)", lines[0], StringComparison.Ordinal);
            Assert.True(took < TimeSpan.FromSeconds(20), $"gave up after {took}");
            holder.Dispose();
            Assert.Equal(0, DnsLab.CountRules(lab.Middle));
            // Nobody on the queue and no rule: the server answers.
            Assert.Equal(new[] { DnsLab.RealV6 }, DnsLab.Dig(lab.Client, DnsLab.MiddleV4, "AAAA", "www.example.test").Answers("AAAA"));
        }
        finally
        {
            File.Delete(lockFile);
        }
    }

    [RootFact]
    public void The_xtables_lock_held_too_long_at_stop_ends_the_stop_and_says_what_was_left()
    {
        string lockFile = Path.Combine(Path.GetTempPath(), $"postern-xtables-{Environment.ProcessId}-stop.lock");
        try
        {
            using var lab = new DnsLab(forwarder: true);
            BackgroundProcess postern = StartLegacy(lab.Middle, lockFile);
            Assert.True(postern.WaitForOutput("ready", TimeSpan.FromSeconds(15)), postern.Output);
            using (HoldLock(lab.Middle, lockFile, 30))
            {
                var clock = Stopwatch.StartNew();
                postern.Signal(15);
                Assert.True(postern.WaitForExit(TimeSpan.FromSeconds(25)), $"the stop did not end\n{postern.Output}");
                output.WriteLine($"stopped after {clock.Elapsed.TotalMilliseconds:0} ms with the lock held for 30 s");
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"stopped after {clock.Elapsed}");
            }
            Assert.Equal(0, postern.ExitCode);
            Assert.Contains("rules tagged postern-aaaa:q53 left behind (cannot delete iptables-legacy", postern.Output, StringComparison.Ordinal);
            Assert.Contains("postern-aaaa --cleanup removes them", postern.Output, StringComparison.Ordinal);
            Assert.Equal(DefaultRuleCount, DnsLab.CountRules(lab.Middle));
            // What ExecStopPost does, once the lock is free.
            CommandResult cleanup = lab.Middle.Run(Repository.Binary("postern-aaaa"), "--cleanup", "--iptables", "iptables-legacy");
            Assert.True(cleanup.Succeeded, cleanup.ToString());
            Assert.Equal(0, DnsLab.CountRules(lab.Middle));
        }
        finally
        {
            File.Delete(lockFile);
        }
    }

    [RootFact]
    public void Netlink_overruns_under_a_flood_are_counted_and_the_queue_keeps_working()
    {
        using var lab = new DnsLab(forwarder: false);
        FaultLoad.StartLocalDns(lab.Middle);
        using BackgroundProcess postern = DnsLab.StartPostern(lab.Middle, "--socket-buffer", "65536");
        DnsLab.Stats before = DnsLab.ReadStats(postern);

        // AAAA only (every query is queued), as many in flight as dnsperf will keep, from
        // several sockets: more than one worker drains through a 64 KiB buffer.
        var flood = new List<FaultLoad.Run>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                flood.Add(new FaultLoad.Run(lab.Client, i % 2 == 0 ? DnsLab.MiddleV4 : DnsLab.MiddleV6, seconds: 3, outstanding: 5000, timeoutSeconds: 2, clients: 8, names: 2000));
            }
            foreach (FaultLoad.Run run in flood)
            {
                run.Finish();
            }
        }
        finally
        {
            foreach (FaultLoad.Run run in flood)
            {
                run.Dispose();
            }
        }
        DnsLab.Stats after = DnsLab.ReadStats(postern);
        DigResult dig = DnsLab.Dig(lab.Client, DnsLab.MiddleV4, "AAAA", "after-flood.example.test");
        output.WriteLine($"before: {before.Line}\nafter: {after.Line}");

        Assert.False(postern.HasExited, postern.Output);
        Assert.True(after["overruns"] > before["overruns"], after.Line);
        Assert.True(after["answered"] - before["answered"] > 10000, after.Line);
        Assert.True(dig.FromPostern, dig.Output);
        Assert.Equal(0, after["verdict-errors"]);
    }

    [RootFact]
    public void Two_instances_on_different_queues_never_touch_each_others_rules()
    {
        using var lab = new DnsLab(forwarder: true);
        const string Q53 = "postern-aaaa:q53";
        const string Q60 = "postern-aaaa:q60";
        string[] second = ["--queue", "60", "--port", "5353"];
        BackgroundProcess a = DnsLab.StartPostern(lab.Middle);
        BackgroundProcess b = DnsLab.StartPostern(lab.Middle, second);
        Assert.Equal((DefaultRuleCount, DefaultRuleCount), (DnsLab.CountRules(lab.Middle, Q53), DnsLab.CountRules(lab.Middle, Q60)));

        // Stopped.
        b.Signal(15);
        Assert.True(b.WaitForExit(TimeSpan.FromSeconds(10)) && b.ExitCode == 0, b.Output);
        Assert.Equal((DefaultRuleCount, 0), (DnsLab.CountRules(lab.Middle, Q53), DnsLab.CountRules(lab.Middle, Q60)));
        Assert.True(DnsLab.Dig(lab.Client, DnsLab.MiddleV4, "AAAA", "after-stop.example.test").FromPostern);

        // Killed, then cleaned up.
        b = DnsLab.StartPostern(lab.Middle, second);
        b.Signal(9);
        Assert.True(b.WaitForExit(TimeSpan.FromSeconds(10)), b.Output);
        Assert.Equal((DefaultRuleCount, DefaultRuleCount), (DnsLab.CountRules(lab.Middle, Q53), DnsLab.CountRules(lab.Middle, Q60)));
        CommandResult cleanup = lab.Middle.Run(Repository.Binary("postern-aaaa"), ["--cleanup", .. second]);
        Assert.True(cleanup.Succeeded, cleanup.ToString());
        Assert.Equal((DefaultRuleCount, 0), (DnsLab.CountRules(lab.Middle, Q53), DnsLab.CountRules(lab.Middle, Q60)));
        Assert.True(DnsLab.Dig(lab.Client, DnsLab.MiddleV4, "AAAA", "after-cleanup.example.test").FromPostern);

        // The other way round: the first one stopped, killed and cleaned up beside the second.
        b = DnsLab.StartPostern(lab.Middle, second);
        a.Signal(15);
        Assert.True(a.WaitForExit(TimeSpan.FromSeconds(10)) && a.ExitCode == 0, a.Output);
        Assert.Equal((0, DefaultRuleCount), (DnsLab.CountRules(lab.Middle, Q53), DnsLab.CountRules(lab.Middle, Q60)));
        a = DnsLab.StartPostern(lab.Middle);
        a.Signal(9);
        Assert.True(a.WaitForExit(TimeSpan.FromSeconds(10)), a.Output);
        cleanup = lab.Middle.Run(Repository.Binary("postern-aaaa"), "--cleanup");
        Assert.True(cleanup.Succeeded, cleanup.ToString());
        Assert.Equal((0, DefaultRuleCount), (DnsLab.CountRules(lab.Middle, Q53), DnsLab.CountRules(lab.Middle, Q60)));

        b.Signal(15);
        Assert.True(b.WaitForExit(TimeSpan.FromSeconds(10)) && b.ExitCode == 0, b.Output);
        Assert.Equal(0, DnsLab.CountRules(lab.Middle));
    }
}
