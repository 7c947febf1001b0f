using System.Globalization;
using Postern.Testing;

namespace Postern.Packaging.Integration.Tests;

/// <summary>The packages under test, built once per run by `make packages` from the binaries in
/// build/linux-x64/bin (Repository.Bin), so that they always match the code being tested.</summary>
public sealed class PackageBuild
{
    public PackageBuild()
    {
        CommandResult make = Shell.Run("make", new[] { "-C", Repository.Root, "--no-print-directory", "packages" }, TimeSpan.FromMinutes(30));
        if (!make.Succeeded)
        {
            throw new InvalidOperationException("make packages failed:\n" + make);
        }
        BuildLog = make.Output + make.Error;

        Version = File.ReadAllText(Path.Combine(Repository.Root, "VERSION")).Trim();
        DebVersion = Version + "-1";
        DebArch = Shell.Check("dpkg", "--print-architecture").Trim();
        RpmArch = Shell.Check("uname", "-m").Trim();
        Roles = Directory.GetFiles(Repository.Bin, "postern-*")
            .Select(Path.GetFileName)
            .Where(name => !Path.HasExtension(name))
            .OrderBy(name => name, StringComparer.Ordinal)
            .ToArray()!;
        Services = Roles.Where(role => !RoleKinds.IsCommand(role)).ToArray();
        Commands = Roles.Where(RoleKinds.IsCommand).ToArray();
        Examples = Directory.GetFiles(Path.Combine(Packaging, "examples"))
            .Select(Path.GetFileName)
            .Where(name => Roles.Any(role => name!.StartsWith(role + ".", StringComparison.Ordinal)))
            .OrderBy(name => name, StringComparer.Ordinal)
            .ToArray()!;

        Deb = Output($"postern_{DebVersion}_{DebArch}.deb");
        DebugDeb = Output($"postern-dbgsym_{DebVersion}_{DebArch}.deb");
        Rpm = Output($"postern-{Version}-1.{RpmArch}.rpm");
        DebugRpm = Output($"postern-debuginfo-{Version}-1.{RpmArch}.rpm");
        OpenWrt = Output($"postern-{Version}-openwrt-{RpmArch}.tar.gz");
    }

    public static string Packaging => Path.Combine(Repository.Root, "packaging");

    public string BuildLog { get; }

    public string Version { get; }

    public string DebVersion { get; }

    public string DebArch { get; }

    public string RpmArch { get; }

    /// <summary>The roles built into Repository.Bin: the packages must carry exactly these.</summary>
    public IReadOnlyList<string> Roles { get; }

    /// <summary>The built roles that are services: each packaged with its unit, defaults or
    /// sysconfig file, OpenWrt init script and UCI config.</summary>
    public IReadOnlyList<string> Services { get; }

    /// <summary>The built roles packaging/commands names: binary and man page only.</summary>
    public IReadOnlyList<string> Commands { get; }

    /// <summary>The files of packaging/examples that belong to a built role (ROLE.WHAT): each
    /// package carries exactly these, byte for byte.</summary>
    public IReadOnlyList<string> Examples { get; }

    public string Deb { get; }

    public string DebugDeb { get; }

    public string Rpm { get; }

    public string DebugRpm { get; }

    public string OpenWrt { get; }

    /// <summary>Roles for which packaging/systemd has a unit, whether or not they are built yet.</summary>
    public static IReadOnlyList<string> RolesWithUnits => Directory.GetFiles(Path.Combine(Packaging, "systemd"), "postern-*.service")
        .Select(path => Path.GetFileNameWithoutExtension(path))
        .OrderBy(name => name, StringComparer.Ordinal)
        .ToArray();

    public static string UnitPath(string role) => Path.Combine(Packaging, "systemd", role + ".service");

    public static string DefaultsPath(string role) => Path.Combine(Packaging, "default", role);

    /// <summary>POSTERN_AAAA_OPTS for postern-aaaa: the variable the unit and the defaults file share.</summary>
    public static string OptionsVariable(string role) =>
        role.ToUpperInvariant().Replace('-', '_') + "_OPTS";

    public string BuildId(string role)
    {
        string notes = Shell.Check("readelf", "-n", Path.Combine(Repository.Bin, role));
        string? line = notes.Split('\n').FirstOrDefault(l => l.Contains("Build ID:", StringComparison.Ordinal));
        Assert.NotNull(line);
        return line!.Split(':', 2)[1].Trim().ToLower(CultureInfo.InvariantCulture);
    }

    private static string Output(string name)
    {
        string path = Path.Combine(Repository.PackagesFor(Repository.HostRid), name);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"make packages did not make {path}", path);
        }
        return path;
    }
}
