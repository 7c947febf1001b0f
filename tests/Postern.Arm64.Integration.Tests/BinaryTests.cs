using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Arm64.Integration.Tests;

/// <summary>Each cross-built binary is an aarch64 ELF file for glibc that starts and answers
/// under qemu-user. (The queue path is not among them: qemu-user cannot open NETLINK_NETFILTER
/// sockets, errno 93, so it is tested on x64 only.)</summary>
[Collection(Arm64Collection.Name)]
public sealed class BinaryTests
{
    private readonly Arm64Build _build;

    public BinaryTests(Arm64Build build)
    {
        _build = build;
    }

    public static TheoryData<string> Roles()
    {
        var data = new TheoryData<string>();
        foreach (string role in Arm64Build.SourceRoles())
        {
            data.Add(role);
        }
        return data;
    }

    [Arm64Theory]
    [MemberData(nameof(Roles))]
    public void Binary_is_an_aarch64_executable_for_glibc_with_its_symbols_beside_it(string role)
    {
        string binary = _build.Binary(role);
        ElfHeader? header = ElfHeader.TryRead(binary);
        Assert.True(header is { IsAarch64: true }, $"{binary} is not a 64-bit little-endian aarch64 ELF file: {header}");
        // The glibc dynamic loader of aarch64, as a router's Debian or glibc OpenWrt has it.
        string program = Shell.Check("aarch64-linux-gnu-readelf", "-l", binary);
        Assert.Contains("[Requesting program interpreter: /lib/ld-linux-aarch64.so.1]", program, StringComparison.Ordinal);
        Assert.True(ElfHeader.TryRead(binary + ".dbg") is { IsAarch64: true }, $"{role}.dbg is missing or not aarch64");
        Assert.InRange(new FileInfo(binary).Length, 1, 5 * 1024 * 1024);
    }

    [Arm64Theory]
    [MemberData(nameof(Roles))]
    public void Binary_prints_its_version_and_help_under_qemu(string role)
    {
        string binary = _build.Binary(role);
        CommandResult version = Arm64Tools.Run(binary, "--version");
        Assert.True(version.Succeeded, version.ToString());
        Assert.Equal(_build.Version, version.Output.Trim());

        CommandResult help = Arm64Tools.Run(binary, "--help");
        Assert.True(help.Succeeded, help.ToString());
        Assert.Contains("Usage:", help.Output, StringComparison.Ordinal);
        // A role with commands (postern-punch connect|manual|nat-type|register) says so in its usage.
        Assert.Matches(new Regex("\n  " + Regex.Escape(role) + @"( \[command\])? \[options\]\n"), help.Output);
        Assert.Contains("--version", help.Output, StringComparison.Ordinal);

        // The same help as the x64 build of the same sources, when it is there: one program, two CPUs.
        string x64 = Path.Combine(Repository.BinFor(Repository.X64), role);
        if (Repository.HostRid == Repository.X64 && File.Exists(x64))
        {
            Assert.Equal(Shell.Check(x64, "--help"), help.Output);
        }
    }

    public static TheoryData<string> Commands()
    {
        var data = new TheoryData<string>();
        foreach (string role in Arm64Build.SourceRoles().Where(RoleKinds.IsCommand))
        {
            data.Add(role);
        }
        return data;
    }

    /// <summary>Each subcommand's --help under qemu, as help2man reads it for the man page. Only
    /// help: running postern-punch for real would load libssl3:arm64, which is not installed
    /// here (its help and version do not load OpenSSL).</summary>
    [Arm64Theory]
    [MemberData(nameof(Commands))]
    public void Command_prints_each_subcommands_help_under_qemu(string role)
    {
        string binary = _build.Binary(role);
        CommandResult help = Arm64Tools.Run(binary, "--help");
        Assert.True(help.Succeeded, help.ToString());
        Match commands = Regex.Match(help.Output, @"^Commands:\n((?:  .*\n?)+)", RegexOptions.Multiline);
        Assert.True(commands.Success, $"{role} --help lists no commands:\n{help.Output}");
        string[] names = Regex.Matches(commands.Groups[1].Value, @"^  ([a-z][a-z0-9-]*)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToArray();
        Assert.NotEmpty(names);
        string x64 = Path.Combine(Repository.BinFor(Repository.X64), role);
        foreach (string name in names)
        {
            CommandResult commandHelp = Arm64Tools.Run(binary, name, "--help");
            Assert.True(commandHelp.Succeeded, commandHelp.ToString());
            Assert.Contains($"{role} {name} [options]", commandHelp.Output, StringComparison.Ordinal);
            if (Repository.HostRid == Repository.X64 && File.Exists(x64))
            {
                Assert.Equal(Shell.Check(x64, name, "--help"), commandHelp.Output);
            }
        }
    }

    [Arm64Fact]
    public void Aaaa_dry_run_prints_its_rules_under_qemu()
    {
        CommandResult dryRun = Arm64Tools.Run(_build.Binary("postern-aaaa"), "--dry-run", "--chain", "input", "--chain", "forward", "--qtype", "HTTPS");
        Assert.True(dryRun.Succeeded, dryRun.ToString());
        string[] rules = dryRun.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (string tool in new[] { "iptables", "ip6tables" })
        {
            foreach (string chain in new[] { "INPUT", "FORWARD" })
            {
                Assert.Contains(rules, rule => rule.StartsWith(tool + " ", StringComparison.Ordinal)
                    && rule.Contains($" -t filter -I {chain} ", StringComparison.Ordinal)
                    && rule.Contains("-j NFQUEUE --queue-num 53 --queue-bypass", StringComparison.Ordinal));
            }
            Assert.Contains(rules, rule => rule.StartsWith(tool + " ", StringComparison.Ordinal)
                && rule.Contains(" -t raw ", StringComparison.Ordinal) && rule.Contains("--notrack", StringComparison.Ordinal));
        }
        Assert.All(rules, rule => Assert.Contains("postern-aaaa:q53", rule, StringComparison.Ordinal));
    }
}
