namespace Postern.Netfilter.Tests;

/// <summary>The rule-set policy against fake iptables programs: insert only what is absent,
/// verify, roll back on failure, remove every copy, and clean up exactly the rules with this tag.</summary>
[Collection(FakeIptablesCollection.Name)]
public sealed class RuleSetTests : IDisposable
{
    private const string Tag = "postern-aaaa:q53";

    private static readonly string[] QueueSpec =
        ["-p", "udp", "--dport", "53", "-m", "string", "--algo", "bm", "--hex-string", "|00001c0001|",
         "-j", "NFQUEUE", "--queue-num", "53", "--queue-bypass"];

    private static readonly string[] NotrackSpec = ["-m", "mark", "--mark", "0x5053", "-j", "CT", "--notrack"];

    private static readonly FirewallRule[] Rules =
    [
        new(IpFamily.Ipv4, "filter", "INPUT", QueueSpec, Tag),
        new(IpFamily.Ipv4, "raw", "OUTPUT", NotrackSpec, Tag),
        new(IpFamily.Ipv6, "filter", "INPUT", QueueSpec, Tag),
        new(IpFamily.Ipv6, "raw", "OUTPUT", NotrackSpec, Tag),
    ];

    /// <summary>A rule of someone else's that no operation may touch.</summary>
    private const string AdminRule = "filter|-A INPUT -p udp -m udp --dport 53 -m comment --comment \"an admin said \\\"keep\\\" here\" -j ACCEPT";

    private readonly FakeIptables _fake = new();

    public void Dispose() => _fake.Dispose();

    private RuleSet NewSet() => new(_fake.Iptables, Tag, Rules);

