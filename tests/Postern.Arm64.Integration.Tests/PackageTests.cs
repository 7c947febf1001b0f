using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Arm64.Integration.Tests;

/// <summary>The arm64 .deb, .rpm and OpenWrt tarball as dpkg-deb, rpm, lintian and tar see them:
/// the architecture fields, aarch64 ELF files in them, the dependencies dpkg-shlibdeps and rpm
/// found in those files, and the same licence metadata as on x64.</summary>
[Collection(Arm64Collection.Name)]
public sealed class PackageTests
{
    private readonly Arm64Build _build;

    public PackageTests(Arm64Build build)
    {
        _build = build;
    }

    private static string Field(string deb, string field) => Shell.Check("dpkg-deb", "-f", deb, field).Trim();

    /// <summary>Unpacks an archive into a scratch directory with a shell pipeline, and returns the
    /// regular files in it, relative to the root ("/usr/sbin/postern-aaaa").</summary>
    private static string[] Unpack(ScratchDirectory scratch, string command)
    {
        Shell.Sh($"cd '{scratch.Path}' && {command}", TimeSpan.FromMinutes(2)).EnsureSuccess();
        return Directory.GetFiles(scratch.Path, "*", SearchOption.AllDirectories)
            .Select(path => "/" + Path.GetRelativePath(scratch.Path, path))
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    private void AssertBinariesAreTheBuiltAarch64Ones(ScratchDirectory root, IEnumerable<string> files)
    {
        string[] sbin = files.Where(f => f.StartsWith("/usr/sbin/", StringComparison.Ordinal)).ToArray();
        Assert.Equal(_build.Roles.Select(r => "/usr/sbin/" + r), sbin);
        foreach (string role in _build.Roles)
        {
            string path = root.Combine("usr", "sbin", role);
            Assert.True(ElfHeader.TryRead(path) is { IsAarch64: true }, $"{role} in the package is not an aarch64 ELF file");
            Assert.Equal(File.ReadAllBytes(_build.Binary(role)), File.ReadAllBytes(path));
        }
        // Every ELF file anywhere in the package is for aarch64, none for the build machine.
        foreach (string file in files)
        {
            ElfHeader? header = ElfHeader.TryRead(root.Combine(file.TrimStart('/')));
            Assert.True(header is null or { IsAarch64: true }, $"{file} is an ELF file for machine {header?.Machine}");
        }
    }

    [Arm64Fact]
    public void Deb_is_architecture_arm64_with_aarch64_binaries_and_their_library_dependencies()
    {
        Assert.Equal("postern", Field(_build.Deb, "Package"));
        Assert.Equal(_build.DebVersion, Field(_build.Deb, "Version"));
        Assert.Equal("arm64", Field(_build.Deb, "Architecture"));
        Assert.Equal("arm64", Field(_build.DebugDeb, "Architecture"));
        // dpkg-shlibdeps read the aarch64 ELF files against the :arm64 libraries.
        string[] depends = Field(_build.Deb, "Depends").Split(',').Select(d => d.Trim().Split(' ')[0]).ToArray();
        Assert.Equal(new[] { "iptables", "libc6", "libmnl0", "libnetfilter-queue1" }, depends.Order(StringComparer.Ordinal));
        Assert.Contains("libc6 (>= 2.34)", Field(_build.Deb, "Depends"), StringComparison.Ordinal);
        // postern-punch's SHA-256 and HMAC load libssl through .NET's OpenSSL binding, at first use.
        Assert.Equal("libssl3", Field(_build.Deb, "Recommends"));

        using var root = new ScratchDirectory("deb");
        string[] files = Unpack(root, $"dpkg-deb -x '{_build.Deb}' .");
        AssertBinariesAreTheBuiltAarch64Ones(root, files);
        // Units for the services only: a command (packaging/commands) has none.
        Assert.Equal(_build.Services.Select(r => $"/lib/systemd/system/{r}.service"),
            files.Where(f => f.StartsWith("/lib/systemd/system/", StringComparison.Ordinal)));
        Assert.Equal(File.ReadAllBytes(Path.Combine(Repository.Root, "packaging", "debian", "copyright")),
            File.ReadAllBytes(root.Combine("usr", "share", "doc", "postern", "copyright")));

        using var debug = new ScratchDirectory("dbgsym");
        string[] symbols = Unpack(debug, $"dpkg-deb -x '{_build.DebugDeb}' .");
        Assert.Equal(_build.Roles.Count, symbols.Count(f => f.StartsWith("/usr/lib/debug/.build-id/", StringComparison.Ordinal)));
        Assert.All(symbols.Where(f => f.EndsWith(".debug", StringComparison.Ordinal)),
            f => Assert.True(ElfHeader.TryRead(debug.Combine(f.TrimStart('/'))) is { IsAarch64: true }, f));
    }

    [Arm64Fact]
    public void Lintian_reports_no_error_or_warning_for_the_arm64_packages()
    {
        CommandResult lintian = Shell.Run("lintian", new[] { "--fail-on", "error,warning", "--display-info", "--pedantic", _build.Deb, _build.DebugDeb }, TimeSpan.FromMinutes(5));
        string[] tags = lintian.Output.Split('\n').Where(l => Regex.IsMatch(l, "^[EWX]: ")).ToArray();
        Assert.True(tags.Length == 0, "lintian:\n" + string.Join('\n', tags));
        Assert.True(lintian.Succeeded, lintian.ToString());
    }

    [Arm64Fact]
    public void Rpm_is_aarch64_with_aarch64_binaries_and_the_licence()
    {
        Assert.Equal($"postern {_build.Version} 1 aarch64 GPL-2.0-or-later AND MIT",
            Shell.Check("rpm", "-qp", "--qf", "%{NAME} %{VERSION} %{RELEASE} %{ARCH} %{LICENSE}", _build.Rpm).Trim());
        Assert.Equal("aarch64", Shell.Check("rpm", "-qp", "--qf", "%{ARCH}", _build.DebugRpm).Trim());
        // What rpm found in the ELF files: the aarch64 loader and the libraries, 64-bit.
        string[] requires = Shell.Check("rpm", "-qpR", _build.Rpm).Split('\n', StringSplitOptions.TrimEntries);
        Assert.Contains("ld-linux-aarch64.so.1()(64bit)", requires);
        Assert.Contains("libnetfilter_queue.so.1()(64bit)", requires);
        Assert.Contains("libmnl.so.0()(64bit)", requires);
        Assert.DoesNotContain(requires, r => r.Contains("x86-64", StringComparison.Ordinal));
        Assert.Equal("openssl-libs", Shell.Check("rpm", "-qp", "--recommends", _build.Rpm).Trim());

        using var root = new ScratchDirectory("rpm");
        string[] files = Unpack(root, $"rpm2archive - < '{_build.Rpm}' | tar -xzf -");
        AssertBinariesAreTheBuiltAarch64Ones(root, files);
        Assert.Contains("/usr/share/licenses/postern/LICENSE", files);
        Assert.Equal(_build.Services.Select(r => $"/usr/lib/systemd/system/{r}.service"),
            files.Where(f => f.StartsWith("/usr/lib/systemd/system/", StringComparison.Ordinal)));
    }

    [Arm64Fact]
    public void OpenWrt_tarball_is_aarch64_in_its_name_metadata_and_binaries()
    {
        using var root = new ScratchDirectory("openwrt");
        string[] files = Unpack(root, $"tar -xzf '{_build.OpenWrt}'");
        AssertBinariesAreTheBuiltAarch64Ones(root, files);
        Dictionary<string, string> control = File.ReadAllLines(root.Combine("usr", "share", "postern", "control"))
            .Select(line => line.Split(':', 2))
            .ToDictionary(parts => parts[0], parts => parts[1].Trim());
        Assert.Equal(_build.DebVersion, control["Version"]);
        Assert.Equal("aarch64_generic", control["Architecture"]);
        Assert.Equal("GPL-2.0-or-later AND MIT", control["License"]);
        // Init scripts and UCI configs for the services, none for a command.
        Assert.Equal(_build.Services.Select(r => "/etc/init.d/" + r), files.Where(f => f.StartsWith("/etc/init.d/", StringComparison.Ordinal)));
        Assert.Equal(_build.Services.Select(r => "/etc/config/" + r), files.Where(f => f.StartsWith("/etc/config/", StringComparison.Ordinal)));
    }
}
