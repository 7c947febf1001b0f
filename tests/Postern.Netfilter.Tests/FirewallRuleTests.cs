namespace Postern.Netfilter.Tests;

/// <summary>The argument lists a rule turns into for iptables.</summary>
public class FirewallRuleTests
{
    private static readonly FirewallRule Notrack =
        new(IpFamily.Ipv6, "raw", "OUTPUT", ["-m", "mark", "--mark", "0x5053", "-j", "CT", "--notrack"], "postern-aaaa:q53");

    [Fact]
    public void RuleArguments_AreTheSpecThenTheCommentTag() =>
        Assert.Equal(["-m", "mark", "--mark", "0x5053", "-j", "CT", "--notrack", "-m", "comment", "--comment", "postern-aaaa:q53"],
            Notrack.RuleArguments);

    [Fact]
    public void Insert_IsAtTheTopOfTheChain() =>
        Assert.Equal(["-w", "-t", "raw", "-I", "OUTPUT", "1", .. Notrack.RuleArguments], Notrack.Arguments("-I"));

    [Theory]
    [InlineData("-C")]
    [InlineData("-D")]
    public void CheckAndDelete_NameTheRuleBySpecWithoutAPosition(string operation) =>
        Assert.Equal(["-w", "-t", "raw", operation, "OUTPUT", .. Notrack.RuleArguments], Notrack.Arguments(operation));

    [Fact]
    public void Arguments_DoNotChangeTheSpec()
    {
        string[] spec = ["-p", "udp", "--dport", "53", "-j", "NFQUEUE", "--queue-num", "53"];
        var rule = new FirewallRule(IpFamily.Ipv4, "filter", "INPUT", spec, "t");

        rule.Arguments("-I");
        rule.Arguments("-D");

        Assert.Equal(["-p", "udp", "--dport", "53", "-j", "NFQUEUE", "--queue-num", "53"], spec);
        Assert.Equal(["-w", "-t", "filter", "-D", "INPUT", .. spec, "-m", "comment", "--comment", "t"], rule.Arguments("-D"));
    }
}
