using Postern.Testing;
using Xunit;

namespace Postern.Map.Integration.Tests;

/// <summary>A bad flag is one sentence and exit 2, before anything is bound or sent.</summary>
public sealed class CommandLineTests
{
    [BuiltBinaryTheory(Map.Binary)]
    [InlineData("--udp --tcp --bind 40000 --server 203.0.113.10", "--udp and --tcp: give one of them")]
    [InlineData("--bind 40000 --server 203.0.113.10", "--udp or --tcp is required")]
    [InlineData("--udp --server 203.0.113.10", "--bind: the port to keep open is required")]
    [InlineData("--udp --bind 0 --server 203.0.113.10", "--bind: port 0 is out of range")]
    [InlineData("--udp --bind 203.0.113.5 --server 203.0.113.10", "--bind: ")]
    [InlineData("--udp --bind 40000 --gateway-protocols none", "--server: at least one STUN server is needed")]
    [InlineData("--udp --bind 40000 --server 203.0.113.10 --lease 1", "--lease: 1 is out of range (2 to 86400 seconds)")]
    [InlineData("--udp --bind 40000 --server 203.0.113.10 --gateway 2001:db8::1", "--gateway: '2001:db8::1' is not an IPv4 address")]
    [InlineData("--udp --bind 40000 --server 203.0.113.10 --gateway 0.0.0.0", "--gateway: 0.0.0.0 is not a unicast IPv4 address")]
    [InlineData("--udp --bind 40000 --server 203.0.113.10 --gateway-protocols upnp", "--gateway-protocols: 'upnp' is not pcp, natpmp or none (UPnP IGD is asked with --upnp)")]
    [InlineData("--udp --bind 127.0.0.1:40000 --server 203.0.113.10 --upnp", "--upnp: no gateway maps a loopback --bind")]
    [InlineData("--udp --bind [::1]:40000 --server 203.0.113.10 --upnp", "--upnp: an IGD maps IPv4 ports, and --bind is IPv6")]
    [InlineData("--udp --bind 40000 --server 203.0.113.10 --gateway-protocols pcp,pcp", "--gateway-protocols: 'pcp' is named twice")]
    [InlineData("--udp --bind 40000 --server 2001:db8::1", "--server: '2001:db8::1': put an IPv6 address in brackets")]
    [InlineData("--udp --bind 40000 --server 203.0.113.10:0", "--server: '0' is not a port")]
    [InlineData("--udp --bind 40000 --server 203.0.113.10 --keepalive 0", "--keepalive: 0 is out of range (1 to 3600 seconds)")]
    [InlineData("--udp --bind 40000 --server 203.0.113.10 --check 0", "--check: 0 is out of range")]
    [InlineData("--udp --bind 40000 --server 203.0.113.10 --hook-timeout 0", "--hook-timeout: 0 is out of range")]
    [InlineData("--udp --bind 40000 --server 203.0.113.10 --stun-timeout 0", "--stun-timeout: 0 is out of range")]
    [InlineData("--udp --bind 40000 --server 203.0.113.10 --stats-interval -1", "--stats-interval: -1 is out of range")]
    [InlineData("--udp --bind 40000 --server 203.0.113.10 --forward-to 127.0.0.1:6881", "--forward-to: 127.0.0.1 is a loopback address")]
    [InlineData("--udp --bind 40000 --server 203.0.113.10 --forward-to 198.51.100.2", "--forward-to: ")]
    public void BadOptionsAreOneSentenceAndExit2(string arguments, string expected)
    {
        CommandResult result = Shell.Run(Repository.Binary(Map.Binary), arguments.Split(' '), TimeSpan.FromSeconds(20));
        Assert.Equal(2, result.ExitCode);
        string[] lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("ready", result.Output + result.Error, StringComparison.Ordinal);
    }

    [BuiltBinaryFact(Map.Binary)]
    public void HelpNamesEveryFlag()
    {
        CommandResult result = Shell.Run(Repository.Binary(Map.Binary), new[] { "--help" }, TimeSpan.FromSeconds(20));
        Assert.Equal(0, result.ExitCode);
        foreach (string flag in new[] { "--udp", "--tcp", "--bind", "--server", "--hook", "--hook-timeout", "--keepalive", "--check", "--stun-timeout", "--gateway-protocols", "--upnp", "--gateway", "--lease", "--keep-trying", "--forward-to", "--dry-run", "--cleanup", "--metrics-listen" })
        {
            Assert.Contains(flag, result.Output, StringComparison.Ordinal);
        }
    }
}
