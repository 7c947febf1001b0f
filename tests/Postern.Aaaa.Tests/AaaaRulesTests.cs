using Postern.Netfilter;
using Postern.Wire;

namespace Postern.Aaaa.Tests;

/// <summary>The iptables rules postern-aaaa owns, argument by argument.</summary>
public class AaaaRulesTests
{
    private static readonly string[] QueueAaaa =
    [
        "-p", "udp", "--dport", "53",
        "-m", "string", "--algo", "bm", "--hex-string", "|00001c0001|",
        "-j", "NFQUEUE", "--queue-num", "53", "--queue-bypass",
    ];

    private static readonly string[] ScopedNotrack = ["-m", "mark", "--mark", "0x5053", "-j", "CT", "--notrack"];

    [Fact]
    public void Default_IsOneQueueRuleInInputAndOneScopedNotrackRule_PerFamily()
    {
        IReadOnlyList<FirewallRule> rules = AaaaRules.Build(new AaaaRuleOptions());

        Assert.Collection(rules,
            rule => AssertRule(rule, IpFamily.Ipv4, "filter", "INPUT", QueueAaaa),
            rule => AssertRule(rule, IpFamily.Ipv4, "raw", "OUTPUT", ScopedNotrack),
            rule => AssertRule(rule, IpFamily.Ipv6, "filter", "INPUT", QueueAaaa),
            rule => AssertRule(rule, IpFamily.Ipv6, "raw", "OUTPUT", ScopedNotrack));
    }

    [Fact]
    public void Default_RulesCarryTheRoleAndQueueTag()
    {
        IReadOnlyList<FirewallRule> rules = AaaaRules.Build(new AaaaRuleOptions());

        Assert.Equal("postern-aaaa:q53", AaaaRules.Tag(53));
        Assert.All(rules, rule => Assert.Equal("postern-aaaa:q53", rule.Tag));
        Assert.Equal(
            ["-w", "-t", "filter", "-I", "INPUT", "1", .. QueueAaaa, "-m", "comment", "--comment", "postern-aaaa:q53"],
            rules[0].Arguments("-I"));
    }

    [Fact]
    public void OtherFirstQueue_ChangesQueueAndTag()
    {
        IReadOnlyList<FirewallRule> rules = AaaaRules.Build(new AaaaRuleOptions { FirstQueue = 100 });

        Assert.All(rules, rule => Assert.Equal("postern-aaaa:q100", rule.Tag));
        Assert.Equal(["--queue-num", "100", "--queue-bypass"], rules[0].Spec.TakeLast(3));
    }

    [Fact]
    public void OutputChain_DoesNotQueuePosternsOwnMarkedPackets()
    {
        IReadOnlyList<FirewallRule> rules = AaaaRules.Build(new AaaaRuleOptions
        {
            Chains = [HookChain.Output],
            Families = [IpFamily.Ipv4],
        });

        Assert.Equal(2, rules.Count);
        AssertRule(rules[0], IpFamily.Ipv4, "filter", "OUTPUT",
        [
            "-p", "udp", "--dport", "53",
            "-m", "mark", "!", "--mark", "0x5053",
            "-m", "string", "--algo", "bm", "--hex-string", "|00001c0001|",
            "-j", "NFQUEUE", "--queue-num", "53", "--queue-bypass",
        ]);
        AssertRule(rules[1], IpFamily.Ipv4, "raw", "OUTPUT", ScopedNotrack);
    }

    [Fact]
    public void InputAndForward_HaveNoMarkMatch()
    {
        IReadOnlyList<FirewallRule> rules = AaaaRules.Build(new AaaaRuleOptions
        {
            Chains = [HookChain.Input, HookChain.Forward],
            Families = [IpFamily.Ipv6],
        });

        Assert.Equal(["INPUT", "FORWARD", "OUTPUT"], rules.Select(rule => rule.Chain));
        Assert.Equal(["filter", "filter", "raw"], rules.Select(rule => rule.Table));
        Assert.DoesNotContain("mark", rules[0].Spec);
        Assert.DoesNotContain("mark", rules[1].Spec);
    }

    [Fact]
    public void FourQueues_BalanceOverTheRange()
    {
        IReadOnlyList<FirewallRule> rules = AaaaRules.Build(new AaaaRuleOptions { QueueCount = 4 });

        FirewallRule queue = rules[0];
        Assert.Equal(["-j", "NFQUEUE", "--queue-balance", "53:56", "--queue-bypass"], queue.Spec.TakeLast(5));
        Assert.DoesNotContain("--queue-num", queue.Spec);
        Assert.Equal("postern-aaaa:q53", queue.Tag);
    }

    [Fact]
    public void NotrackAll_IsTheBroadSourcePortRule()
    {
        IReadOnlyList<FirewallRule> rules = AaaaRules.Build(new AaaaRuleOptions { NotrackAll = true });

        string[] broad = ["-p", "udp", "--sport", "53", "-j", "CT", "--notrack"];
        AssertRule(rules[1], IpFamily.Ipv4, "raw", "OUTPUT", broad);
        AssertRule(rules[3], IpFamily.Ipv6, "raw", "OUTPUT", broad);
    }

