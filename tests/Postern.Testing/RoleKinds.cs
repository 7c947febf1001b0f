namespace Postern.Testing;

/// <summary>Which roles are commands and which services, from packaging/commands, the file the
/// packaging scripts (roles.sh) read too. A command is packaged as its binary and man page only:
/// no unit, defaults or sysconfig file, OpenWrt init script or UCI config. Every other role is a
/// service and has all of them.</summary>
public static class RoleKinds
{
    public static string DeclarationPath => Path.Combine(Repository.Root, "packaging", "commands");

    /// <summary>The roles packaging/commands names, built or not.</summary>
    public static IReadOnlySet<string> Commands { get; } = Read(DeclarationPath);

    public static bool IsCommand(string role) => Commands.Contains(role);

    /// <summary>As roles.sh reads it: '#' starts a comment, blanks are ignored, one name a line.</summary>
    public static IReadOnlySet<string> Read(string path) =>
        File.ReadAllLines(path)
            .Select(line => (line.IndexOf('#', StringComparison.Ordinal) is int hash and >= 0 ? line[..hash] : line).Trim())
            .Where(name => name.Length > 0)
            .ToHashSet(StringComparer.Ordinal);
}
