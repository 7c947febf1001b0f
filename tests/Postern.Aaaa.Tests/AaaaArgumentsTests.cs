using Postern.Netfilter;
using Postern.Wire;

namespace Postern.Aaaa.Tests;

public class AaaaArgumentsTests
{
    [Fact]
    public void Defaults_Build_TheDocumentedService()
    {
        AaaaServiceOptions? options = new AaaaArguments().Build(out string? problem);

        Assert.Null(problem);
        Assert.Equal(new[] { DnsType.AAAA }, options!.Policy.QueryTypes);
        Assert.Equal(new[] { HookChain.Input }, options.Rules.Chains);
        Assert.Equal(new[] { IpFamily.Ipv4, IpFamily.Ipv6 }, options.Rules.Families);
        Assert.Equal(53, options.Rules.FirstQueue);
        Assert.Equal(AaaaRules.DefaultMark, options.Rules.Mark);
        Assert.True(options.Policy.IncludeSoa);
    }

    [Theory]
    [InlineData("A")]
    [InlineData("a")]
    [InlineData("NS")]
    [InlineData("CNAME")]
    [InlineData("SOA")]
    [InlineData("DNAME")]
    [InlineData("ANY")]
    [InlineData("AXFR")]
    [InlineData("IXFR")]
    [InlineData("TYPE1")]
    [InlineData("255")]
    [InlineData("41")]
    public void QueryTypesThatWouldBlackHoleNames_AreRefused(string type)
    {
        Assert.Null(new AaaaArguments { QueryTypes = new[] { type } }.Build(out string? problem));
        Assert.StartsWith("--qtype: answering ", problem);
    }

    [Theory]
    [InlineData("HTTPS", DnsType.HTTPS)]
    [InlineData("svcb", DnsType.SVCB)]
    [InlineData("TYPE65", DnsType.HTTPS)]
    [InlineData("MX", DnsType.MX)]
    public void HarmlessTypes_AreAdded_ToAaaa(string type, ushort expected)
    {
        AaaaServiceOptions? options = new AaaaArguments { QueryTypes = new[] { type, "AAAA" } }.Build(out string? problem);
        Assert.Null(problem);
        Assert.Equal(new[] { DnsType.AAAA, expected }, options!.Policy.QueryTypes);
        Assert.Equal(options.Policy.QueryTypes, options.Rules.QueryTypes);
    }

    [Theory]
    [InlineData("--chain: 'prerouting' is not one of input, forward, output")]
    public void UnknownChain_IsNamed(string expected)
    {
        Assert.Null(new AaaaArguments { Chains = new[] { "prerouting" } }.Build(out string? problem));
        Assert.Equal(expected, problem);
    }

    [Fact]
    public void OnlyTheFirstProblem_IsReported_AsOneSentence()
    {
        Assert.Null(new AaaaArguments { QueryTypes = new[] { "bogus" }, Queues = 0, Mark = "x" }.Build(out string? problem));
        Assert.Equal("--qtype: 'bogus' is not a DNS type (use a name such as HTTPS or SVCB, TYPEnn, or a number)", problem);
    }

    [Fact]
    public void MissingDomainsFile_IsNamed()
    {
        Assert.Null(new AaaaArguments { ExceptDomainsFiles = new[] { "/nonexistent/postern-domains" } }.Build(out string? problem));
        Assert.StartsWith("--except-domains-file: cannot read /nonexistent/postern-domains: ", problem);
    }

    [Fact]
    public void RuleCheckInterval_DefaultsToTenSeconds()
    {
        Assert.Equal(10, new AaaaArguments().Build(out _)!.RuleCheckInterval);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(AaaaArguments.MaxRuleCheckInterval)]
    public void RuleCheckInterval_InRange_IsPassedOn(int seconds)
    {
        AaaaServiceOptions? options = new AaaaArguments { RuleCheckInterval = seconds }.Build(out string? problem);
        Assert.Null(problem);
        Assert.Equal(seconds, options!.RuleCheckInterval);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(AaaaArguments.MaxRuleCheckInterval + 1)]
    [InlineData(int.MaxValue)]
    public void RuleCheckInterval_OutOfRange_IsNamed_InOneSentence(int seconds)
    {
        Assert.Null(new AaaaArguments { RuleCheckInterval = seconds }.Build(out string? problem));
        Assert.Equal($"--rule-check-interval: {seconds} is out of range (0 to 86400 seconds; 0 turns the check off)", problem);
    }
}
