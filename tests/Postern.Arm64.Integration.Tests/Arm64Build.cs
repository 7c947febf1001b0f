using Postern.Testing;

namespace Postern.Arm64.Integration.Tests;

/// <summary>The arm64 binaries and packages under test, cross-built once per run by `make
/// RID=linux-arm64 packages` (which builds first), so that they always match the code being
/// tested. Nothing is built when the tools are missing outside CI: the tests skip then.</summary>
public sealed class Arm64Build
{
    public const string Rid = Repository.Arm64;

    public Arm64Build()
    {
        Version = File.ReadAllText(Path.Combine(Repository.Root, "VERSION")).Trim();
        Bin = Repository.BinFor(Rid);
        Packages = Repository.PackagesFor(Rid);
        Roles = SourceRoles().ToArray();
        Services = Roles.Where(role => !RoleKinds.IsCommand(role)).ToArray();
        Commands = Roles.Where(RoleKinds.IsCommand).ToArray();
        if (Arm64Tools.WhyNot() is not null)
        {
            return;
        }
        CommandResult make = Shell.Run("make", new[] { "-C", Repository.Root, "--no-print-directory", "RID=" + Rid, "packages" }, TimeSpan.FromMinutes(40));
        if (!make.Succeeded)
        {
            throw new InvalidOperationException("make RID=linux-arm64 packages failed:\n" + make);
        }
    }

    public string Version { get; }

    public string DebVersion => Version + "-1";

    public string Bin { get; }

    public string Packages { get; }

    /// <summary>The roles there are sources for: each must be built, packaged and runnable.</summary>
    public IReadOnlyList<string> Roles { get; }

    /// <summary>The roles that are services (packaged with a unit, init script and UCI config).</summary>
    public IReadOnlyList<string> Services { get; }

    /// <summary>The roles packaging/commands names: binary and man page only.</summary>
    public IReadOnlyList<string> Commands { get; }

    /// <summary>The roles the Makefile builds: every src/postern-* project.</summary>
    public static IEnumerable<string> SourceRoles() =>
        Directory.GetDirectories(Path.Combine(Repository.Root, "src"), "postern-*")
            .Select(path => Path.GetFileName(path)!)
            .Order(StringComparer.Ordinal);

    public string Binary(string role) => Repository.BinaryFor(Rid, role);

    public string Deb => Output($"postern_{DebVersion}_arm64.deb");

    public string DebugDeb => Output($"postern-dbgsym_{DebVersion}_arm64.deb");

    public string Rpm => Output($"postern-{DebVersion}.aarch64.rpm");

    public string DebugRpm => Output($"postern-debuginfo-{DebVersion}.aarch64.rpm");

    public string OpenWrt => Output($"postern-{Version}-openwrt-aarch64.tar.gz");

    private string Output(string name)
    {
        string path = Path.Combine(Packages, name);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"make RID=linux-arm64 packages did not make {path}", path);
        }
        return path;
    }
}
