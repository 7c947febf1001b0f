namespace Postern.DnsGuard.Tests;

public sealed class DnsGuardArgumentsTests
{
    [Theory]
    [InlineData("--chain: 'output' is not one of input, forward")]
    public void A_bad_chain_is_named(string expected)
    {
        Assert.Null(new DnsGuardArguments { Chains = new[] { "output" } }.Build(out string? problem));
        Assert.Equal(expected, problem);
    }

    [Fact]
    public void Each_bad_value_is_one_sentence_naming_its_flag()
    {
        Check(new DnsGuardArguments { HoldMs = 1 }, "--hold: 1 ms is out of range");
        Check(new DnsGuardArguments { HoldMs = 5000 }, "--hold: 5000 ms is out of range");
        Check(new DnsGuardArguments { Servers = new[] { "not-an-address" } }, "--server: 'not-an-address' is not an IP address or CIDR prefix");
        Check(new DnsGuardArguments { AllowDomains = new[] { "a..b" } }, "--allow-domain: 'a..b' is not a domain name");
        Check(new DnsGuardArguments { BogusFiles = new[] { "/nonexistent/bogus.txt" } }, "--bogus-file: cannot read /nonexistent/bogus.txt");
        Check(new DnsGuardArguments { QueueLength = 0 }, "--queue-length: 0 is out of range");
        Check(new DnsGuardArguments { Iptables = "" }, "--iptables: the program name is empty");
    }

    [Fact]
    public void A_bogus_file_line_that_is_no_address_is_named_with_its_line_number()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "# forged\n203.0.113.0/24\n2001::/32 # teredo-looking\n\nbogus-line\n");
            Check(new DnsGuardArguments { BogusFiles = new[] { path } }, $"--bogus-file: {path} line 5: 'bogus-line' is not an IP address or CIDR prefix");
            File.WriteAllText(path, "# forged\n203.0.113.0/24\n2001::/32 # teredo-looking\n198.51.100.7\n");
            DnsGuardServiceOptions? options = new DnsGuardArguments { BogusFiles = new[] { path } }.Build(out string? problem);
            Assert.Null(problem);
            Assert.Equal(3, options!.Policy.Bogus.Count);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_shipped_example_bogus_file_parses()
    {
        string path = Path.Combine(Postern.Testing.Repository.Root, "packaging", "examples", "postern-dnsguard.bogus");
        DnsGuardServiceOptions? options = new DnsGuardArguments { BogusFiles = new[] { path } }.Build(out string? problem);
        Assert.Null(problem);
        Assert.True(options!.Policy.Bogus.Count > 0);
    }

    [Fact]
    public void Rules_queue_queries_and_answers_per_chain_and_family_failing_open()
    {
        DnsGuardServiceOptions options = new DnsGuardArguments { Chains = new[] { "input", "forward" } }.Build(out _)!;
        IReadOnlyList<Postern.Netfilter.FirewallRule> rules = DnsGuardRules.Build(options.Rules);
        Assert.Equal(8, rules.Count);
        Assert.All(rules, rule => Assert.Contains("--queue-bypass", rule.Spec));
        Assert.All(rules, rule => Assert.Equal("postern-dnsguard:q153", rule.Tag));
        Assert.Contains(rules, r => r.Chain == "OUTPUT" && r.Spec.Contains("--dport"));
        Assert.Contains(rules, r => r.Chain == "INPUT" && r.Spec.Contains("--sport"));
        Assert.Equal(4, rules.Count(r => r.Chain == "FORWARD"));
    }

    private static void Check(DnsGuardArguments arguments, string start)
    {
        Assert.Null(arguments.Build(out string? problem));
        Assert.NotNull(problem);
        Assert.StartsWith(start, problem, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', problem);
    }
}
