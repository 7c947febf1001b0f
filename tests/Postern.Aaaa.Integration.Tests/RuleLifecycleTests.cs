using Postern.Testing;

namespace Postern.Aaaa.Integration.Tests;

/// <summary>Rules are there while postern-aaaa runs, gone after each stop signal, left by a
/// kill -9 and then cleaned up by the next start; DNS keeps working when the daemon is dead.</summary>
public sealed class RuleLifecycleTests
{
    // NFQUEUE in INPUT and NOTRACK in raw OUTPUT, for IPv4 and IPv6.
    private const int DefaultRuleCount = 4;

    [RootTheory]
    [InlineData(15, "SIGTERM")]
    [InlineData(1, "SIGHUP")]
    [InlineData(2, "SIGINT")]
    [InlineData(3, "SIGQUIT")]
    public void Each_stop_signal_removes_exactly_its_own_rules(int signal, string name)
    {
        using var lab = new DnsLab(forwarder: true);
        // Someone else's rule in the same chain must survive.
        lab.Middle.Check("iptables", "-A", "INPUT", "-p", "udp", "--dport", "53", "-m", "comment", "--comment", "admin-rule", "-j", "ACCEPT");
        BackgroundProcess postern = DnsLab.StartPostern(lab.Middle);
        Assert.Equal(DefaultRuleCount, DnsLab.CountRules(lab.Middle));

        postern.Signal(signal);
        Assert.True(postern.WaitForExit(TimeSpan.FromSeconds(10)), $"{name}: still running\n{postern.Output}");
        Assert.True(postern.ExitCode == 0, $"{name}: exit {postern.ExitCode}\n{postern.Output}");
        Assert.Equal(0, DnsLab.CountRules(lab.Middle));
        Assert.Contains("admin-rule", lab.Middle.Check("iptables-save"), StringComparison.Ordinal);
        Assert.Contains("removed 4 rule(s)", postern.Output, StringComparison.Ordinal);
    }

    [RootFact]
    public void Kill_9_leaves_rules_that_fail_open_and_a_restart_leaves_exactly_one_set()
    {
        using var lab = new DnsLab(forwarder: true);
        BackgroundProcess first = DnsLab.StartPostern(lab.Middle);
        first.Signal(9);
        Assert.True(first.WaitForExit(TimeSpan.FromSeconds(10)));
        Assert.Equal(DefaultRuleCount, DnsLab.CountRules(lab.Middle));

        // Nobody on the queue: --queue-bypass lets queries through to the real server.
        DigResult bypassed = DnsLab.Dig(lab.Client, DnsLab.MiddleV4, "AAAA", "www.example.test");
        Assert.Equal(new[] { DnsLab.RealV6 }, bypassed.Answers("AAAA"));
        bypassed = DnsLab.Dig(lab.Client, DnsLab.MiddleV6, "AAAA", "www.example.test");
        Assert.Equal(new[] { DnsLab.RealV6 }, bypassed.Answers("AAAA"));

        using BackgroundProcess second = DnsLab.StartPostern(lab.Middle);
        Assert.Contains("removed 4 stale rule(s)", second.Output, StringComparison.Ordinal);
        Assert.Equal(DefaultRuleCount, DnsLab.CountRules(lab.Middle));
        Assert.True(DnsLab.Dig(lab.Client, DnsLab.MiddleV4, "AAAA", "www.example.test").FromPostern);
    }

    [RootFact]
    public void Stale_rules_of_a_run_with_other_options_are_removed_too()
    {
        using var lab = new DnsLab(forwarder: true);
        BackgroundProcess killed = DnsLab.StartPostern(lab.Middle, "--chain", "forward", "--chain", "output", "--notrack-all", "--qtype", "HTTPS");
        killed.Signal(9);
        Assert.True(killed.WaitForExit(TimeSpan.FromSeconds(10)));
        Assert.Equal(10, DnsLab.CountRules(lab.Middle));

        using BackgroundProcess second = DnsLab.StartPostern(lab.Middle, "--chain", "input", "--no-notrack", "--family", "ipv4");
        Assert.Contains("removed 10 stale rule(s)", second.Output, StringComparison.Ordinal);
        Assert.Equal(1, DnsLab.CountRules(lab.Middle));
    }

    [RootFact]
    public void Cleanup_removes_stale_rules_and_touches_nothing_else()
    {
        using var lab = new DnsLab(forwarder: true);
        BackgroundProcess killed = DnsLab.StartPostern(lab.Middle, "--queue", "100");
        killed.Signal(9);
        Assert.True(killed.WaitForExit(TimeSpan.FromSeconds(10)));
        using BackgroundProcess other = DnsLab.StartPostern(lab.Middle, "--queue", "200");
        Assert.Equal(2 * DefaultRuleCount, DnsLab.CountRules(lab.Middle));

        CommandResult cleanup = lab.Middle.Run(Repository.Binary("postern-aaaa"), "--cleanup", "--queue", "100");
        Assert.True(cleanup.Succeeded, cleanup.ToString());
        Assert.Equal(0, DnsLab.CountRules(lab.Middle, "postern-aaaa:q100"));
        Assert.Equal(DefaultRuleCount, DnsLab.CountRules(lab.Middle, "postern-aaaa:q200"));
    }

