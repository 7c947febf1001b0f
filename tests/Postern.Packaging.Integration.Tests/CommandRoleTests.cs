using System.IO.Compression;
using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Packaging.Integration.Tests;

/// <summary>The command roles (packaging/commands; postern-punch): in each package as a binary
/// and, where the package has man pages (the .deb and the .rpm; the OpenWrt tarball carries none
/// for any role), its man page, and nothing else: no unit, defaults or sysconfig file, init
/// script or UCI config, and no mention in a maintainer script or scriptlet. And the packaging
/// scripts refuse to build when packaging/ disagrees with the declaration.</summary>
[Collection(PackagingCollection.Name)]
public sealed class CommandRoleTests
{
    private static readonly string[] ServiceFiles = { "systemd/{0}.service", "default/{0}", "openwrt/{0}.init", "openwrt/{0}.config" };

    private readonly PackageBuild _build;

    public CommandRoleTests(PackageBuild build)
    {
        _build = build;
    }

    public static TheoryData<string> Commands()
    {
        var data = new TheoryData<string>();
        foreach (string role in RoleKinds.Commands.Order(StringComparer.Ordinal))
        {
            data.Add(role);
        }
        return data;
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The paths in a package listing that name the role: "/usr/sbin/postern-punch", ...</summary>
    private static string[] Naming(string role, IEnumerable<string> paths) =>
        paths.Where(p => Path.GetFileName(p).StartsWith(role, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void Postern_punch_is_a_command_with_connect_keep_manual_nat_type_and_register()
    {
        Assert.Contains("postern-punch", RoleKinds.Commands);
        Assert.Contains("postern-punch", _build.Commands);
        Assert.Equal(new[] { "connect", "keep", "manual", "nat-type", "register" }, OptionNames.Subcommands(Repository.Binary("postern-punch")));
    }

    /// <summary>A name in packaging/commands that no project builds is a typo that declares nothing.</summary>
    [Theory]
    [MemberData(nameof(Commands))]
    public void Command_is_a_role_the_build_makes(string role)
    {
        Assert.True(File.Exists(Path.Combine(Repository.Root, "src", role, role + ".csproj")), $"packaging/commands names {role}, but there is no src/{role}/{role}.csproj");
        Assert.Contains(role, _build.Commands);
        Assert.DoesNotContain(role, _build.Services);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Command_has_no_unit_defaults_init_script_or_uci_config_in_packaging(string role)
    {
        foreach (string pattern in ServiceFiles)
        {
            string file = string.Format(System.Globalization.CultureInfo.InvariantCulture, pattern, role);
            Assert.False(File.Exists(Path.Combine(PackageBuild.Packaging, file)), $"{role} is a command, yet packaging/{file} exists");
        }
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Deb_carries_the_command_as_binary_and_man_page_only(string role)
    {
        string[] files = Lines(Shell.Check("dpkg-deb", "-c", _build.Deb))
            .Where(line => line[0] != 'd')
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[5].TrimStart('.'))
            .ToArray();
        Assert.Equal(new[] { "/usr/sbin/" + role, $"/usr/share/man/man8/{role}.8.gz" }, Naming(role, files));

        using var control = new ScratchDirectory("deb-control");
        Shell.Check("dpkg-deb", "-e", _build.Deb, control.Path);
        foreach (string member in new[] { "postinst", "prerm", "postrm", "conffiles" })
        {
            Assert.DoesNotContain(role, File.ReadAllText(control.Combine(member)), StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Rpm_carries_the_command_as_binary_and_man_page_only(string role)
    {
        Assert.Equal(new[] { "/usr/sbin/" + role, $"/usr/share/man/man8/{role}.8.gz" }, Naming(role, Lines(Shell.Check("rpm", "-qpl", _build.Rpm))));
        Assert.DoesNotContain(Lines(Shell.Check("rpm", "-qpc", _build.Rpm)), p => p.Contains(role, StringComparison.Ordinal));
        Assert.DoesNotContain(role, Shell.Check("rpm", "-qp", "--scripts", _build.Rpm), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void OpenWrt_tarball_carries_the_command_as_its_binary_only(string role)
    {
        string[] entries = Lines(Shell.Check("tar", "-tzf", _build.OpenWrt)).Select(e => e.TrimStart('.').TrimEnd('/')).ToArray();
        Assert.Equal(new[] { "/usr/sbin/" + role }, Naming(role, entries));
        // No role's man page: OpenWrt images have no man (the role's --help is its manual there).
        Assert.DoesNotContain(entries, e => e.StartsWith("/usr/share/man", StringComparison.Ordinal));
    }

    /// <summary>build-man.sh adds each command's --help as a "COMMAND X" section; each option of
    /// `ROLE X --help` must be in that section, not just somewhere in the page. The .rpm carries
    /// the same page as the .deb.</summary>
    [Theory]
    [MemberData(nameof(Commands))]
    public void Man_page_documents_every_option_of_each_subcommands_help(string role)
    {
        using var deb = new ScratchDirectory("command-deb");
        Shell.Check("dpkg-deb", "-x", _build.Deb, deb.Path);
        string page = deb.Combine("usr", "share", "man", "man8", role + ".8.gz");
        using var reader = new StreamReader(new GZipStream(File.OpenRead(page), CompressionMode.Decompress));
        string roff = reader.ReadToEnd();

        string binary = Repository.Binary(role);
        foreach (string option in OptionNames.FromHelp(binary))
        {
            Assert.Contains(OptionNames.InRoff(option), roff, StringComparison.Ordinal);
        }
        foreach (string command in OptionNames.Subcommands(binary))
        {
            Match section = Regex.Match(roff, @"^\.SH ""COMMAND " + Regex.Escape(command.ToUpperInvariant()) + @"""\n(.*?)(?=^\.SH |\z)", RegexOptions.Multiline | RegexOptions.Singleline);
            Assert.True(section.Success, $"{role}.8 has no COMMAND {command.ToUpperInvariant()} section");
            SortedSet<string> options = OptionNames.FromHelp(binary, command);
            Assert.Contains("help", options);
            foreach (string option in options)
            {
                Assert.True(section.Groups[1].Value.Contains(OptionNames.InRoff(option), StringComparison.Ordinal),
                    $"the COMMAND {command.ToUpperInvariant()} section of {role}.8 lacks --{option}, which `{role} {command} --help` lists");
            }
        }

        using var rpm = new ScratchDirectory("command-rpm");
        Shell.Sh($"cd '{rpm.Path}' && rpm2archive - < '{_build.Rpm}' | tar -xzf -", TimeSpan.FromMinutes(2)).EnsureSuccess();
        Assert.Equal(File.ReadAllBytes(page), File.ReadAllBytes(rpm.Combine("usr", "share", "man", "man8", role + ".8.gz")));
    }

    /// <summary>roles.sh, sourced by every packaging script, against a copy of packaging/ with the
    /// built binaries: as it is, it splits the roles; with a command given a unit, or a service
    /// missing one of its files, it fails in one sentence naming the role and the file.</summary>
    [Fact]
    public void Roles_sh_splits_services_from_commands_and_fails_when_the_files_disagree()
    {
        Assert.Equal(
            string.Join(' ', _build.Services) + "|" + string.Join(' ', _build.Commands),
            SourceRoles(copy => { }).EnsureSuccess().Output.Trim());

        CommandResult commandWithUnit = SourceRoles(copy => File.WriteAllText(Path.Combine(copy, "systemd", "postern-punch.service"), "[Service]\n"));
        Assert.False(commandWithUnit.Succeeded, commandWithUnit.ToString());
        Assert.Equal(
            "postern-punch is a command (packaging/commands) but packaging/systemd/postern-punch.service exists: a command has no unit, defaults, init script or UCI config",
            commandWithUnit.Error.Trim());

        CommandResult serviceWithoutConfig = SourceRoles(copy => File.Delete(Path.Combine(copy, "openwrt", "postern-reflector.config")));
        Assert.False(serviceWithoutConfig.Succeeded, serviceWithoutConfig.ToString());
        Assert.Equal(
            "postern-reflector is a service (not in packaging/commands) but has no packaging/openwrt/postern-reflector.config: add it, or name the role in packaging/commands",
            serviceWithoutConfig.Error.Trim());

        // And the declaration is what decides: postern-punch undeclared is a service without a unit.
        CommandResult undeclared = SourceRoles(copy => File.WriteAllText(Path.Combine(copy, "commands"), "# none\n"));
        Assert.False(undeclared.Succeeded, undeclared.ToString());
        Assert.StartsWith("postern-punch is a service (not in packaging/commands) but has no packaging/systemd/postern-punch.service", undeclared.Error.Trim(), StringComparison.Ordinal);
    }

    /// <summary>Sources roles.sh of a changed copy of packaging/ (beside a copy of VERSION, as in
    /// the repository) and prints "SERVICES|COMMANDS".</summary>
    private static CommandResult SourceRoles(Action<string> change)
    {
        using var scratch = new ScratchDirectory("roles-sh");
        string copy = scratch.Combine("packaging");
        Shell.Check("cp", "-a", PackageBuild.Packaging, copy);
        File.Copy(Path.Combine(Repository.Root, "VERSION"), scratch.Combine("VERSION"));
        change(copy);
        return Shell.Run("bash", "-c", "BIN=\"$1\" PKG_OUT=\"$2\"; export BIN PKG_OUT; source \"$0\"; printf '%s|%s\\n' \"$SERVICES\" \"$COMMANDS\"",
            Path.Combine(copy, "roles.sh"), Repository.Bin, scratch.Combine("out"));
    }
}
