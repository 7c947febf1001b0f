using System.Diagnostics;
using Postern.Netfilter;
using Postern.Netfilter.Tests;

namespace Postern.Aaaa.Tests;

/// <summary>The periodic check's policy with postern-aaaa's default rules, against fake iptables
/// programs: only what is absent goes back, nothing is duplicated, a check that fails for another
/// reason (the xtables lock) is not an absence, and an iptables call that hangs is ended.</summary>
public sealed class RuleRepairTests : IDisposable
{
    private readonly FakeIptables _fake = new();
    private readonly List<string> _scratch = new();

    public void Dispose()
    {
        _fake.Dispose();
        foreach (string directory in _scratch)
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static IReadOnlyList<FirewallRule> DefaultRules => AaaaRules.Build(new AaaaArguments().Build(out _)!.Rules);

    private RuleSet NewSet(Iptables? iptables = null) =>
        new(iptables ?? _fake.Iptables, AaaaRules.Tag(53), DefaultRules, AaaaRules.AllPlaces);

    private string[] AllRules() => _fake.Rules(IpFamily.Ipv4).Concat(_fake.Rules(IpFamily.Ipv6)).ToArray();

    private int Insertions() =>
        _fake.Operations(IpFamily.Ipv4).Concat(_fake.Operations(IpFamily.Ipv6)).Count(op => op.StartsWith("-I ", StringComparison.Ordinal));

    [Fact]
    public void Repair_WithEveryRuleInPlace_ChangesNothing_AndSaysNothing()
    {
        RuleSet set = NewSet();
        set.Install();
        _fake.ClearLog();

        RuleRepair repair = set.Repair();

        Assert.Equal(new RuleRepair(4, 0, 0, null), repair);
        Assert.Null(repair.Describe());
        Assert.Equal(0, Insertions());
    }

    [Fact]
    public void Repair_AfterAFlush_ReinstallsEveryRule_AsInstallDid()
    {
        RuleSet set = NewSet();
        set.Install();
        string[] installed = AllRules();
        _fake.SetRules(IpFamily.Ipv4, []);
        _fake.SetRules(IpFamily.Ipv6, []);

        RuleRepair repair = set.Repair();

        Assert.Equal(new RuleRepair(4, 4, 4, null), repair);
        Assert.Equal("rules changed by someone else: 4 of 4 missing; reinstalled", repair.Describe());
        Assert.Equal(installed.Order(), AllRules().Order());
    }

    [Fact]
    public void Repair_AfterOneDeletion_PutsBackOnlyThatRule_WithoutDuplicates()
    {
        RuleSet set = NewSet();
        set.Install();
        string[] installed = AllRules();
        FirewallRule deleted = set.Rules[1];
        Assert.True(_fake.Iptables.Run(deleted.Family, deleted.Arguments("-D")).Succeeded);
        _fake.ClearLog();

        RuleRepair first = set.Repair();
        RuleRepair second = set.Repair();

        Assert.Equal(new RuleRepair(4, 1, 1, null), first);
        Assert.Equal("rules changed by someone else: 1 of 4 missing; reinstalled", first.Describe());
        Assert.Equal(new RuleRepair(4, 0, 0, null), second);
        Assert.Equal(1, Insertions());
        Assert.Equal(installed.Order(), AllRules().Order());
    }

    [Fact]
    public void Repair_ThatCannotInsert_SaysWhat_AndCountsOnlyWhatWentBack()
    {
        RuleSet set = NewSet();
        set.Install();
        _fake.SetRules(IpFamily.Ipv4, []);
        _fake.SetRules(IpFamily.Ipv6, []);
        _fake.FailInsertionsAfter(4 + 1);

        RuleRepair repair = set.Repair();

        Assert.Equal(4, repair.Missing);
        Assert.Equal(1, repair.Reinstalled);
        Assert.Contains("4 of 4 missing; 1 reinstalled, the rest failed: cannot insert", repair.Describe(), StringComparison.Ordinal);
        Assert.Single(AllRules());
    }

    [Fact]
    public void Repair_WhoseCheckFailsForAnotherReason_TakesItForNoAbsence()
    {
        // iptables-legacy's answer while another process holds the xtables lock past -w's wait.
        Iptables locked = Script("echo 'Another app is currently holding the xtables lock. Stopped waiting after 5s.' >&2; exit 4");

        RuleRepair repair = NewSet(locked).Repair();

        Assert.Equal(0, repair.Missing);
        Assert.Equal(0, repair.Reinstalled);
        Assert.Contains("cannot check the rules: cannot check", repair.Describe(), StringComparison.Ordinal);
        Assert.Contains("holding the xtables lock", repair.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Iptables_ThatDoesNotFinish_IsEnded_AtTheTimeout()
    {
        // iptables-legacy with plain -w waits for the lock without end.
        Iptables hanging = Script("exec sleep 30", TimeSpan.FromMilliseconds(500));
        var clock = Stopwatch.StartNew();

        IptablesResult result = hanging.Run(IpFamily.Ipv4, ["-w", "-t", "filter", "-S", "INPUT"]);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), clock.Elapsed.ToString());
        Assert.Equal(Iptables.TimedOut, result.ExitCode);
        Assert.Contains("did not finish within", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void RemoveStale_ThatCannotList_BecauseOfTheTimeout_FailsWithOneSentence()
    {
        Iptables hanging = Script("exec sleep 30", TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();

        RuleSetException error = Assert.Throws<RuleSetException>(() => NewSet(hanging).RemoveStale());

        // The first listing gives up; the others are not waited for.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), clock.Elapsed.ToString());
        Assert.StartsWith("cannot list ", error.Message, StringComparison.Ordinal);
        Assert.Contains("xtables lock", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Remove_ThatTimesOut_EndsAtTheFirstRule_AndSaysWhatWasLeft()
    {
        Iptables hanging = Script("exec sleep 30", TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();
        RuleSet set = NewSet(hanging);

        int removed = set.Remove();

        // One wait, not one per rule: a stop must end.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1.5), clock.Elapsed.ToString());
        Assert.Equal(0, removed);
        Assert.StartsWith("cannot delete ", set.RemoveFailure, StringComparison.Ordinal);
        Assert.Contains("did not finish within", set.RemoveFailure, StringComparison.Ordinal);
    }

    [Fact]
    public void Remove_OfRulesAlreadyGone_IsNoFailure()
    {
        RuleSet set = NewSet();
        set.Install();
        _fake.SetRules(IpFamily.Ipv4, []);

        Assert.Equal(2, set.Remove());
        Assert.Null(set.RemoveFailure);
        Assert.Empty(AllRules());
    }

    private Iptables Script(string body, TimeSpan? timeout = null)
    {
        string directory = Directory.CreateTempSubdirectory("postern-iptables-script-").FullName;
        _scratch.Add(directory);
        foreach (string name in new[] { "iptables", "ip6tables" })
        {
            string path = Path.Combine(directory, name);
            File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return new Iptables(Path.Combine(directory, "iptables"), timeout);
    }
}
