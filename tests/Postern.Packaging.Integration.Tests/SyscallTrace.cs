using System.Text.RegularExpressions;

namespace Postern.Packaging.Integration.Tests;

/// <summary>An `strace -f` log of a process and its children: which system calls they made, which
/// socket families they opened, and whether they asked for memory both writable and executable.</summary>
public sealed partial class SyscallTrace
{
    public SyscallTrace(string log)
    {
        Log = log;
        foreach (string line in log.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Match call = Call().Match(line);
            if (call.Success)
            {
                Calls.Add(call.Groups[1].Value);
            }
            Match resumed = Resumed().Match(line);
            if (resumed.Success)
            {
                Calls.Add(resumed.Groups[1].Value);
            }
            Match socket = Socket().Match(line);
            if (socket.Success)
            {
                Families.Add(socket.Groups[1].Value);
            }
            if (WritableExecutable().IsMatch(line) || ExecutableProtect().IsMatch(line))
            {
                WritableExecutableMappings.Add(line);
            }
        }
    }

    public string Log { get; }

    public SortedSet<string> Calls { get; } = new(StringComparer.Ordinal);

    public SortedSet<string> Families { get; } = new(StringComparer.Ordinal);

    /// <summary>What MemoryDenyWriteExecute=yes refuses: a mapping both writable and executable,
    /// or mprotect making memory executable.</summary>
    public List<string> WritableExecutableMappings { get; } = new();

    // "1234  openat(AT_FDCWD, ..." and "1234  <... openat resumed>..."
    [GeneratedRegex(@"^\d+\s+([a-z_0-9]+)\(")]
    private static partial Regex Call();

    [GeneratedRegex(@"^\d+\s+<\.\.\. ([a-z_0-9]+) resumed>")]
    private static partial Regex Resumed();

    [GeneratedRegex(@"^\d+\s+socket(?:pair)?\((AF_[A-Z0-9]+)")]
    private static partial Regex Socket();

    [GeneratedRegex(@"^\d+\s+(?:mmap|mprotect|pkey_mprotect)\(.*PROT_WRITE\|PROT_EXEC")]
    private static partial Regex WritableExecutable();

    [GeneratedRegex(@"^\d+\s+(?:mprotect|pkey_mprotect)\(.*PROT_EXEC")]
    private static partial Regex ExecutableProtect();
}
