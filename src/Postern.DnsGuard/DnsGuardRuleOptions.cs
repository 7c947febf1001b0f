using Postern.Netfilter;

namespace Postern.DnsGuard;

public sealed record DnsGuardRuleOptions
{
    public IReadOnlyList<GuardChain> Chains { get; init; } = new[] { GuardChain.Forward };
    public IReadOnlyList<IpFamily> Families { get; init; } = new[] { IpFamily.Ipv4, IpFamily.Ipv6 };
    public ushort Queue { get; init; } = 153;
}
