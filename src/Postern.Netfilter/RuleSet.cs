using Postern.Hosting;

namespace Postern.Netfilter;

/// <summary>The rules one instance owns. Every rule carries the instance's comment tag, is
/// inserted only when absent and checked after insertion; removal takes exactly the rules that
/// carry the tag, including those a killed instance left behind.</summary>
public sealed class RuleSet
{
    private readonly Iptables _iptables;
    private readonly List<FirewallRule> _installed = new();

    private readonly IReadOnlyList<RulePlace> _cleanupPlaces;
    private long _reinstalled;

    /// <param name="cleanupPlaces">Every table and chain the role may ever put a rule in, whatever
    /// this instance's options: stale rules are looked for there too (an earlier run may have been
    /// started with other options).</param>
    public RuleSet(Iptables iptables, string tag, IReadOnlyList<FirewallRule> rules, IEnumerable<RulePlace>? cleanupPlaces = null)
    {
        if (rules.Any(rule => rule.Tag != tag))
        {
            throw new ArgumentException("every rule must carry the set's tag", nameof(rules));
        }
        _iptables = iptables;
        Tag = tag;
        Rules = rules;
        _cleanupPlaces = rules.Select(rule => new RulePlace(rule.Family, rule.Table, rule.Chain))
            .Concat(cleanupPlaces ?? Array.Empty<RulePlace>())
            .Distinct()
            .ToArray();
    }

    public string Tag { get; }

    public IReadOnlyList<FirewallRule> Rules { get; }

    /// <summary>Rules <see cref="Repair"/> found missing and inserted again, over this set's life
    /// (a role's rules-repaired counter).</summary>
    public long Reinstalled => Interlocked.Read(ref _reinstalled);

    /// <summary>The commands <see cref="Install"/> would run, for --dry-run.</summary>
    public IEnumerable<string> Describe() =>
        Rules.Select(rule => Iptables.Render(_iptables.Program(rule.Family), rule.Arguments("-I")));

    public bool IsPresent(FirewallRule rule) => _iptables.Run(rule.Family, rule.Arguments("-C")).Succeeded;

    /// <summary>Inserts every rule that is absent, then checks each is there. On any failure the
    /// rules inserted so far are removed and a <see cref="RuleSetException"/> says what failed.</summary>
    public void Install()
    {
        foreach (FirewallRule rule in Rules)
        {
            if (IsPresent(rule))
            {
                continue;
            }
            IptablesResult result = _iptables.Run(rule.Family, rule.Arguments("-I"));
            if (!result.Succeeded)
            {
                Remove();
                throw new RuleSetException(
                    $"cannot insert {Iptables.Render(_iptables.Program(rule.Family), rule.Arguments("-I"))}: {result.Error}");
            }
            _installed.Add(rule);
            if (!IsPresent(rule))
            {
                Remove();
                throw new RuleSetException($"rule not found after insertion: {string.Join(' ', rule.RuleArguments)}");
            }
        }
    }

    /// <summary>Puts back the rules someone else removed (an admin's <c>iptables -F</c>, a firewall
    /// reload, one <c>iptables -D</c>): each rule is checked, and only those iptables says are
    /// absent are inserted again, so a repair never duplicates a rule. A check that fails for
    /// another reason (the xtables lock held past the timeout) is not taken for an absence: that
    /// rule waits for the next repair.</summary>
    public RuleRepair Repair()
    {
        int missing = 0;
        int reinstalled = 0;
        string? error = null;
        foreach (FirewallRule rule in Rules)
        {
            IptablesResult check = _iptables.Run(rule.Family, rule.Arguments("-C"));
            if (check.Succeeded)
            {
                continue;
            }
            if (check.ExitCode != RuleAbsent)
            {
                error ??= $"cannot check {Iptables.Render(_iptables.Program(rule.Family), rule.Arguments("-C"))}: {check.Error}";
                continue;
            }
            missing++;
            IptablesResult insert = _iptables.Run(rule.Family, rule.Arguments("-I"));
            if (insert.Succeeded)
            {
                reinstalled++;
            }
            else
            {
                error ??= $"cannot insert {Iptables.Render(_iptables.Program(rule.Family), rule.Arguments("-I"))}: {insert.Error}";
            }
        }
        Interlocked.Add(ref _reinstalled, reinstalled);
        return new RuleRepair(Rules.Count, missing, reinstalled, error);
    }

