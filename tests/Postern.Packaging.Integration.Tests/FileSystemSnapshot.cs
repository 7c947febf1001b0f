using Postern.Testing;

namespace Postern.Packaging.Integration.Tests;

/// <summary>The paths under the places a package or its maintainer scripts may write (/etc, /usr,
/// /var/lib, /opt, /srv, and /lib where it is not a link into /usr), to tell what an install and a
/// purge left behind. dpkg's and apt's own databases, caches and logs are left out.</summary>
public sealed class FileSystemSnapshot
{
    private static readonly string[] s_roots = { "/etc", "/usr", "/lib", "/var/lib", "/opt", "/srv" };
    private static readonly string[] s_ignored = { "/var/lib/dpkg", "/var/lib/apt", "/var/cache", "/var/log" };

    private FileSystemSnapshot(SortedSet<string> paths)
    {
        Paths = paths;
    }

    public SortedSet<string> Paths { get; }

    public static FileSystemSnapshot Take()
    {
        var paths = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string root in s_roots.Where(Directory.Exists))
        {
            if (new DirectoryInfo(root).LinkTarget is not null)
            {
                continue;
            }
            var find = Shell.Run("find", new[] { root, "-xdev" }, TimeSpan.FromMinutes(5));
            foreach (string path in find.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!s_ignored.Any(i => path == i || path.StartsWith(i + "/", StringComparison.Ordinal)))
                {
                    paths.Add(path);
                }
            }
        }
        return new FileSystemSnapshot(paths);
    }

    /// <summary>Paths present now and not before that no installed package owns (so that a package
    /// another program installs meanwhile is not blamed on this test), and paths that went away.</summary>
    public (IReadOnlyList<string> Added, IReadOnlyList<string> Removed) Compare(FileSystemSnapshot after)
    {
        var added = after.Paths.Except(Paths).ToList();
        if (added.Count > 0)
        {
            // dpkg -S answers for the paths some package owns; the rest are leftovers.
            CommandResult owners = Shell.Run("dpkg", new[] { "-S" }.Concat(added));
            var owned = new HashSet<string>(StringComparer.Ordinal);
            foreach (string line in owners.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                int colon = line.IndexOf(": ", StringComparison.Ordinal);
                if (colon > 0)
                {
                    owned.Add(line[(colon + 2)..]);
                }
            }
            added = added.Where(p => !owned.Contains(p) || p.Contains("postern", StringComparison.Ordinal)).ToList();
        }
        return (added, Paths.Except(after.Paths).ToList());
    }
}
