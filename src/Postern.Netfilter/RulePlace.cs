namespace Postern.Netfilter;

/// <summary>A table and chain of one family's firewall.</summary>
public readonly record struct RulePlace(IpFamily Family, string Table, string Chain);
