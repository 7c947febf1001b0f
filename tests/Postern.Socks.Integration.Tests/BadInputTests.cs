using System.Globalization;
using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Socks.Integration.Tests;

/// <summary>Bad input (socksfuzz.py): random bytes, truncated and mutated requests on the TCP
/// port, then random, mutated, truncated and fragmented datagrams on one association, in a
/// namespace of its own (only loopback: nothing can leave it). postern-socks must not crash, must
/// account for every connection and every datagram in its counters, and must still serve a real
/// client afterwards and stop cleanly.</summary>
public class BadInputTests
{
    private const int Connections = 1000;
    private const int Datagrams = 20_000;

    private static long Value(string output, string name)
    {
        Match match = Regex.Match(output, "^" + Regex.Escape(name) + @" (\d+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"no '{name}' in:\n{output}");
        return long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [RootFact]
    public void Random_and_mutated_input_on_tcp_and_udp_is_counted_and_never_fatal()
    {
        using Netns host = Netns.Create("sockfuzz");
        using Socks socks = Socks.Start(host, "--listen", "127.0.0.1:1080");
        using BackgroundProcess echo = UdpPeer.StartEcho(host, "127.0.0.1:7");
        CommandResult fuzz = host.Run(TimeSpan.FromMinutes(5), UdpPeer.Python,
            Path.Combine(AppContext.BaseDirectory, "socksfuzz.py"), "127.0.0.1:1080", "127.0.0.1:7",
            "--connections", Connections.ToString(CultureInfo.InvariantCulture), "--datagrams", Datagrams.ToString(CultureInfo.InvariantCulture));
        Assert.True(fuzz.ExitCode == 0, fuzz.ToString() + socks.Output);
        Assert.False(socks.Process.HasExited, socks.Output);

        // The association has ended with the script's TCP connection; its counters are final.
        Assert.True(SpinWait.SpinUntil(() => Socks.Counter(socks.Stats(), "open-associations") == 0 &&
            Socks.Counter(socks.Stats(), "open-connections") == 0, Socks.Timeout), socks.Output);
        string stats = socks.Stats();
        long opened = Value(fuzz.Output, "tcp opened") + 1; // and the association's connection
        Assert.Equal(opened, Socks.Counter(stats, "connections"));
        Assert.Equal(opened, Socks.Counter(stats, "refused") + Socks.Counter(stats, "connects") +
            Socks.Counter(stats, "associations") + Socks.Counter(stats, "aborted"));
        Assert.True(Socks.Counter(stats, "refused.malformed") > 0, stats);

        long sent = Value(fuzz.Output, "udp sent");
        Assert.Equal(sent, Socks.Counter(stats, "udp-relayed.to-remote") + Socks.Counter(stats, "udp-send-errors") +
            Socks.Counter(stats, "udp-dropped") - Socks.Counter(stats, "udp-dropped.before-client"));
        Assert.True(Socks.Counter(stats, "udp-dropped.fragment") >= Value(fuzz.Output, "udp fragments"), stats);
        Assert.True(Socks.Counter(stats, "udp-relayed.to-remote") >= Value(fuzz.Output, "udp valid"), stats);
        Assert.True(Value(fuzz.Output, "udp answers") > 0, fuzz.Output);
        Assert.True(Socks.Counter(stats, "udp-dropped.malformed") > 0 && Socks.Counter(stats, "udp-dropped.address-type") > 0, stats);

        // Still serving: a real client's association gets its echoes.
        CommandResult after = UdpPeer.Run(host, Socks.Timeout, "socks", "127.0.0.1:1080", "127.0.0.1:7", "--count", "3");
        Assert.Contains("echoes 3", after.Output, StringComparison.Ordinal);
        socks.Process.Signal(15);
        Assert.True(socks.Process.WaitForExit(Socks.Timeout), socks.Output);
        Assert.Equal(0, socks.Process.ExitCode);
    }
}