    /// <summary>Every <paramref name="interval"/> until <paramref name="stop"/>: are the rules all
    /// there? Those someone else removed are put back (and only those), with one line saying so.
    /// A check that cannot run is logged and the next one tried: it must never end the process
    /// whose traffic the rules carry. For a thread of the role's own.</summary>
    public void RepairEvery(TimeSpan interval, CancellationToken stop)
    {
        while (!stop.WaitHandle.WaitOne(interval))
        {
            RuleRepair repair;
            try
            {
                repair = Repair();
            }
            catch (Exception e) when (e is InvalidOperationException or IOException)
            {
                Log.Warning($"cannot check the rules: {e.Message}");
                continue;
            }
            if (repair.Describe() is { } line)
            {
                Log.Warning(line);
            }
        }
    }

    /// <summary>iptables' exit code for "no such rule" (-C, -D); 2 is a bad argument, 4 a resource
    /// problem such as the xtables lock.</summary>
    private const int RuleAbsent = 1;

    /// <summary>Why the last <see cref="Remove"/> left rules behind (a delete that failed for
    /// another reason than the rule being absent), or null when it did not.</summary>
    public string? RemoveFailure { get; private set; }

    /// <summary>Removes this set's rules (every copy of each), and returns how many went. A delete
    /// that timed out (the xtables lock held by another process) ends the removal: the others
    /// would wait just as long, and a stop must end; <see cref="RemoveFailure"/> says so.</summary>
    public int Remove()
    {
        int removed = 0;
        bool timedOut = false;
        RemoveFailure = null;
        foreach (FirewallRule rule in Rules)
        {
            // Bounded: a rule that cannot be deleted must not spin forever.
            for (int i = 0; i < 16; i++)
            {
                IptablesResult result = _iptables.Run(rule.Family, rule.Arguments("-D"));
                if (result.Succeeded)
                {
                    removed++;
                    continue;
                }
                if (result.ExitCode != RuleAbsent)
                {
                    RemoveFailure ??= $"cannot delete {Iptables.Render(_iptables.Program(rule.Family), rule.Arguments("-D"))}: {result.Error}";
                }
                timedOut = result.ExitCode == Iptables.TimedOut;
                break;
            }
            if (timedOut)
            {
                break;
            }
        }
        _installed.Clear();
        return removed;
    }

    /// <summary>Removes every rule in the given tables and chains whose comment is this set's
    /// tag, whatever its arguments (an older version's rules, or a killed instance's). Returns
    /// how many went.</summary>
    public int RemoveStale()
    {
        int removed = 0;
        foreach (RulePlace place in _cleanupPlaces)
        {
            IptablesResult listing = _iptables.Run(place.Family, new[] { "-w", "-t", place.Table, "-S", place.Chain });
            if (listing.ExitCode == Iptables.TimedOut)
            {
                // Not a chain that is absent (those are skipped): nothing can be done until the
                // lock is free, so say so rather than take the next chain's wait too.
                throw new RuleSetException(
                    $"cannot list {Iptables.Render(_iptables.Program(place.Family), new[] { "-w", "-t", place.Table, "-S", place.Chain })}: {listing.Error}");
            }
            if (!listing.Succeeded)
            {
                continue;
            }
            foreach (string line in listing.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                List<string> arguments = RuleSpecParser.Split(line);
                if (arguments.Count < 2 || arguments[0] != "-A" || RuleSpecParser.Comment(arguments) != Tag)
                {
                    continue;
                }
                arguments[0] = "-D";
                var delete = new List<string> { "-w", "-t", place.Table };
                delete.AddRange(arguments);
                if (_iptables.Run(place.Family, delete).Succeeded)
                {
                    removed++;
                }
            }
        }
        return removed;
    }
}
