using Postern.Testing;

namespace Postern.Packaging.Integration.Tests;

/// <summary>The rpm and its debuginfo package as rpm sees them, and installed into a scratch root
/// (never into this machine's own rpm database).</summary>
[Collection(PackagingCollection.Name)]
public sealed class RpmPackageTests
{
    private readonly PackageBuild _build;

    public RpmPackageTests(PackageBuild build)
    {
        _build = build;
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string[] Query(params string[] arguments) => Lines(Shell.Check("rpm", arguments));

    [Fact]
    public void Header_names_the_version_and_architecture()
    {
        Assert.Equal(
            $"postern {_build.Version} 1 {_build.RpmArch}",
            Shell.Check("rpm", "-qp", "--qf", "%{NAME} %{VERSION} %{RELEASE} %{ARCH}", _build.Rpm).Trim());
        Assert.Equal(
            $"postern-debuginfo {_build.Version} 1 {_build.RpmArch}",
            Shell.Check("rpm", "-qp", "--qf", "%{NAME} %{VERSION} %{RELEASE} %{ARCH}", _build.DebugRpm).Trim());
    }

    /// <summary>SPDX in the License tag: Postern's GPL-2.0-or-later and the .NET runtime's MIT; the
    /// text itself as a %license file.</summary>
    [Fact]
    public void License_is_spdx_gpl_2_or_later_with_the_text()
    {
        Assert.Equal("GPL-2.0-or-later AND MIT", Shell.Check("rpm", "-qp", "--qf", "%{LICENSE}", _build.Rpm).Trim());
        Assert.Equal(new[] { "/usr/share/licenses/postern/LICENSE" }, Query("-qpL", _build.Rpm));
    }

    /// <summary>postern-punch's SHA-256 and HMAC go through .NET's OpenSSL binding, which loads
    /// libssl when first used: recommended, not required, as the daemons never load it.</summary>
    [Fact]
    public void Recommends_openssl_libs_for_postern_punch()
    {
        Assert.Equal(new[] { "openssl-libs" }, Query("-qp", "--recommends", _build.Rpm));
        Assert.DoesNotContain(Query("-qpR", _build.Rpm), r => r.Contains("ssl", StringComparison.Ordinal));
    }

    [Fact]
    public void Requires_name_libnetfilter_queue_libmnl_and_iptables()
    {
        string[] requires = Query("-qpR", _build.Rpm);
        Assert.Contains("iptables", requires);
        Assert.Contains("libnetfilter_queue", requires);
        Assert.Contains("libmnl", requires);
        // And what rpm found in the ELF files themselves.
        Assert.Contains("libnetfilter_queue.so.1()(64bit)", requires);
        Assert.Contains("libmnl.so.0()(64bit)", requires);
        Assert.Contains($"postern = {_build.Version}-1", Query("-qpR", _build.DebugRpm));
    }

    [Fact]
    public void Files_are_each_roles_binary_and_man_page_each_services_unit_and_sysconfig_and_debuginfo_the_symbols()
    {
        var expected = new SortedSet<string>(StringComparer.Ordinal) { "/usr/share/licenses/postern/LICENSE" };
        var expectedDebug = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string role in _build.Roles)
        {
            expected.Add("/usr/sbin/" + role);
            expected.Add($"/usr/share/man/man8/{role}.8.gz");
            string id = _build.BuildId(role);
            expectedDebug.Add($"/usr/lib/debug/.build-id/{id[..2]}/{id[2..]}.debug");
        }
        foreach (string role in _build.Services)
        {
            expected.Add($"/usr/lib/systemd/system/{role}.service");
            expected.Add("/etc/sysconfig/" + role);
        }
        Assert.NotEmpty(_build.Examples);
        foreach (string example in _build.Examples)
        {
            expected.Add("/usr/share/doc/postern/examples/" + example);
        }
        Assert.Equal(expected, new SortedSet<string>(Query("-qpl", _build.Rpm), StringComparer.Ordinal));
        Assert.Equal(expectedDebug, new SortedSet<string>(Query("-qpl", _build.DebugRpm), StringComparer.Ordinal));
        Assert.Equal(_build.Services.Select(r => "/etc/sysconfig/" + r).Order(StringComparer.Ordinal), Query("-qpc", _build.Rpm).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Scriptlets_are_valid_sh_and_do_not_start_services_on_install()
    {
        string scripts = Shell.Check("rpm", "-qp", "--scripts", _build.Rpm);
        Assert.Contains("postinstall scriptlet", scripts, StringComparison.Ordinal);
        Assert.DoesNotContain("enable --now", scripts, StringComparison.Ordinal);
        Assert.DoesNotContain("systemctl start", scripts, StringComparison.Ordinal);
        foreach (string role in _build.Services)
        {
            Assert.Contains(role + ".service", scripts, StringComparison.Ordinal);
        }
        foreach (string role in _build.Commands)
        {
            Assert.DoesNotContain(role, scripts, StringComparison.Ordinal);
        }
        foreach (string tag in new[] { "POSTIN", "PREUN", "POSTUN" })
        {
            string body = Shell.Check("rpm", "-qp", "--qf", "%{" + tag + "}", _build.Rpm);
            using var scratch = new ScratchDirectory("scriptlet");
            File.WriteAllText(scratch.Combine("script"), body);
            Assert.True(Shell.Run("sh", "-n", scratch.Combine("script")).Succeeded, tag + " is not valid sh:\n" + body);
        }
    }

    /// <summary>rpm -i --root into an empty directory, with just enough of a system (a /bin/sh and
    /// its libraries) for the scriptlets to run in the chroot as they would on a real system
    /// without a running systemd; then rpm -e, which must take every file back.</summary>
    [RootFact]
    public void Installs_into_a_scratch_root_and_erases_cleanly()
    {
        using var scratch = new ScratchDirectory("rpmroot");
        string root = scratch.Path;
        ProvideShell(root);
        var skeleton = new SortedSet<string>(Lines(Shell.Check("find", root)), StringComparer.Ordinal);

        CommandResult install = Shell.Run("rpm", new[] { "-i", "--root", root, "--nodeps", _build.Rpm, _build.DebugRpm }, TimeSpan.FromMinutes(5));
        Assert.True(install.Succeeded, install.ToString());
        Assert.False(install.Error.Contains("scriptlet failed", StringComparison.Ordinal), install.ToString());
        Assert.Equal(
            new[] { $"postern-{_build.Version}-1.{_build.RpmArch}", $"postern-debuginfo-{_build.Version}-1.{_build.RpmArch}" },
            Query("--root", root, "-qa").Order(StringComparer.Ordinal));
        // Every file as the package has it (the dependencies are not there: --nodeps).
        CommandResult verify = Shell.Run("rpm", "--root", root, "-V", "--nodeps", "postern");
        Assert.True(verify.Succeeded, verify.ToString());

        foreach (string role in _build.Roles)
        {
            string binary = Path.Combine(root, "usr", "sbin", role);
            Assert.Equal(_build.Version, Shell.Check(binary, "--version").Trim());
        }
        foreach (string role in _build.Services)
        {
            // The rpm flavour of the unit reads /etc/sysconfig, and the file there says so too.
            var unit = new UnitFile(Path.Combine(root, "usr", "lib", "systemd", "system", role + ".service"));
            Assert.Equal("-/etc/sysconfig/" + role, unit.Service("EnvironmentFile"));
            string sysconfig = File.ReadAllText(Path.Combine(root, "etc", "sysconfig", role));
            Assert.DoesNotContain("/etc/default/", sysconfig, StringComparison.Ordinal);
            Assert.Contains(PackageBuild.OptionsVariable(role) + "=", sysconfig, StringComparison.Ordinal);
        }

        CommandResult erase = Shell.Run("rpm", new[] { "-e", "--root", root, "--nodeps", "postern-debuginfo", "postern" }, TimeSpan.FromMinutes(5));
        Assert.True(erase.Succeeded, erase.ToString());
        Assert.False(erase.Error.Contains("scriptlet failed", StringComparison.Ordinal), erase.ToString());
        string[] left = Lines(Shell.Check("find", root, "-type", "f"))
            .Where(p => !skeleton.Contains(p) && !p.Contains("/rpm", StringComparison.Ordinal) && !p.Contains(".rpmdb", StringComparison.Ordinal))
            .ToArray();
        Assert.True(left.Length == 0, "left after rpm -e:\n" + string.Join('\n', left));
    }

    /// <summary>Copies /bin/sh and the libraries ldd names for it into the scratch root.</summary>
    private static void ProvideShell(string root)
    {
        string shell = Path.GetFullPath(new FileInfo("/bin/sh").ResolveLinkTarget(true)?.FullName ?? "/bin/sh");
        var files = new List<string> { shell };
        foreach (string line in Shell.Check("ldd", shell).Split('\n'))
        {
            string? path = line.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(w => w.StartsWith('/'));
            if (path is not null)
            {
                files.Add(path);
            }
        }
        foreach (string file in files)
        {
            string target = Path.Combine(root, file.TrimStart('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
            File.SetUnixFileMode(target, File.GetUnixFileMode(file));
        }
        Directory.CreateDirectory(Path.Combine(root, "bin"));
        if (!File.Exists(Path.Combine(root, "bin", "sh")))
        {
            File.CreateSymbolicLink(Path.Combine(root, "bin", "sh"), shell);
        }
    }
}
