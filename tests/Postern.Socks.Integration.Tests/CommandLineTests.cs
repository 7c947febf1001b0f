using Postern.Testing;

namespace Postern.Socks.Integration.Tests;

/// <summary>A bad flag or config is one sentence and exit 2, before anything is bound.</summary>
public class CommandLineTests
{
    [BuiltBinaryTheory("postern-socks")]
    [InlineData("--allow", "203.0.113.0/33", "--allow: '203.0.113.0/33' is not an address prefix")]
    [InlineData("--listen", "203.0.113.20", "--listen: ")]
    [InlineData("--public-address", "1.2.3", "--public-address: '1.2.3' is not an IPv4 or IPv6 address")]
    [InlineData("--users", "/nonexistent/socks-users", "--users /nonexistent/socks-users: ")]
    [InlineData("--idle-timeout", "0", "--idle-timeout must be between 1 and 86400 seconds")]
    [InlineData("--max-datagram", "10", "--max-datagram must be between 64 and 65507 bytes")]
    [InlineData("--max-associations", "0", "--max-connections, --max-associations and --max-user-associations must be at least 1")]
    public void Bad_options_are_one_sentence_and_exit_2(string flag, string value, string expected)
    {
        CommandResult result = Shell.Run(Socks.Binary, new[] { flag, value, "--listen", "127.0.0.1:0" }, TimeSpan.FromSeconds(20));
        Assert.Equal(2, result.ExitCode);
        string[] lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain("ready", result.Output + result.Error);
    }

    [BuiltBinaryTheory("postern-socks")]
    [InlineData("garbage\n")]
    [InlineData("alice:1\nalice:2\n")]
    public void A_bad_users_file_is_one_sentence_naming_the_line_and_exit_2(string text)
    {
        using var scratch = new ScratchDirectory("socks-users");
        File.WriteAllText(scratch.Combine("users"), text);
        CommandResult result = Shell.Run(Socks.Binary, new[] { "--users", scratch.Combine("users"), "--listen", "127.0.0.1:0" }, TimeSpan.FromSeconds(20));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("line ", result.Error);
        Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
