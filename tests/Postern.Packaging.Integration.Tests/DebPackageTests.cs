using System.IO.Compression;
using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Packaging.Integration.Tests;

/// <summary>The .deb and its -dbgsym package as dpkg-deb and lintian see them, without installing.</summary>
[Collection(PackagingCollection.Name)]
public sealed class DebPackageTests
{
    private readonly PackageBuild _build;

    public DebPackageTests(PackageBuild build)
    {
        _build = build;
    }

    private string Field(string deb, string field) => Shell.Check("dpkg-deb", "-f", deb, field).Trim();

    /// <summary>dpkg-deb -c: "-rwxr-xr-x root/root 4879192 2026-11-21 06:35 ./usr/sbin/postern-aaaa".</summary>
    private static Dictionary<string, (string Mode, string Owner)> Contents(string deb)
    {
        var entries = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        foreach (string line in Shell.Check("dpkg-deb", "-c", deb).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string path = parts[5].TrimStart('.');
            entries[path.Length > 1 ? path.TrimEnd('/') : path] = (parts[0], parts[1]);
        }
        return entries;
    }

    [Fact]
    public void Control_archive_holds_the_maintainer_scripts_conffiles_and_checksums()
    {
        // dpkg-deb -I: " 1228 bytes,    28 lines   *  postinst             #!/bin/sh"
        string info = Shell.Check("dpkg-deb", "-I", _build.Deb);
        foreach (string member in new[] { "control", "md5sums", "conffiles" })
        {
            Assert.Matches(new Regex(@"\d+ lines\s+" + member + @"\s"), info);
        }
        foreach (string script in new[] { "postinst", "prerm", "postrm" })
        {
            Assert.Matches(new Regex(@"\d+ lines\s+\*\s+" + script + @"\s+#!/bin/sh"), info);
        }
        Assert.DoesNotMatch(new Regex(@"\s(preinst|config|templates|triggers)\s"), info);
        Assert.Contains(" Package: postern\n", info, StringComparison.Ordinal);
    }

    [Fact]
    public void Control_fields_name_the_version_architecture_and_runtime_dependencies()
    {
        Assert.Equal("postern", Field(_build.Deb, "Package"));
        Assert.Equal(_build.DebVersion, Field(_build.Deb, "Version"));
        Assert.Equal(_build.DebArch, Field(_build.Deb, "Architecture"));
        Assert.Equal("net", Field(_build.Deb, "Section"));

        // From dpkg-shlibdeps over the binaries, plus iptables, which they run.
        string[] depends = Field(_build.Deb, "Depends").Split(',').Select(d => d.Trim().Split(' ')[0]).ToArray();
        Assert.Contains("libc6", depends);
        Assert.Contains("libnetfilter-queue1", depends);
        Assert.Contains("libmnl0", depends);
        Assert.Contains("iptables", depends);
        // postern-punch's SHA-256 and HMAC load libssl through .NET's OpenSSL binding; the daemons
        // never do, so it is recommended, not a dependency.
        Assert.Equal("libssl3", Field(_build.Deb, "Recommends"));
        Assert.DoesNotContain(depends, d => d.StartsWith("libssl", StringComparison.Ordinal));

        int installedKb = int.Parse(Field(_build.Deb, "Installed-Size"), System.Globalization.CultureInfo.InvariantCulture);
        long binariesKb = _build.Roles.Sum(role => new FileInfo(Path.Combine(Repository.Bin, role)).Length) / 1024;
        Assert.InRange(installedKb, binariesKb, binariesKb + 1024);
    }

