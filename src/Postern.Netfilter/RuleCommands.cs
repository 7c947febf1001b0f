using Postern.Hosting;

namespace Postern.Netfilter;

/// <summary>The two one-shot commands every role with a rule set has: --dry-run prints the
/// iptables commands it would run and touches nothing; --cleanup removes the rules tagged for it
/// that a killed instance left behind.</summary>
public static class RuleCommands
{
    /// <summary>The exit code of --dry-run or --cleanup, or null when neither was asked for (the
    /// service runs). <paramref name="missingPrerequisite"/> says what --cleanup lacks (iptables,
    /// privileges), or null.</summary>
    public static int? Run(RuleSet rules, bool dryRun, bool cleanup, Func<string?> missingPrerequisite)
    {
        if (dryRun)
        {
            foreach (string command in rules.Describe())
            {
                Console.Out.WriteLine(command);
            }
            return ExitCodes.Ok;
        }
        if (!cleanup)
        {
            return null;
        }
        if (missingPrerequisite() is { } missing)
        {
            Log.Error(missing);
            return ExitCodes.Startup;
        }
        int removed = rules.RemoveStale();
        Log.Info($"removed {removed} rule(s) tagged {rules.Tag}");
        return ExitCodes.Ok;
    }
}
