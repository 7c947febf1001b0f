namespace Postern.Netfilter.Tests;

/// <summary>Reading real <c>iptables -S</c> lines back into the arguments that made them.</summary>
public class RuleSpecParserTests
{
    [Fact]
    public void Split_QueueRule_UnquotesHexStringAndComment()
    {
        string line = IptablesListing.Lines(IptablesListing.FilterInput)[5];

        Assert.Equal(
        [
            "-A", "INPUT", "-p", "udp", "-m", "udp", "--dport", "53",
            "-m", "string", "--hex-string", "|00001c0001|", "--algo", "bm",
            "-m", "comment", "--comment", "postern-aaaa:q53",
            "-j", "NFQUEUE", "--queue-num", "53", "--queue-bypass",
        ], RuleSpecParser.Split(line));
    }

    [Fact]
    public void Split_NegatedMark_KeepsTheBang()
    {
        string line = IptablesListing.Lines(IptablesListing.FilterOutput)[1];

        Assert.Equal(
        [
            "-A", "OUTPUT", "-p", "udp", "-m", "udp", "--dport", "53",
            "-m", "mark", "!", "--mark", "0x5053",
            "-m", "string", "--hex-string", "|00001c0001|", "--algo", "bm",
            "-m", "comment", "--comment", "postern-aaaa:q53",
            "-j", "NFQUEUE", "--queue-num", "53", "--queue-bypass",
        ], RuleSpecParser.Split(line));
    }

    [Fact]
    public void Split_CommentWithSpacesAndEscapedQuotes_IsOneArgument()
    {
        string line = IptablesListing.Lines(IptablesListing.FilterInput)[3];

        Assert.Equal(
        [
            "-A", "INPUT", "-p", "udp", "-m", "udp", "--dport", "53",
            "-m", "comment", "--comment", "an admin said \"keep\" here", "-j", "ACCEPT",
        ], RuleSpecParser.Split(line));
    }

    [Fact]
    public void Split_EscapedBackslash_IsOneBackslash()
    {
        string line = IptablesListing.Lines(IptablesListing.FilterInput)[2];

        Assert.Equal("back\\slash", RuleSpecParser.Comment(RuleSpecParser.Split(line)));
    }

    [Fact]
    public void Split_RuleWithoutQuotes_IsSplitOnSpaces()
    {
        string line = IptablesListing.Lines(IptablesListing.FilterInput)[1];

        Assert.Equal(["-A", "INPUT", "-p", "tcp", "-m", "tcp", "--dport", "80", "-j", "ACCEPT"], RuleSpecParser.Split(line));
    }

    [Fact]
    public void Split_PolicyLine() =>
        Assert.Equal(["-P", "INPUT", "ACCEPT"], RuleSpecParser.Split(IptablesListing.Lines(IptablesListing.FilterInput)[0]));

    [Theory]
    [InlineData("", new string[0])]
    [InlineData("   ", new string[0])]
    [InlineData("  -A   INPUT\t-j  ACCEPT  ", new[] { "-A", "INPUT", "-j", "ACCEPT" })]
    [InlineData("--comment \"\" -j ACCEPT", new[] { "--comment", "", "-j", "ACCEPT" })]
    [InlineData("--comment \"\"", new[] { "--comment", "" })]
    [InlineData("--comment a\"b c\"d", new[] { "--comment", "ab cd" })]
    [InlineData("--comment \"unterminated here", new[] { "--comment", "unterminated here" })]
    [InlineData("--comment \"ends in \\", new[] { "--comment", "ends in \\" })]
    public void Split_EdgeCases(string line, string[] expected) => Assert.Equal(expected, RuleSpecParser.Split(line));

    [Theory]
    [InlineData(5, "postern-aaaa:q53")]
    [InlineData(4, "postern-aaaa:q530")]
    [InlineData(3, "an admin said \"keep\" here")]
    [InlineData(1, null)]
    [InlineData(0, null)]
    public void Comment_OfEachListedRule(int lineIndex, string? expected)
    {
        string line = IptablesListing.Lines(IptablesListing.FilterInput)[lineIndex];

        Assert.Equal(expected, RuleSpecParser.Comment(RuleSpecParser.Split(line)));
    }

    [Fact]
    public void Comment_EveryPosternRuleInTheListings_IsTheTag()
    {
        IEnumerable<string> lines = IptablesListing.Rules(IptablesListing.FilterOutput).Concat(IptablesListing.Rules(IptablesListing.RawOutput));

        Assert.All(lines, line => Assert.Equal("postern-aaaa:q53", RuleSpecParser.Comment(RuleSpecParser.Split(line))));
    }

    [Fact]
    public void Comment_AtTheEndWithoutAValue_IsNull() =>
        Assert.Null(RuleSpecParser.Comment(["-A", "INPUT", "-m", "comment", "--comment"]));
}
