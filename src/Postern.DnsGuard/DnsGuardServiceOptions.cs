using Postern.Netfilter;

namespace Postern.DnsGuard;

public sealed record DnsGuardServiceOptions
{
    public DnsGuardOptions Policy { get; init; } = new();
    public DnsGuardRuleOptions Rules { get; init; } = new();
    public NfqueueOptions Queue { get; init; } = new();

    /// <summary>Seconds between checks that the rules are all still there (0: never).</summary>
    public int RuleCheckInterval { get; init; } = 10;

    public string IptablesProgram { get; init; } = "iptables";
}
