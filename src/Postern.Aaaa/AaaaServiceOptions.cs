using Postern.Netfilter;

namespace Postern.Aaaa;

public sealed record AaaaServiceOptions
{
    public AaaaOptions Policy { get; init; } = new();
    public AaaaRuleOptions Rules { get; init; } = new();
    public NfqueueOptions Queue { get; init; } = new();

    /// <summary>Answer only while this host has no IPv6 default route.</summary>
    public bool Auto { get; init; }

    /// <summary>Seconds between checks that the rules are all still there (0: never).</summary>
    public int RuleCheckInterval { get; init; } = 10;

    public string IptablesProgram { get; init; } = "iptables";
    public int SendBufferBytes { get; init; } = 4 << 20;
}
