using System.Globalization;
using Postern.Netfilter;

namespace Postern.DnsGuard;

/// <summary>The rules postern-dnsguard owns, per family and chain: one NFQUEUE rule for the
/// queries (to know what was asked, and when) and one for the answers from port 53, both
/// --queue-bypass so that traffic flows when no daemon holds the queue. No NOTRACK: it sends
/// nothing of its own.</summary>
public static class DnsGuardRules
{
    public const ushort DnsPort = 53;

    public static string Tag(ushort queue) => "postern-dnsguard:q" + queue.ToString(CultureInfo.InvariantCulture);

    public static string Describe(GuardChain chain) => chain == GuardChain.Input ? "input" : "forward";

    /// <summary>Every place postern-dnsguard puts rules with any options, for stale-rule cleanup.</summary>
    public static IReadOnlyList<RulePlace> AllPlaces { get; } =
        new[] { IpFamily.Ipv4, IpFamily.Ipv6 }.SelectMany(family => new[]
        {
            new RulePlace(family, "filter", "INPUT"),
            new RulePlace(family, "filter", "FORWARD"),
            new RulePlace(family, "filter", "OUTPUT"),
        }).ToArray();

    public static IReadOnlyList<FirewallRule> Build(DnsGuardRuleOptions options)
    {
        string tag = Tag(options.Queue);
        string port = DnsPort.ToString(CultureInfo.InvariantCulture);
        string[] target = { "-j", "NFQUEUE", "--queue-num", options.Queue.ToString(CultureInfo.InvariantCulture), "--queue-bypass" };
        var rules = new List<FirewallRule>();
        foreach (IpFamily family in options.Families)
        {
            foreach (GuardChain chain in options.Chains.Distinct())
            {
                // Input: this host's resolver asks in OUTPUT and hears in INPUT; forward: both ways
                // through FORWARD.
                string queries = chain == GuardChain.Input ? "OUTPUT" : "FORWARD";
                string answers = chain == GuardChain.Input ? "INPUT" : "FORWARD";
                rules.Add(new FirewallRule(family, "filter", queries, new[] { "-p", "udp", "--dport", port }.Concat(target).ToArray(), tag));
                rules.Add(new FirewallRule(family, "filter", answers, new[] { "-p", "udp", "--sport", port }.Concat(target).ToArray(), tag));
            }
        }
        return rules;
    }
}
