using Postern.Testing;

namespace Postern.Packaging.Integration.Tests;

/// <summary>The system calls a unit's SystemCallFilter= lines allow, with the groups expanded as
/// this machine's systemd expands them (`systemd-analyze syscall-filter`).</summary>
public static class SyscallFilter
{
    private static readonly Lazy<Dictionary<string, List<string>>> s_groups = new(ReadGroups);

    public static SortedSet<string> Expand(string name)
    {
        var result = new SortedSet<string>(StringComparer.Ordinal);
        ExpandInto(name, result, new HashSet<string>(StringComparer.Ordinal));
        return result;
    }

    /// <summary>Applies the settings in order, as systemd does: the first without "~" starts an
    /// allow list, each "~" line takes its calls away again.</summary>
    public static SortedSet<string> Allowed(IEnumerable<string> settings)
    {
        var allowed = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string setting in settings)
        {
            bool deny = setting.StartsWith('~');
            foreach (string word in setting.TrimStart('~').Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                SortedSet<string> calls = Expand(word);
                if (deny)
                {
                    allowed.ExceptWith(calls);
                }
                else
                {
                    allowed.UnionWith(calls);
                }
            }
        }
        Assert.NotEmpty(allowed);
        return allowed;
    }

    private static void ExpandInto(string name, SortedSet<string> result, HashSet<string> seen)
    {
        if (!name.StartsWith('@'))
        {
            result.Add(name);
            return;
        }
        if (!seen.Add(name))
        {
            return;
        }
        Assert.True(s_groups.Value.TryGetValue(name, out List<string>? members), $"systemd knows no syscall group {name}");
        foreach (string member in members!)
        {
            ExpandInto(member, result, seen);
        }
    }

    private static Dictionary<string, List<string>> ReadGroups()
    {
        var groups = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        List<string>? current = null;
        foreach (string line in Shell.Check("systemd-analyze", "syscall-filter").Split('\n'))
        {
            if (line.StartsWith('@'))
            {
                current = new List<string>();
                groups[line.Trim()] = current;
            }
            else if (current is not null && line.Trim() is { Length: > 0 } member && !member.StartsWith('#'))
            {
                current.Add(member);
            }
        }
        return groups;
    }
}
