using Postern.Netfilter;

namespace Postern.Aaaa;

public sealed record AaaaServiceOptions
{
    public AaaaOptions Policy { get; init; } = new();
    public AaaaRuleOptions Rules { get; init; } = new();
    public NfqueueOptions Queue { get; init; } = new();

    /// <summary>Answer only while this host has no IPv6 default route.</summary>
    public bool Auto { get; init; }

    public string IptablesProgram { get; init; } = "iptables";
    public int SendBufferBytes { get; init; } = 4 << 20;
}
