using Postern.Testing;

namespace Postern.Packaging.Integration.Tests;

/// <summary>Installs the .deb on this machine with dpkg, as an admin would, and purges it again. The
/// machine is restored even when an assertion fails: the packages are purged in Dispose. Nothing
/// here starts a service or touches the firewall (the services are installed disabled and this
/// machine's systemd, if any, is not asked to start them).</summary>
[Collection(PackagingCollection.Name)]
public sealed class DebInstallTests : IDisposable
{
    private readonly PackageBuild _build;
    private bool _installedByTest;

    public DebInstallTests(PackageBuild build)
    {
        _build = build;
    }

    /// <summary>Whether dpkg knows the package in any state but "not installed" (config files
    /// left, half installed, ...).</summary>
    private static bool Installed(string package)
    {
        string status = Shell.Run("dpkg-query", "-W", "-f=${db:Status-Abbrev}", package).Output.Trim();
        return status.Length > 0 && !status.StartsWith("un", StringComparison.Ordinal);
    }

    private CommandResult Dpkg(params string[] arguments)
    {
        _installedByTest = true;
        return Shell.Run("dpkg", arguments, TimeSpan.FromMinutes(5));
    }

    [RootFact]
    public void Installs_runs_upgrades_removes_and_purges_leaving_nothing_behind()
    {
        Assert.False(Installed("postern"), "postern is already installed here; this test installs and purges it, so it needs a machine without it");
        FileSystemSnapshot before = FileSystemSnapshot.Take();

        CommandResult install = Dpkg("-i", _build.Deb, _build.DebugDeb);
        Assert.True(install.Succeeded, install.ToString());
        Assert.Equal("ii", Shell.Check("dpkg-query", "-W", "-f=${db:Status-Abbrev}", "postern").Trim());
        Assert.Equal("ii", Shell.Check("dpkg-query", "-W", "-f=${db:Status-Abbrev}", "postern-dbgsym").Trim());

        foreach (string role in _build.Roles)
        {
            // The installed binaries run, and find their shared libraries (libnetfilter_queue).
            Assert.Equal(_build.Version, Shell.Check("/usr/sbin/" + role, "--version").Trim());
            Assert.DoesNotContain("not found", Shell.Check("ldd", "/usr/sbin/" + role), StringComparison.Ordinal);
            Assert.True(File.Exists($"/usr/share/man/man8/{role}.8.gz"));
            string id = _build.BuildId(role);
            Assert.True(File.Exists($"/usr/lib/debug/.build-id/{id[..2]}/{id[2..]}.debug"));
        }
        foreach (string role in _build.Services)
        {
            // The unit as installed, with its binary and man page in place.
            CommandResult verify = Shell.Run("systemd-analyze", "verify", $"/lib/systemd/system/{role}.service");
            Assert.True(verify.Succeeded && verify.Error.Trim().Length == 0, verify.ToString());
            Assert.True(File.Exists("/etc/default/" + role));
            // Installed disabled: nothing enabled it.
            Assert.False(File.Exists($"/etc/systemd/system/multi-user.target.wants/{role}.service"), role + " was enabled by the install");
        }
        foreach (string role in _build.Commands)
        {
            Assert.False(File.Exists($"/lib/systemd/system/{role}.service"), role + " is a command but got a unit");
            Assert.False(File.Exists("/etc/default/" + role), role + " is a command but got a defaults file");
        }

        // An admin's change to a conffile survives an upgrade (here: the same version again,
        // which runs the maintainer scripts' upgrade paths).
        string defaults = "/etc/default/" + _build.Services[0];
        File.AppendAllText(defaults, "# changed by the test\n");
        CommandResult upgrade = Dpkg("--force-confold", "-i", _build.Deb, _build.DebugDeb);
        Assert.True(upgrade.Succeeded, upgrade.ToString());
        Assert.EndsWith("# changed by the test\n", File.ReadAllText(defaults), StringComparison.Ordinal);

        // Remove keeps the conffiles; purge takes them too.
        CommandResult remove = Dpkg("-r", "postern-dbgsym", "postern");
        Assert.True(remove.Succeeded, remove.ToString());
        Assert.True(File.Exists(defaults), "dpkg -r removed a conffile");
        foreach (string role in _build.Roles)
        {
            Assert.False(File.Exists("/usr/sbin/" + role));
        }
        CommandResult purge = Dpkg("-P", "postern-dbgsym", "postern");
        Assert.True(purge.Succeeded, purge.ToString());
        Assert.False(Installed("postern"));

        (IReadOnlyList<string> added, IReadOnlyList<string> removed) = before.Compare(FileSystemSnapshot.Take());
        Assert.True(added.Count == 0, "left behind by install and purge:\n" + string.Join('\n', added));
        Assert.True(removed.Count == 0, "gone after install and purge:\n" + string.Join('\n', removed));
    }

    public void Dispose()
    {
        if (_installedByTest)
        {
            Shell.Run("dpkg", new[] { "-P", "postern-dbgsym", "postern" }, TimeSpan.FromMinutes(5));
        }
    }
}