    [Fact]
    public void OtherPortAndMark_AppearInEveryRule()
    {
        IReadOnlyList<FirewallRule> rules = AaaaRules.Build(new AaaaRuleOptions
        {
            Port = 5353,
            Mark = 0xBEEF,
            Chains = [HookChain.Output],
            Families = [IpFamily.Ipv4],
        });

        Assert.Equal(["-p", "udp", "--dport", "5353", "-m", "mark", "!", "--mark", "0xbeef"], rules[0].Spec.Take(9));
        Assert.Equal(["-m", "mark", "--mark", "0xbeef", "-j", "CT", "--notrack"], rules[1].Spec);
    }

    [Fact]
    public void ExtraQueryType_AddsOneQueueRuleWithItsPattern()
    {
        IReadOnlyList<FirewallRule> rules = AaaaRules.Build(new AaaaRuleOptions
        {
            QueryTypes = [DnsType.AAAA, DnsType.HTTPS],
            Families = [IpFamily.Ipv4],
        });

        Assert.Equal(3, rules.Count);
        AssertRule(rules[0], IpFamily.Ipv4, "filter", "INPUT", QueueAaaa);
        AssertRule(rules[1], IpFamily.Ipv4, "filter", "INPUT",
        [
            "-p", "udp", "--dport", "53",
            "-m", "string", "--algo", "bm", "--hex-string", "|0000410001|",
            "-j", "NFQUEUE", "--queue-num", "53", "--queue-bypass",
        ]);
        AssertRule(rules[2], IpFamily.Ipv4, "raw", "OUTPUT", ScopedNotrack);
    }

    [Fact]
    public void RepeatedQueryType_GivesOneRule()
    {
        IReadOnlyList<FirewallRule> rules = AaaaRules.Build(new AaaaRuleOptions
        {
            QueryTypes = [DnsType.AAAA, DnsType.AAAA],
            Families = [IpFamily.Ipv4],
        });

        Assert.Equal(2, rules.Count);
    }

    [Fact]
    public void WithoutPrefilter_OneQueueRulePerChainWithNoStringMatch()
    {
        IReadOnlyList<FirewallRule> rules = AaaaRules.Build(new AaaaRuleOptions
        {
            Prefilter = false,
            QueryTypes = [DnsType.AAAA, DnsType.HTTPS],
        });

        string[] queueAll = ["-p", "udp", "--dport", "53", "-j", "NFQUEUE", "--queue-num", "53", "--queue-bypass"];
        Assert.Equal(4, rules.Count);
        AssertRule(rules[0], IpFamily.Ipv4, "filter", "INPUT", queueAll);
        AssertRule(rules[2], IpFamily.Ipv6, "filter", "INPUT", queueAll);
        Assert.All(rules, rule => Assert.DoesNotContain("string", rule.Spec));
    }

    [Theory]
    [InlineData(DnsType.AAAA, "|00001c0001|")]
    [InlineData(DnsType.HTTPS, "|0000410001|")]
    [InlineData(DnsType.SVCB, "|0000400001|")]
    [InlineData(DnsType.A, "|0000010001|")]
    [InlineData((ushort)0xABCD, "|00abcd0001|")]
    public void PrefilterPattern_IsRootLabelTypeAndClassIn(ushort type, string expected) =>
        Assert.Equal(expected, AaaaRules.PrefilterPattern(type));

    [Fact]
    public void PrefilterPattern_OccursInTheQueryItSelects()
    {
        // The pattern is what the kernel's string match looks for in the packet: it must be there
        // in a real dig AAAA query and absent from dig's A query.
        static bool Occurs(byte[] message, string pattern) =>
            message.AsSpan().IndexOf(Convert.FromHexString(pattern.Trim('|'))) >= 0;

        Assert.True(Occurs(DigQueries.Aaaa, AaaaRules.PrefilterPattern(DnsType.AAAA)));
        Assert.False(Occurs(DigQueries.A, AaaaRules.PrefilterPattern(DnsType.AAAA)));
        Assert.True(Occurs(DigQueries.Https, AaaaRules.PrefilterPattern(DnsType.HTTPS)));
    }

    [Theory]
    [InlineData(HookChain.Input, "INPUT")]
    [InlineData(HookChain.Forward, "FORWARD")]
    [InlineData(HookChain.Output, "OUTPUT")]
    public void ChainName_IsTheIptablesChain(HookChain chain, string expected) =>
        Assert.Equal(expected, AaaaRules.ChainName(chain));

    private static void AssertRule(FirewallRule rule, IpFamily family, string table, string chain, string[] spec)
    {
        Assert.Equal(family, rule.Family);
        Assert.Equal(table, rule.Table);
        Assert.Equal(chain, rule.Chain);
        Assert.Equal(spec, rule.Spec);
    }
}
