namespace Postern.Netfilter;

/// <summary>One owned rule: its family, table, chain, match-and-target arguments, and the comment
/// tag that says whose it is. The tag is added as <c>-m comment --comment TAG</c>.</summary>
public sealed record FirewallRule(IpFamily Family, string Table, string Chain, IReadOnlyList<string> Spec, string Tag)
{
    public IReadOnlyList<string> RuleArguments => Spec.Concat(new[] { "-m", "comment", "--comment", Tag }).ToArray();

    /// <summary>Arguments after the program name for an operation: -C, -D, or -I at the top.</summary>
    public IReadOnlyList<string> Arguments(string operation)
    {
        var arguments = new List<string> { "-w", "-t", Table, operation, Chain };
        if (operation == "-I")
        {
            arguments.Add("1");
        }
        arguments.AddRange(RuleArguments);
        return arguments;
    }
}