    /// <summary>How the fake stores a rule inserted with <paramref name="rule"/>'s arguments.</summary>
    private static string Stored(FirewallRule rule) =>
        $"{rule.Table}|-A {rule.Chain} {string.Join(' ', rule.Spec.Select(a => a.StartsWith('|') ? $"\"{a}\"" : a))} -m comment --comment \"{rule.Tag}\"";

    private void Insert(FirewallRule rule) => Assert.True(_fake.Iptables.Run(rule.Family, rule.Arguments("-I")).Succeeded);

    [Fact]
    public void Install_InsertsEachAbsentRuleOnce_AndChecksIt()
    {
        NewSet().Install();

        Assert.Equal([Stored(Rules[1]), Stored(Rules[0])], _fake.Rules(IpFamily.Ipv4));
        Assert.Equal([Stored(Rules[3]), Stored(Rules[2])], _fake.Rules(IpFamily.Ipv6));
        // Per rule: is it there, insert it, is it there now.
        Assert.Equal(["-C filter INPUT", "-I filter INPUT", "-C filter INPUT", "-C raw OUTPUT", "-I raw OUTPUT", "-C raw OUTPUT"],
            _fake.Operations(IpFamily.Ipv4));
        Assert.Equal(["-C filter INPUT", "-I filter INPUT", "-C filter INPUT", "-C raw OUTPUT", "-I raw OUTPUT", "-C raw OUTPUT"],
            _fake.Operations(IpFamily.Ipv6));
        Assert.Equal(["-w", "-t", "filter", "-I", "INPUT", "1", .. QueueSpec, "-m", "comment", "--comment", Tag],
            _fake.Calls(IpFamily.Ipv4)[1]);
    }

    [Fact]
    public void Install_LeavesPresentRulesAlone()
    {
        Insert(Rules[0]);
        Insert(Rules[3]);
        _fake.ClearLog();

        NewSet().Install();

        Assert.Equal(["-C filter INPUT", "-C raw OUTPUT", "-I raw OUTPUT", "-C raw OUTPUT"], _fake.Operations(IpFamily.Ipv4));
        Assert.Equal(["-C filter INPUT", "-I filter INPUT", "-C filter INPUT", "-C raw OUTPUT"], _fake.Operations(IpFamily.Ipv6));
        Assert.Equal(2, _fake.Rules(IpFamily.Ipv4).Length);
        Assert.Equal(2, _fake.Rules(IpFamily.Ipv6).Length);
    }

    [Fact]
    public void Install_Twice_LeavesOneCopyOfEach()
    {
        RuleSet set = NewSet();

        set.Install();
        set.Install();

        Assert.Equal([Stored(Rules[1]), Stored(Rules[0])], _fake.Rules(IpFamily.Ipv4));
        Assert.Equal([Stored(Rules[3]), Stored(Rules[2])], _fake.Rules(IpFamily.Ipv6));
    }

    [Fact]
    public void Install_WhenAnInsertionFails_RemovesWhatItInsertedAndSaysWhy()
    {
        _fake.SetRules(IpFamily.Ipv4, [AdminRule]);
        _fake.SetRules(IpFamily.Ipv6, [AdminRule]);
        // Both IPv4 rules go in; the first IPv6 one fails.
        _fake.FailInsertionsAfter(2);

        var error = Assert.Throws<RuleSetException>(() => NewSet().Install());

        Assert.StartsWith($"cannot insert {_fake.Iptables.Ipv6Program} -w -t filter -I INPUT 1 -p udp", error.Message);
        Assert.Contains("'|00001c0001|'", error.Message);
        Assert.EndsWith(": iptables: No chain/target/match by that name.", error.Message);
        Assert.Equal([AdminRule], _fake.Rules(IpFamily.Ipv4));
        Assert.Equal([AdminRule], _fake.Rules(IpFamily.Ipv6));
        Assert.Contains("-D filter INPUT", _fake.Operations(IpFamily.Ipv4));
        Assert.Contains("-D raw OUTPUT", _fake.Operations(IpFamily.Ipv4));
        Assert.DoesNotContain("-I raw OUTPUT", _fake.Operations(IpFamily.Ipv6));
    }

    [Fact]
    public void Install_WhenTheFirstInsertionFails_LeavesNothingAndTouchesNoOtherRule()
    {
        _fake.SetRules(IpFamily.Ipv4, [AdminRule]);
        _fake.FailInsertionsAfter(0);

        Assert.Throws<RuleSetException>(() => NewSet().Install());

        Assert.Equal([AdminRule], _fake.Rules(IpFamily.Ipv4));
        Assert.Empty(_fake.Rules(IpFamily.Ipv6));
        Assert.DoesNotContain(_fake.Calls(IpFamily.Ipv6), call => call[3] == "-I");
    }

    [Fact]
    public void Install_WhenAnInsertedRuleIsNotThere_Throws()
    {
        _fake.LoseInsertions();

        var error = Assert.Throws<RuleSetException>(() => NewSet().Install());

        Assert.Equal($"rule not found after insertion: {string.Join(' ', Rules[0].RuleArguments)}", error.Message);
        Assert.Equal(["-C filter INPUT", "-I filter INPUT", "-C filter INPUT", "-D filter INPUT", "-D raw OUTPUT"],
            _fake.Operations(IpFamily.Ipv4));
    }

    [Fact]
    public void Remove_DeletesEveryCopy_AndNothingElse()
    {
        _fake.SetRules(IpFamily.Ipv4, [AdminRule]);
        Insert(Rules[0]);
        Insert(Rules[0]);
        Insert(Rules[0]);
        Insert(Rules[1]);
        Insert(Rules[3]);

        int removed = NewSet().Remove();

        Assert.Equal(5, removed);
        Assert.Equal([AdminRule], _fake.Rules(IpFamily.Ipv4));
        Assert.Empty(_fake.Rules(IpFamily.Ipv6));
    }

    [Fact]
    public void Remove_AfterInstall_LeavesTheTablesAsTheyWere()
    {
        _fake.SetRules(IpFamily.Ipv6, [AdminRule]);
        RuleSet set = NewSet();
        set.Install();

        Assert.Equal(4, set.Remove());
        Assert.Equal(0, set.Remove());

        Assert.Empty(_fake.Rules(IpFamily.Ipv4));
        Assert.Equal([AdminRule], _fake.Rules(IpFamily.Ipv6));
    }

    [Fact]
    public void RemoveStale_DeletesOnlyRulesWhoseCommentIsTheTag()
    {
        // Real `iptables -S` lines: this tag in two rule shapes, a tag that only starts the same,
        // an admin's comment, and a rule with no comment; plus the tag in a chain the set does
        // not use, which it must not go looking in.
        string[] stale =
        [
            .. IptablesListing.Rules(IptablesListing.FilterInput).Select(line => "filter|" + line),
            .. IptablesListing.Rules(IptablesListing.RawOutput).Select(line => "raw|" + line),
            "filter|" + IptablesListing.Rules(IptablesListing.FilterOutput)[0],
        ];
        _fake.SetRules(IpFamily.Ipv4, stale);
        _fake.SetRules(IpFamily.Ipv6, stale);

        int removed = NewSet().RemoveStale();

        string[] kept =
        [
            "filter|-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT",
            "filter|-A INPUT -p tcp -m tcp --dport 22 -m comment --comment \"back\\\\slash\" -j ACCEPT",
            "filter|-A INPUT -p udp -m udp --dport 53 -m comment --comment \"an admin said \\\"keep\\\" here\" -j ACCEPT",
            "filter|-A INPUT -p udp -m udp --dport 53 -m string --hex-string \"|0000410001|\" --algo bm -m comment --comment \"postern-aaaa:q530\" -j NFQUEUE --queue-balance 53:56 --queue-bypass",
            "filter|-A OUTPUT -p udp -m udp --dport 53 -m mark ! --mark 0x5053 -m string --hex-string \"|00001c0001|\" --algo bm -m comment --comment \"postern-aaaa:q53\" -j NFQUEUE --queue-num 53 --queue-bypass",
        ];
        Assert.Equal(6, removed);
        Assert.Equal(kept, _fake.Rules(IpFamily.Ipv4));
        Assert.Equal(kept, _fake.Rules(IpFamily.Ipv6));
    }

    [Fact]
    public void RemoveStale_ListsEachTableAndChainOnce()
    {
        NewSet().RemoveStale();

        Assert.Equal(["-S filter INPUT", "-S raw OUTPUT"], _fake.Operations(IpFamily.Ipv4));
        Assert.Equal(["-S filter INPUT", "-S raw OUTPUT"], _fake.Operations(IpFamily.Ipv6));
    }

    [Fact]
    public void RemoveStale_ThenInstall_LeavesExactlyOneSet()
    {
        // A kill -9 left a set behind; the restart cleans it and installs its own.
        RuleSet set = NewSet();
        set.Install();

        int removed = NewSet().RemoveStale();
        NewSet().Install();

        Assert.Equal(4, removed);
        Assert.Equal([Stored(Rules[1]), Stored(Rules[0])], _fake.Rules(IpFamily.Ipv4));
        Assert.Equal([Stored(Rules[3]), Stored(Rules[2])], _fake.Rules(IpFamily.Ipv6));
    }

    [Fact]
    public void Constructor_RefusesARuleWithAnotherTag()
    {
        FirewallRule foreign = Rules[0] with { Tag = "postern-aaaa:q54" };

        Assert.Throws<ArgumentException>(() => new RuleSet(_fake.Iptables, Tag, [Rules[1], foreign]));
    }

    [Fact]
    public void Describe_IsTheInsertCommandOfEachRule()
    {
        var set = new RuleSet(new Iptables("iptables-legacy"), Tag, Rules);

        Assert.Equal(
        [
            "iptables-legacy -w -t filter -I INPUT 1 -p udp --dport 53 -m string --algo bm --hex-string '|00001c0001|' -j NFQUEUE --queue-num 53 --queue-bypass -m comment --comment postern-aaaa:q53",
            "iptables-legacy -w -t raw -I OUTPUT 1 -m mark --mark 0x5053 -j CT --notrack -m comment --comment postern-aaaa:q53",
            "ip6tables-legacy -w -t filter -I INPUT 1 -p udp --dport 53 -m string --algo bm --hex-string '|00001c0001|' -j NFQUEUE --queue-num 53 --queue-bypass -m comment --comment postern-aaaa:q53",
            "ip6tables-legacy -w -t raw -I OUTPUT 1 -m mark --mark 0x5053 -j CT --notrack -m comment --comment postern-aaaa:q53",
        ], set.Describe());
    }
}
