using System.Globalization;
using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Packaging.Integration.Tests;

/// <summary>Each unit in packaging/systemd, built role or not: what the issue asks of it, what
/// `systemd-analyze verify` says, and the `systemd-analyze security` score the README records.</summary>
[Collection(PackagingCollection.Name)]
public sealed partial class SystemdUnitTests
{
    public static TheoryData<string> Roles()
    {
        var data = new TheoryData<string>();
        foreach (string role in PackageBuild.RolesWithUnits)
        {
            data.Add(role);
        }
        return data;
    }

    [Fact]
    public void There_is_a_unit_for_aaaa_and_reflector_and_for_every_built_service_role()
    {
        Assert.Contains("postern-aaaa", PackageBuild.RolesWithUnits);
        Assert.Contains("postern-reflector", PackageBuild.RolesWithUnits);
        foreach (string role in Directory.GetFiles(Repository.Bin, "postern-*").Where(p => !Path.HasExtension(p)).Select(p => Path.GetFileName(p)))
        {
            if (!RoleKinds.IsCommand(role))
            {
                Assert.Contains(role, PackageBuild.RolesWithUnits);
            }
        }
    }

    /// <summary>A command (packaging/commands) is run by a person; a unit for it would be a
    /// service nobody asked for. Built or not.</summary>
    [Fact]
    public void No_command_role_has_a_unit()
    {
        Assert.DoesNotContain(PackageBuild.RolesWithUnits, RoleKinds.IsCommand);
    }

    [Theory]
    [MemberData(nameof(Roles))]
    public void Unit_runs_the_role_with_notify_readiness_restart_and_its_defaults_file(string role)
    {
        var unit = new UnitFile(PackageBuild.UnitPath(role));
        string variable = PackageBuild.OptionsVariable(role);
        Assert.Equal("notify", unit.Service("Type"));
        Assert.Equal("on-failure", unit.Service("Restart"));
        Assert.Equal("-/etc/default/" + role, unit.Service("EnvironmentFile"));
        Assert.Equal($"/usr/sbin/{role} ${variable}", unit.Service("ExecStart"));
        Assert.Equal($"man:{role}(8)", unit.Single("Unit", "Documentation"));
        Assert.Equal("multi-user.target", unit.Single("Install", "WantedBy"));
        // The defaults file sets the variable the unit passes, empty by default: the program's
        // own defaults apply until the admin chooses.
        Assert.Contains($"\n{variable}=\"\"\n", File.ReadAllText(PackageBuild.DefaultsPath(role)), StringComparison.Ordinal);
    }

    [Fact]
    public void Aaaa_cleans_up_its_own_rules_with_the_same_options_after_stopping()
    {
        var unit = new UnitFile(PackageBuild.UnitPath("postern-aaaa"));
        Assert.Equal("/usr/sbin/postern-aaaa --cleanup $POSTERN_AAAA_OPTS", unit.Service("ExecStopPost"));
    }

    [Theory]
    [InlineData("postern-aaaa", "CAP_NET_ADMIN CAP_NET_RAW", "AF_INET AF_INET6 AF_NETLINK AF_UNIX")]
    [InlineData("postern-reflector", "", "AF_INET AF_INET6 AF_UNIX")]
    [InlineData("postern-dnsguard", "CAP_NET_ADMIN", "AF_INET AF_INET6 AF_NETLINK AF_UNIX")]
    [InlineData("postern-map", "", "AF_INET AF_INET6 AF_UNIX")]
    public void Unit_is_hardened_with_just_what_the_role_needs(string role, string capabilities, string families)
    {
        var unit = new UnitFile(PackageBuild.UnitPath(role));
        Assert.Equal(capabilities, string.Join(' ', unit.ServiceWords("CapabilityBoundingSet")));
        Assert.Equal(capabilities, string.Join(' ', unit.ServiceWords("AmbientCapabilities")));
        Assert.Equal(families, string.Join(' ', unit.ServiceWords("RestrictAddressFamilies")));
        Assert.Equal("yes", unit.Service("NoNewPrivileges"));
        Assert.Equal("strict", unit.Service("ProtectSystem"));
        Assert.Equal("yes", unit.Service("ProtectHome"));
        Assert.Equal("yes", unit.Service("PrivateTmp"));
        Assert.Equal("@system-service", unit.All("Service", "SystemCallFilter")[0]);
        // The allowed calls are @system-service less whatever the unit takes away; no more.
        Assert.True(SyscallFilter.Allowed(unit.All("Service", "SystemCallFilter")).IsSubsetOf(SyscallFilter.Expand("@system-service")));
    }

    /// <summary>verify needs the ExecStart programs to exist; the unit is checked as written, with
    /// only /usr/sbin/postern-X pointed at Repository.Bin (or at /bin/true for a role not built yet).
    /// The installed units are verified as they are in DebInstallTests.</summary>
    [Theory]
    [MemberData(nameof(Roles))]
    public void Systemd_analyze_verify_passes(string role)
    {
        using var scratch = new ScratchDirectory("verify");
        string built = Path.Combine(Repository.Bin, role);
        string program = File.Exists(built) ? built : "/bin/true";
        string text = File.ReadAllText(PackageBuild.UnitPath(role)).Replace("/usr/sbin/" + role, program, StringComparison.Ordinal);
        string path = scratch.Combine(role + ".service");
        File.WriteAllText(path, text);
        CommandResult verify = Shell.Run("systemd-analyze", "verify", "--man=no", path);
        Assert.True(verify.Succeeded, verify.ToString());
        Assert.Equal("", verify.Error.Trim());
    }

    [Theory]
    [MemberData(nameof(Roles))]
    public void Security_exposure_is_low_and_recorded_in_the_readme(string role)
    {
        CommandResult security = Shell.Run("systemd-analyze", "security", "--offline=true", "--no-pager", PackageBuild.UnitPath(role));
        Match match = Exposure().Match(security.Output);
        Assert.True(match.Success, security.ToString());
        double exposure = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(exposure, 0.0, 3.0);

        string readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        Match recorded = Regex.Match(readme, @"\| `" + Regex.Escape(role) + @"\.service` \| ([0-9.]+) ");
        Assert.True(recorded.Success, $"README.md records no systemd-analyze security score for {role}.service");
        Assert.Equal(match.Groups[1].Value, recorded.Groups[1].Value);
    }

    [GeneratedRegex(@"Overall exposure level for \S+: ([0-9.]+)")]
    private static partial Regex Exposure();
}