    [Fact]
    public void Package_carries_each_built_role_with_its_man_page_and_each_service_with_its_unit_and_defaults_file()
    {
        Dictionary<string, (string Mode, string Owner)> files = Contents(_build.Deb);
        Assert.NotEmpty(_build.Services);
        foreach (string role in _build.Roles)
        {
            Assert.Equal(("-rwxr-xr-x", "root/root"), files["/usr/sbin/" + role]);
            Assert.Equal(("-rw-r--r--", "root/root"), files[$"/usr/share/man/man8/{role}.8.gz"]);
        }
        foreach (string role in _build.Services)
        {
            Assert.Equal(("-rw-r--r--", "root/root"), files[$"/lib/systemd/system/{role}.service"]);
            Assert.Equal(("-rw-r--r--", "root/root"), files["/etc/default/" + role]);
        }
        // Exactly the services' units and defaults files, no command's.
        Assert.Equal(_build.Services.Select(r => $"/lib/systemd/system/{r}.service").Order(StringComparer.Ordinal),
            files.Keys.Where(p => p.StartsWith("/lib/systemd/system/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Equal(_build.Services.Select(r => "/etc/default/" + r).Order(StringComparer.Ordinal),
            files.Keys.Where(p => p.StartsWith("/etc/default/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Contains("/usr/share/doc/postern/copyright", files.Keys);
        Assert.Contains("/usr/share/doc/postern/changelog.Debian.gz", files.Keys);
        Assert.Contains("postern-dnsguard.bogus", _build.Examples); // the list below is not empty
        Assert.Equal(_build.Examples.Select(e => "/usr/share/doc/postern/examples/" + e).Order(StringComparer.Ordinal),
            files.Keys.Where(p => p.StartsWith("/usr/share/doc/postern/examples/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        foreach (string example in _build.Examples)
        {
            Assert.Equal(("-rw-r--r--", "root/root"), files["/usr/share/doc/postern/examples/" + example]);
        }

        // Nothing but the roles in /usr/sbin, no debug files, and only the expected places.
        Assert.Equal(_build.Roles.Select(r => "/usr/sbin/" + r).Order(StringComparer.Ordinal),
            files.Keys.Where(p => p.StartsWith("/usr/sbin/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(files.Keys, p => p.EndsWith(".dbg", StringComparison.Ordinal) || p.Contains("/debug/", StringComparison.Ordinal));
        string[] allowed = { "/etc/default", "/lib/systemd/system", "/usr/sbin", "/usr/share/man/man8", "/usr/share/doc/postern", "/usr/share/lintian/overrides" };
        foreach (string path in files.Keys.Where(p => files[p].Mode[0] != 'd'))
        {
            Assert.True(allowed.Any(a => path.StartsWith(a + "/", StringComparison.Ordinal)), $"unexpected file {path} in the .deb");
        }
    }

    [Fact]
    public void Defaults_files_are_conffiles_and_maintainer_scripts_name_every_unit()
    {
        using var scratch = new ScratchDirectory("deb-control");
        Shell.Check("dpkg-deb", "-e", _build.Deb, scratch.Path);
        string[] conffiles = File.ReadAllLines(scratch.Combine("conffiles"));
        Assert.Equal(_build.Services.Select(r => "/etc/default/" + r).Order(StringComparer.Ordinal), conffiles.Order(StringComparer.Ordinal));

        foreach (string script in new[] { "postinst", "prerm", "postrm" })
        {
            string text = File.ReadAllText(scratch.Combine(script));
            Assert.DoesNotContain("@UNITS@", text, StringComparison.Ordinal);
            foreach (string role in _build.Services)
            {
                Assert.Contains(role + ".service", text, StringComparison.Ordinal);
            }
            foreach (string role in _build.Commands)
            {
                Assert.DoesNotContain(role, text, StringComparison.Ordinal);
            }
            Assert.True(Shell.Run("sh", "-n", scratch.Combine(script)).Succeeded, script + " is not valid sh");
        }
        // Installed disabled and not started; only an upgrade restarts what runs.
        string postinst = File.ReadAllText(scratch.Combine("postinst"));
        Assert.DoesNotContain("deb-systemd-invoke start", postinst, StringComparison.Ordinal);
        Assert.Contains("try-restart", postinst, StringComparison.Ordinal);
        Assert.Contains("[ -d /run/systemd/system ]", postinst, StringComparison.Ordinal);
    }

    [Fact]
    public void Debug_package_holds_each_roles_symbols_under_its_build_id()
    {
        Assert.Equal("postern-dbgsym", Field(_build.DebugDeb, "Package"));
        Assert.Equal("debug", Field(_build.DebugDeb, "Section"));
        Assert.Equal($"postern (= {_build.DebVersion})", Field(_build.DebugDeb, "Depends"));
        Dictionary<string, (string Mode, string Owner)> files = Contents(_build.DebugDeb);
        var ids = new List<string>();
        foreach (string role in _build.Roles)
        {
            string id = _build.BuildId(role);
            ids.Add(id);
            Assert.Contains($"/usr/lib/debug/.build-id/{id[..2]}/{id[2..]}.debug", files.Keys);
        }
        Assert.Equal(ids.Order(StringComparer.Ordinal), Field(_build.DebugDeb, "Build-Ids").Split(' ').Order(StringComparer.Ordinal));

        // The .debug file is the symbols of exactly that binary.
        using var scratch = new ScratchDirectory("dbgsym");
        Shell.Check("dpkg-deb", "-x", _build.DebugDeb, scratch.Path);
        foreach (string role in _build.Roles)
        {
            string id = _build.BuildId(role);
            string debug = scratch.Combine("usr", "lib", "debug", ".build-id", id[..2], id[2..] + ".debug");
            Assert.Contains(id, Shell.Check("readelf", "-n", debug), StringComparison.Ordinal);
            Assert.Contains(".debug_info", Shell.Check("readelf", "-S", "-W", debug), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Man_pages_document_every_option_of_the_binarys_help()
    {
        using var scratch = new ScratchDirectory("man");
        Shell.Check("dpkg-deb", "-x", _build.Deb, scratch.Path);
        foreach (string role in _build.Roles)
        {
            string gz = scratch.Combine("usr", "share", "man", "man8", role + ".8.gz");
            byte[] bytes = File.ReadAllBytes(gz);
            // gzip -n: no file name flag and no time stamp, so rebuilds are identical.
            Assert.Equal(0, bytes[3] & 0x08);
            Assert.Equal(new byte[4], bytes[4..8]);
            using var reader = new StreamReader(new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress));
            string roff = reader.ReadToEnd();
            Assert.Contains($".TH {role.ToUpperInvariant()} \"8\"", roff, StringComparison.Ordinal);
            Assert.Contains(_build.Version, roff, StringComparison.Ordinal);
            // The options of the role's --help and of each of its commands' (postern-punch connect).
            string binary = Path.Combine(Repository.Bin, role);
            foreach (string option in OptionNames.Subcommands(binary).SelectMany(c => OptionNames.FromHelp(binary, c)).Concat(OptionNames.FromHelp(binary)))
            {
                Assert.Contains(OptionNames.InRoff(option), roff, StringComparison.Ordinal);
            }
            // man itself can render it, without warnings.
            CommandResult rendered = Shell.Run("man", "--warnings", "-l", gz);
            Assert.True(rendered.Succeeded, rendered.ToString());
            Assert.Contains("OPTIONS", rendered.Output, StringComparison.Ordinal);
            Assert.Equal("", rendered.Error.Trim());
        }
    }

    /// <summary>debian/copyright in the machine-readable format (DEP-5): Postern under
    /// GPL-2.0-or-later (Debian's short name GPL-2.0+), its stand-alone License paragraph pointing at
    /// the text in common-licenses, and every licence a Files paragraph names defined once.</summary>
    [Fact]
    public void Copyright_is_machine_readable_and_says_gpl_2_or_later()
    {
        string copyright = Shell.Sh($"dpkg-deb --fsys-tarfile '{_build.Deb}' | tar -xOf - ./usr/share/doc/postern/copyright").EnsureSuccess().Output;
        string[] paragraphs = copyright.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n", paragraphs[0], StringComparison.Ordinal);
        string? FieldOf(string paragraph, string name) => paragraph.Split('\n')
            .FirstOrDefault(l => l.StartsWith(name + ": ", StringComparison.Ordinal))?[(name.Length + 2)..].Trim();

        string[] files = paragraphs.Where(p => FieldOf(p, "Files") is not null).ToArray();
        Assert.Equal("GPL-2.0+", FieldOf(files.Single(p => FieldOf(p, "Files") == "*"), "License"));
        Dictionary<string, string> standalone = paragraphs.Where(p => p.StartsWith("License: ", StringComparison.Ordinal))
            .ToDictionary(p => FieldOf(p, "License")!, p => p, StringComparer.Ordinal);
        foreach (string name in files.SelectMany(p => FieldOf(p, "License")!.Split(" and ")))
        {
            Assert.True(standalone.ContainsKey(name), $"no stand-alone License paragraph for {name}");
        }
        Assert.Contains("either\n version 2 of the License, or (at your option) any later version.", standalone["GPL-2.0+"], StringComparison.Ordinal);
        Assert.Contains("\"/usr/share/common-licenses/GPL-2\"", standalone["GPL-2.0+"], StringComparison.Ordinal);
        Assert.DoesNotContain("proprietary", copyright, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Lintian_reports_no_error_or_warning_and_every_override_has_a_reason()
    {
        CommandResult lintian = Shell.Run("lintian", new[] { "--fail-on", "error,warning", "--display-info", "--pedantic", _build.Deb, _build.DebugDeb }, TimeSpan.FromMinutes(5));
        string[] tags = lintian.Output.Split('\n').Where(l => Regex.IsMatch(l, "^[EWX]: ")).ToArray();
        Assert.True(tags.Length == 0, "lintian:\n" + string.Join('\n', tags));
        Assert.True(lintian.Succeeded, lintian.ToString());

        string[] overrides = File.ReadAllLines(Path.Combine(PackageBuild.Packaging, "debian", "postern.lintian-overrides"));
        for (int i = 0; i < overrides.Length; i++)
        {
            if (overrides[i].StartsWith("postern", StringComparison.Ordinal))
            {
                Assert.True(i > 0 && overrides[i - 1].StartsWith('#'), $"lintian override without a reason above it: {overrides[i]}");
            }
        }
    }

    [Fact]
    public void Rebuilding_gives_byte_identical_packages()
    {
        string before = Shell.Check("sha256sum", _build.Deb, _build.DebugDeb);
        Shell.Run("make", new[] { "-C", Repository.Root, "--no-print-directory", "deb" }, TimeSpan.FromMinutes(10)).EnsureSuccess();
        Assert.Equal(before, Shell.Check("sha256sum", _build.Deb, _build.DebugDeb));
    }
}
