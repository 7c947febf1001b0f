using Postern.Netfilter;

namespace Postern.Aaaa;

public sealed record AaaaRuleOptions
{
    public IReadOnlyList<HookChain> Chains { get; init; } = new[] { HookChain.Input };
    public IReadOnlyList<IpFamily> Families { get; init; } = new[] { IpFamily.Ipv4, IpFamily.Ipv6 };
    public ushort FirstQueue { get; init; } = 53;
    public int QueueCount { get; init; } = 1;
    public ushort Port { get; init; } = 53;
    public IReadOnlyList<ushort> QueryTypes { get; init; } = new[] { Postern.Wire.DnsType.AAAA };

    /// <summary>Queue only packets that carry "root label, TYPE, class IN" (an in-kernel string
    /// match), so A queries never leave the kernel.</summary>
    public bool Prefilter { get; init; } = true;

    /// <summary>The mark on Postern's own replies (SO_MARK), which the scoped NOTRACK rule matches.</summary>
    public uint Mark { get; init; } = AaaaRules.DefaultMark;

    /// <summary>The broad NOTRACK rule (every packet from the DNS port) instead of the scoped one.</summary>
    public bool NotrackAll { get; init; }

    /// <summary>No NOTRACK rule at all, for hosts whose conntrack the admin manages otherwise.
    /// Each reply then makes a conntrack entry, and a full table makes sends fail (EPERM).</summary>
    public bool NoNotrack { get; init; }
}
