using System.Diagnostics;

namespace Postern.Netfilter.Tests;

/// <summary>Finding the programs of one iptables variant, running them, and rendering commands a
/// person can paste into a shell.</summary>
[Collection(FakeIptablesCollection.Name)]
public class IptablesTests
{
    [Theory]
    [InlineData("iptables", "ip6tables")]
    [InlineData("iptables-legacy", "ip6tables-legacy")]
    [InlineData("iptables-nft", "ip6tables-nft")]
    [InlineData("/usr/sbin/iptables-nft", "/usr/sbin/ip6tables-nft")]
    [InlineData("/opt/iptables/sbin/iptables", "/opt/iptables/sbin/ip6tables")]
    public void Ipv6Program_IsTheIpv4NameWithIp6tables(string ipv4, string ipv6)
    {
        var iptables = new Iptables(ipv4);

        Assert.Equal(ipv4, iptables.Ipv4Program);
        Assert.Equal(ipv6, iptables.Ipv6Program);
        Assert.Equal(ipv4, iptables.Program(IpFamily.Ipv4));
        Assert.Equal(ipv6, iptables.Program(IpFamily.Ipv6));
    }

    [Fact]
    public void Render_LeavesPlainArgumentsBare()
    {
        string[] arguments = ["-w", "-t", "raw", "-I", "OUTPUT", "1", "-m", "mark", "!", "--mark", "0x5053", "-j", "CT", "--notrack",
            "--queue-balance", "53:56", "-s", "192.0.2.0/24", "--comment", "postern-aaaa:q53"];

        Assert.Equal("iptables " + string.Join(' ', arguments), Iptables.Render("iptables", arguments));
    }

    [Theory]
    [InlineData("|00001c0001|", "'|00001c0001|'")]
    [InlineData("two words", "'two words'")]
    [InlineData("", "''")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("say \"hi\"", "'say \"hi\"'")]
    [InlineData("$HOME", "'$HOME'")]
    [InlineData("a;rm -rf /", "'a;rm -rf /'")]
    [InlineData("back\\slash", "'back\\slash'")]
    [InlineData("*", "'*'")]
    public void Render_QuotesWhatTheShellWouldChange(string argument, string rendered) =>
        Assert.Equal("iptables -A " + rendered, Iptables.Render("iptables", ["-A", argument]));

    [Fact]
    public void Render_IsReadBackByTheShellAsTheSameArguments()
    {
        string[] arguments = ["--comment", "an admin's \"rule\" $HOME `id` \\ | ; & * ?", "", "|0000410001|", "!", "plain"];
        string command = Iptables.Render("printf '%s\\n'", arguments);

        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(command);
        using Process process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();

        Assert.Equal(0, process.ExitCode);
        Assert.Equal(arguments, output.Split('\n')[..^1]);
    }

    [Fact]
    public void Resolve_FindsAProgramOnPath_AndRefusesMissingOnes()
    {
        string? sh = Iptables.Resolve("sh");

        Assert.NotNull(sh);
        Assert.True(Path.IsPathRooted(sh));
        Assert.True(File.Exists(sh));
        Assert.Null(Iptables.Resolve("postern-no-such-program"));
        Assert.Equal("/bin/sh", Iptables.Resolve("/bin/sh"));
        Assert.Null(Iptables.Resolve("/postern/no/such/iptables"));
    }

    [Fact]
    public void Run_MissingProgram_Is127WithAReason()
    {
        var iptables = new Iptables("/postern/no/such/iptables");

        IptablesResult result = iptables.Run(IpFamily.Ipv6, ["-S"]);

        Assert.False(result.Succeeded);
        Assert.Equal(127, result.ExitCode);
        Assert.StartsWith("cannot run /postern/no/such/ip6tables", result.Error);
    }

    [Fact]
    public void Run_PassesArgumentsUnsplit_AndReturnsOutputAndError()
    {
        using var fake = new FakeIptables();

        IptablesResult inserted = fake.Iptables.Run(IpFamily.Ipv4,
            ["-w", "-t", "filter", "-I", "INPUT", "1", "-j", "ACCEPT", "-m", "comment", "--comment", "two words"]);
        IptablesResult listed = fake.Iptables.Run(IpFamily.Ipv4, ["-w", "-t", "filter", "-S", "INPUT"]);
        IptablesResult missing = fake.Iptables.Run(IpFamily.Ipv4, ["-w", "-t", "filter", "-D", "INPUT", "-j", "DROP"]);

        Assert.True(inserted.Succeeded);
        Assert.Equal(["-w", "-t", "filter", "-I", "INPUT", "1", "-j", "ACCEPT", "-m", "comment", "--comment", "two words"],
            fake.Calls(IpFamily.Ipv4)[0]);
        Assert.Equal("-P INPUT ACCEPT\n-A INPUT -j ACCEPT -m comment --comment \"two words\"\n", listed.Output);
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("iptables: Bad rule (does a matching rule exist in that chain?).", missing.Error);
        Assert.Empty(fake.Calls(IpFamily.Ipv6));
    }
}
