using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Packaging.Integration.Tests;

/// <summary>The OpenWrt tarball: its layout, its procd scripts (parsed by sh, and run against a
/// stand-in for procd and UCI), and its UCI files holding the same options as the defaults files
/// and the binaries' --help.</summary>
[Collection(PackagingCollection.Name)]
public sealed class OpenWrtTests : IDisposable
{
    private readonly PackageBuild _build;
    private readonly ScratchDirectory _root = new("openwrt");

    public OpenWrtTests(PackageBuild build)
    {
        _build = build;
        Shell.Check("tar", "-xzf", build.OpenWrt, "-C", _root.Path);
    }

    private string InRoot(string path) => Path.Combine(_root.Path, path.TrimStart('/'));

    [Fact]
    public void Tarball_unpacks_to_binaries_and_the_services_init_scripts_and_uci_config_owned_by_root()
    {
        // tar -tv: "-rwxr-xr-x 0/0 4879192 2026-11-21 06:42 ./usr/sbin/postern-aaaa"
        var entries = Shell.Check("tar", "--numeric-owner", "-tvzf", _build.OpenWrt)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(parts => parts[5].TrimStart('.').TrimEnd('/'), parts => (Mode: parts[0], Owner: parts[1]));
        Assert.All(entries.Values, entry => Assert.Equal("0/0", entry.Owner));
        Assert.Equal("-rw-r--r--", entries["/lib/functions/postern.sh"].Mode);
        Assert.Equal("-rw-r--r--", entries["/usr/share/postern/control"].Mode);
        Assert.Equal("-rw-r--r--", entries["/usr/share/postern/LICENSE"].Mode);
        foreach (string role in _build.Roles)
        {
            Assert.Equal("-rwxr-xr-x", entries["/usr/sbin/" + role].Mode);
        }
        foreach (string role in _build.Services)
        {
            Assert.Equal("-rwxr-xr-x", entries["/etc/init.d/" + role].Mode);
            Assert.Equal("-rw-r--r--", entries["/etc/config/" + role].Mode);
        }
        var files = entries.Where(e => e.Value.Mode[0] != 'd').Select(e => e.Key).ToHashSet();
        var expected = _build.Roles.Select(r => "/usr/sbin/" + r)
            .Concat(_build.Services.SelectMany(r => new[] { "/etc/init.d/" + r, "/etc/config/" + r }))
            .Concat(_build.Examples.Select(e => "/usr/share/postern/examples/" + e))
            .Append("/lib/functions/postern.sh").Append("/usr/share/postern/control").Append("/usr/share/postern/LICENSE").ToHashSet();
        Assert.NotEmpty(_build.Examples);
        foreach (string example in _build.Examples)
        {
            Assert.Equal("-rw-r--r--", entries["/usr/share/postern/examples/" + example].Mode);
            Assert.Equal(File.ReadAllBytes(Path.Combine(PackageBuild.Packaging, "examples", example)),
                File.ReadAllBytes(InRoot("/usr/share/postern/examples/" + example)));
        }
        Assert.Equal(expected.Order(StringComparer.Ordinal), files.Order(StringComparer.Ordinal));
        foreach (string role in _build.Roles)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(Repository.Bin, role)), File.ReadAllBytes(InRoot("/usr/sbin/" + role)));
        }
    }

    /// <summary>The metadata an ipk would carry in its control file: version, OpenWrt's name for
    /// the architecture, the SPDX licence (PKG_LICENSE), and the licence text beside it.</summary>
    [Fact]
    public void Metadata_names_the_version_architecture_and_licence()
    {
        Dictionary<string, string> control = File.ReadAllLines(InRoot("/usr/share/postern/control"))
            .Select(line => line.Split(':', 2))
            .ToDictionary(parts => parts[0], parts => parts[1].Trim());
        Assert.Equal("postern", control["Package"]);
        Assert.Equal(_build.DebVersion, control["Version"]);
        Assert.Equal(_build.RpmArch == "aarch64" ? "aarch64_generic" : _build.RpmArch, control["Architecture"]);
        Assert.Equal("GPL-2.0-or-later AND MIT", control["License"]);
        Assert.Equal("/usr/share/postern/LICENSE", control["LicenseFiles"]);
        Assert.Equal(File.ReadAllBytes(Path.Combine(Repository.Root, "LICENSE")), File.ReadAllBytes(InRoot("/usr/share/postern/LICENSE")));
    }

    public static TheoryData<string> OpenWrtScripts()
    {
        var data = new TheoryData<string>();
        foreach (string path in Directory.GetFiles(Path.Combine(PackageBuild.Packaging, "openwrt"), "*.init").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(path));
        }
        data.Add("postern.sh");
        return data;
    }

    [Theory]
    [MemberData(nameof(OpenWrtScripts))]
    public void Init_scripts_pass_sh_n(string file)
    {
        string path = Path.Combine(PackageBuild.Packaging, "openwrt", file);
        CommandResult check = Shell.Run("sh", "-n", path);
        Assert.True(check.Succeeded, check.ToString());
        if (file.EndsWith(".init", StringComparison.Ordinal))
        {
            string text = File.ReadAllText(path);
            Assert.StartsWith("#!/bin/sh /etc/rc.common\n", text, StringComparison.Ordinal);
            Assert.Contains("\nUSE_PROCD=1\n", text, StringComparison.Ordinal);
            Assert.Matches(new Regex(@"\nstart_service\(\) \{\n\tconfig_load "), text);
            Assert.Contains("procd_set_param respawn", text, StringComparison.Ordinal);
        }
    }

    public static TheoryData<string> OpenWrtRoles()
    {
        var data = new TheoryData<string>();
        foreach (string path in Directory.GetFiles(Path.Combine(PackageBuild.Packaging, "openwrt"), "*.init").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(path));
        }
        return data;
    }

    /// <summary>One set of option names across the defaults file, the UCI file, the procd script's
    /// tables, and (when the role is built) the binary's own --help.</summary>
    [Theory]
    [MemberData(nameof(OpenWrtRoles))]
    public void Uci_config_defaults_file_init_script_and_help_name_the_same_options(string role)
    {
        string openwrt = Path.Combine(PackageBuild.Packaging, "openwrt");
        SortedSet<string> defaults = OptionNames.FromDefaultsFile(PackageBuild.DefaultsPath(role));
        SortedSet<string> uci = OptionNames.FromUci(Path.Combine(openwrt, role + ".config"));
        (SortedSet<string> flags, SortedSet<string> values, SortedSet<string> lists) = OptionNames.FromInitScript(Path.Combine(openwrt, role + ".init"));
        var script = new SortedSet<string>(flags.Concat(values).Concat(lists), StringComparer.Ordinal);
        Assert.Equal(flags.Count + values.Count + lists.Count, script.Count);

        Assert.NotEmpty(defaults);
        AssertSame(defaults, $"packaging/default/{role}", uci, $"packaging/openwrt/{role}.config");
        AssertSame(defaults, $"packaging/default/{role}", script, $"packaging/openwrt/{role}.init");
        string binary = Path.Combine(Repository.Bin, role);
        if (File.Exists(binary))
        {
            AssertSame(OptionNames.ForServices(OptionNames.FromHelp(binary)), $"{role} --help", defaults, $"packaging/default/{role}");
            // Flags are the options --help shows without a value.
            string help = Shell.Check(binary, "--help");
            foreach (string flag in flags)
            {
                Assert.Matches(new Regex(@"\n\s+--" + Regex.Escape(flag) + @"\s{2,}"), help);
            }
        }
    }

    private static void AssertSame(SortedSet<string> expected, string expectedFrom, SortedSet<string> actual, string actualFrom)
    {
        string[] missing = expected.Except(actual).ToArray();
        string[] extra = actual.Except(expected).ToArray();
        Assert.True(missing.Length == 0 && extra.Length == 0,
            $"{actualFrom} lacks {string.Join(", ", missing.Select(o => "--" + o))} that {expectedFrom} has, " +
            $"and has {string.Join(", ", extra.Select(o => "--" + o))} that {expectedFrom} has not");
    }

    /// <summary>The procd script, run against a stand-in for procd and UCI, starts nothing while
    /// the section is disabled, and postern-aaaa with exactly the options set once enabled.</summary>
    [Fact]
    public void Aaaa_init_script_turns_uci_options_into_the_command_line()
    {
        if (!_build.Roles.Contains("postern-aaaa"))
        {
            throw new InvalidOperationException("postern-aaaa is not built");
        }
        string config = File.ReadAllText(InRoot("/etc/config/postern-aaaa"));
        Assert.Empty(Start("postern-aaaa", config).Instances);

        // Enabled as shipped: the shipped chain only.
        (List<string> instances, List<string> command, _) = Start("postern-aaaa", config.Replace("option enabled '0'", "option enabled '1'", StringComparison.Ordinal));
        Assert.Equal(new[] { "main" }, instances);
        Assert.Equal(new[] { "/usr/sbin/postern-aaaa", "--chain", "input" }, command);

        // Every option set, flags on, lists twice: every option reaches the command line, in a
        // form postern-aaaa itself accepts. Two flags exclude each other, so one config has each.
        using var scratch = new ScratchDirectory("uci");
        string except = scratch.Combine("except");
        File.WriteAllText(except, "example.net\n");
        string everything = Regex.Replace(config, @"^\t# (option|list) ", "\t$1 ", RegexOptions.Multiline)
            .Replace("option enabled '0'", "option enabled '1'", StringComparison.Ordinal)
            .Replace("'/etc/postern-aaaa.except'", "'" + except + "'", StringComparison.Ordinal)
            .Replace("\tlist chain 'input'\n", "\tlist chain 'input'\n\tlist chain 'forward'\n", StringComparison.Ordinal);
        (SortedSet<string> flags, _, _) = OptionNames.FromInitScript(InRoot("/etc/init.d/postern-aaaa"));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        List<string> parameters = new();
        string lastVariant = everything;
        foreach (string left in new[] { "no-notrack", "notrack-all" })
        {
            string variant = everything;
            foreach (string flag in flags.Where(f => f != left))
            {
                variant = variant.Replace($"option {flag.Replace('-', '_')} '0'", $"option {flag.Replace('-', '_')} '1'", StringComparison.Ordinal);
            }
            (_, command, parameters) = Start("postern-aaaa", variant);
            lastVariant = variant;
            seen.UnionWith(command);
            Assert.Equal(2, command.Count(w => w == "--chain"));
            Assert.DoesNotContain("--" + left, command);

            CommandResult dryRun = Shell.Run(Path.Combine(Repository.Bin, "postern-aaaa"), command.Skip(1).Append("--dry-run").ToArray());
            Assert.True(dryRun.Succeeded, dryRun.ToString());
            Assert.Contains("NFQUEUE", dryRun.Output, StringComparison.Ordinal);
            Assert.Contains("FORWARD", dryRun.Output, StringComparison.Ordinal);
        }
        foreach (string option in OptionNames.FromUci(InRoot("/etc/config/postern-aaaa")))
        {
            Assert.Contains("--" + option, seen);
        }
        Assert.Contains("respawn", parameters);

        // service_stopped runs --cleanup with the same options, as ExecStopPost does.
        string recorded = scratch.Combine("cleanup-args");
        string recorder = scratch.Combine("record");
        File.WriteAllText(recorder, "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + recorded + "\n");
        File.SetUnixFileMode(recorder, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        Run("postern-aaaa", lastVariant, "stopped", recorder).EnsureSuccess();
        Assert.Equal(command.Skip(1).Prepend("--cleanup"), File.ReadAllLines(recorded));
    }

    [Fact]
    public void Reflector_init_script_runs_it_unprivileged_with_the_options_set()
    {
        // Not in the tarball until postern-reflector is built: the files from packaging/openwrt.
        string config = File.ReadAllText(Path.Combine(PackageBuild.Packaging, "openwrt", "postern-reflector.config"));
        string enabled = config.Replace("option enabled '0'", "option enabled '1'", StringComparison.Ordinal)
            .Replace("\t# list listen 'udp:[::]:3478'\n", "\tlist listen 'udp:[::]:3478'\n", StringComparison.Ordinal)
            .Replace("\t# list listen 'udp:[::]:2727'\n", "\tlist listen 'udp:[::]:2727'\n", StringComparison.Ordinal)
            .Replace("\t# option strict_size '0'\n", "\toption strict_size '1'\n", StringComparison.Ordinal)
            .Replace("\t# option software 'postern'\n", "\toption software 'postern'\n", StringComparison.Ordinal);
        (List<string> instances, List<string> command, List<string> parameters) = Start("postern-reflector", enabled);
        Assert.Equal(new[] { "main" }, instances);
        Assert.Equal(
            new[] { "/usr/sbin/postern-reflector", "--strict-size", "--software", "postern", "--listen", "udp:[::]:3478", "--listen", "udp:[::]:2727" },
            command);
        int user = parameters.IndexOf("user");
        Assert.True(user >= 0, "no procd user parameter");
        Assert.Equal("nobody", parameters[user + 1]);
        Assert.Contains("no_new_privs", parameters);
    }

    /// <summary>Runs start_service with this UCI text; returns the instances, the command words
    /// and the other procd parameters (keys followed by their values).</summary>
    private (List<string> Instances, List<string> Command, List<string> Parameters) Start(string role, string uci)
    {
        CommandResult result = Run(role, uci, "start", null).EnsureSuccess();
        var instances = new List<string>();
        var command = new List<string>();
        var parameters = new List<string>();
        foreach (string line in result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            string kind = space < 0 ? line : line[..space];
            string rest = space < 0 ? "" : line[(space + 1)..];
            switch (kind)
            {
                case "instance": instances.Add(rest); break;
                case "word": command.Add(rest); break;
                case "param": case "value": parameters.Add(rest); break;
            }
        }
        return (instances, command, parameters);
    }

    private CommandResult Run(string role, string uci, string action, string? program)
    {
        using var config = new ScratchDirectory("uci-config");
        File.WriteAllText(config.Combine(role), uci);
        string stubs = AppContext.BaseDirectory;
        string script = InRoot("/etc/init.d/" + role);
        if (!File.Exists(script))
        {
            script = Path.Combine(PackageBuild.Packaging, "openwrt", role + ".init");
        }
        var arguments = new List<string> { "-c", $"STUB_DIR='{stubs}' CONFIG_DIR='{config.Path}' IPKG_INSTROOT='{_root.Path}' exec sh \"$0\" \"$@\"", Path.Combine(stubs, "run-init.sh"), script, action };
        if (program is not null)
        {
            arguments.Add(program);
        }
        CommandResult result = Shell.Run("/bin/sh", arguments);
        Assert.True(result.Succeeded, result.ToString());
        return result;
    }

    public void Dispose() => _root.Dispose();
}
