using System.Globalization;
using Postern.Netfilter;

namespace Postern.Aaaa;

/// <summary>The rules postern-aaaa owns: one NFQUEUE rule per chain, family and (with the
/// prefilter) query type, and one raw-table NOTRACK rule per family for its replies.</summary>
public static class AaaaRules
{
    public const uint DefaultMark = 0x5053;

    /// <summary>The comment tag that names the role and its first queue.</summary>
    public static string Tag(ushort firstQueue) => "postern-aaaa:q" + firstQueue.ToString(CultureInfo.InvariantCulture);

    public static string ChainName(HookChain chain) => chain switch
    {
        HookChain.Input => "INPUT",
        HookChain.Forward => "FORWARD",
        _ => "OUTPUT",
    };

    /// <summary>The hex pattern of a question's tail: root label, type, class IN.</summary>
    public static string PrefilterPattern(ushort queryType) =>
        "|00" + queryType.ToString("x4", CultureInfo.InvariantCulture) + "0001|";

    /// <summary>Every place postern-aaaa puts rules with any options, for stale-rule cleanup.</summary>
    public static IReadOnlyList<RulePlace> AllPlaces { get; } =
        new[] { IpFamily.Ipv4, IpFamily.Ipv6 }.SelectMany(family => new[]
        {
            new RulePlace(family, "filter", "INPUT"),
            new RulePlace(family, "filter", "FORWARD"),
            new RulePlace(family, "filter", "OUTPUT"),
            new RulePlace(family, "raw", "OUTPUT"),
        }).ToArray();

    public static IReadOnlyList<FirewallRule> Build(AaaaRuleOptions options)
    {
        string tag = Tag(options.FirstQueue);
        string port = options.Port.ToString(CultureInfo.InvariantCulture);
        string mark = "0x" + options.Mark.ToString("x", CultureInfo.InvariantCulture);
        var target = new List<string> { "-j", "NFQUEUE" };
        if (options.QueueCount > 1)
        {
            int last = options.FirstQueue + options.QueueCount - 1;
            target.AddRange(new[] { "--queue-balance", string.Create(CultureInfo.InvariantCulture, $"{options.FirstQueue}:{last}") });
        }
        else
        {
            target.AddRange(new[] { "--queue-num", options.FirstQueue.ToString(CultureInfo.InvariantCulture) });
        }
        // Fail open: with no program bound to the queue, the kernel accepts instead of dropping.
        target.Add("--queue-bypass");

        var rules = new List<FirewallRule>();
        foreach (IpFamily family in options.Families)
        {
            foreach (HookChain chain in options.Chains)
            {
                var match = new List<string> { "-p", "udp", "--dport", port };
                if (chain == HookChain.Output)
                {
                    // Never queue what Postern itself sends.
                    match.AddRange(new[] { "-m", "mark", "!", "--mark", mark });
                }
                IEnumerable<IReadOnlyList<string>> filters = options.Prefilter
                    ? options.QueryTypes.Distinct().Select(type => (IReadOnlyList<string>)new[]
                        { "-m", "string", "--algo", "bm", "--hex-string", PrefilterPattern(type) })
                    : new[] { (IReadOnlyList<string>)Array.Empty<string>() };
                foreach (IReadOnlyList<string> filter in filters)
                {
                    rules.Add(new FirewallRule(family, "filter", ChainName(chain), match.Concat(filter).Concat(target).ToArray(), tag));
                }
            }

            if (options.NoNotrack)
            {
                continue;
            }
            string[] notrack = options.NotrackAll
                ? new[] { "-p", "udp", "--sport", port, "-j", "CT", "--notrack" }
                : new[] { "-m", "mark", "--mark", mark, "-j", "CT", "--notrack" };
            rules.Add(new FirewallRule(family, "raw", "OUTPUT", notrack, tag));
        }
        return rules;
    }
}