    [RootFact]
    public void Works_with_the_legacy_iptables_variant()
    {
        using var lab = new DnsLab(forwarder: true);
        BackgroundProcess postern = DnsLab.StartPostern(lab.Middle, "--iptables", "iptables-legacy");
        string legacy = lab.Middle.Check("iptables-legacy-save") + lab.Middle.Check("ip6tables-legacy-save");
        Assert.Equal(DefaultRuleCount, legacy.Split('\n').Count(line => line.Contains("postern-aaaa:q53", StringComparison.Ordinal)));
        Assert.DoesNotContain("postern-aaaa", lab.Middle.Check("iptables-nft-save"), StringComparison.Ordinal);
        Assert.True(DnsLab.Dig(lab.Client, DnsLab.MiddleV6, "AAAA", "www.example.test").FromPostern);

        postern.Signal(15);
        Assert.True(postern.WaitForExit(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, postern.ExitCode);
        Assert.Equal(0, DnsLab.CountRules(lab.Middle));
    }

    [RootFact]
    public void A_queue_bound_by_another_process_is_refused_without_touching_rules()
    {
        using var lab = new DnsLab(forwarder: true);
        using BackgroundProcess first = DnsLab.StartPostern(lab.Middle);
        string before = lab.Middle.Check("iptables-save", "-c").Length > 0 ? RulesOnly(lab.Middle) : "";

        CommandResult second = lab.Middle.Run(Repository.Binary("postern-aaaa"), "--stats-interval", "0");
        Assert.NotEqual(0, second.ExitCode);
        Assert.Contains("queue 53 is already bound by another process", second.Error, StringComparison.Ordinal);
        Assert.Equal(before, RulesOnly(lab.Middle));
        Assert.True(DnsLab.Dig(lab.Client, DnsLab.MiddleV4, "AAAA", "www.example.test").FromPostern);
    }

    private static string RulesOnly(Netns host) =>
        string.Join('\n', (host.Check("iptables-save") + host.Check("ip6tables-save")).Split('\n')
            .Where(line => line.StartsWith("-A", StringComparison.Ordinal)));

    [RootTheory]
    [InlineData("--chain bogus", "bogus")]
    [InlineData("--except-client 1.2.3", "--except-client")]
    [InlineData("--except-domain a..b", "--except-domain")]
    [InlineData("--qtype NOPE", "--qtype")]
    [InlineData("--queues 0", "--queues")]
    [InlineData("--mark zero", "--mark")]
    [InlineData("--notrack-all --no-notrack", "contradict")]
    [InlineData("--no-such-flag", "--no-such-flag")]
    [InlineData("--iptables /nonexistent/iptables", "/nonexistent/iptables not found")]
    public void A_bad_flag_or_missing_iptables_is_named_and_no_rule_is_touched(string arguments, string named)
    {
        using var lab = new DnsLab(forwarder: false);
        CommandResult result = lab.Middle.Run(Repository.Binary("postern-aaaa"), arguments.Split(' '));
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(named, result.Output + result.Error, StringComparison.Ordinal);
        Assert.Equal("", RulesOnly(lab.Middle));
    }

    [RootFact]
    public void Missing_capability_is_named_before_any_rule_is_touched()
    {
        using var lab = new DnsLab(forwarder: false);
        CommandResult result = lab.Middle.Run("setpriv", "--inh-caps=-all", "--bounding-set=-net_admin,-net_raw",
            Repository.Binary("postern-aaaa"));
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("needs CAP_NET_ADMIN", result.Error, StringComparison.Ordinal);
        Assert.Equal("", RulesOnly(lab.Middle));
    }

    [RootFact]
    public void Dry_run_prints_the_commands_and_changes_nothing()
    {
        using var lab = new DnsLab(forwarder: false);
        CommandResult result = lab.Middle.Run(Repository.Binary("postern-aaaa"), "--dry-run", "--chain", "forward", "--notrack-all");
        Assert.True(result.Succeeded, result.ToString());
        string[] lines = result.Output.Trim().Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.Contains(lines, line => line.StartsWith("iptables -w -t filter -I FORWARD 1 -p udp --dport 53", StringComparison.Ordinal) && line.Contains("--queue-bypass", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("ip6tables -w -t raw -I OUTPUT 1 -p udp --sport 53 -j CT --notrack", StringComparison.Ordinal));
        Assert.Equal("", RulesOnly(lab.Middle));
    }
}
