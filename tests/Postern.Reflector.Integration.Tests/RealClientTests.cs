using System.Globalization;
using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Reflector.Integration.Tests;

/// <summary>Real clients from Debian (socat, coturn's utilities) against the real binary, on the
/// loopback of a namespace of the test's own.</summary>
public class RealClientTests
{
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(20);

    [RootFact]
    public void SocatGetsPythonsTextOverUdpIpv4Ipv6AndTcp()
    {
        using Netns host = Netns.Create("refl");
        using BackgroundProcess reflector = Reflector.StartIn(host, "--listen", "udp:[::]:2727,tcp:[::]:3478", "--workers", "2");

        // IPv4 on a dual-stack socket: reported as plain IPv4, as Python's IPv4 socket would.
        CommandResult udp4 = host.Sh("echo hello | socat -t 2 - UDP4:127.0.0.1:2727,sourceport=40060", ClientTimeout);
        Assert.Equal("Your address is ('127.0.0.1', 40060)\n", udp4.Output);

        CommandResult udp6 = host.Sh("echo hello | socat -t 2 - UDP6:[::1]:2727,sourceport=40061", ClientTimeout);
        Assert.Equal("Your address is ('::1', 40061, 0, 0)\n", udp6.Output);

        // Over TCP the line comes once and the connection closes, whether the client says
        // something or nothing at all.
        CommandResult tcp = host.Sh("echo hello | socat -t 5 - TCP4:127.0.0.1:3478,sourceport=40062", ClientTimeout);
        Assert.Equal("Your address is ('127.0.0.1', 40062)\n", tcp.Output);
        CommandResult silent = host.Sh("socat -t 5 - TCP6:[::1]:3478,sourceport=40063 </dev/null", ClientTimeout);
        Assert.Equal("Your address is ('::1', 40063, 0, 0)\n", silent.Output);
    }

    /// <summary>Started as nobody with no flags at all: the default ports (UDP 2727, UDP and TCP
    /// 3478) need no capability, and every one of them answers.</summary>
    [RootFact]
    public void RunsUnprivilegedOnItsDefaultPorts()
    {
        using Netns host = Netns.Create("refl");
        // A copy nobody can reach, wherever the checkout is (/root is not open to other users).
        string directory = Directory.CreateTempSubdirectory("postern-reflector-").FullName;
        string binary = Path.Combine(directory, "postern-reflector");
        File.Copy(Reflector.Binary, binary);
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        try
        {
            RunAsNobody(host, binary);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void RunAsNobody(Netns host, string binary)
    {
        using BackgroundProcess reflector = host.Start("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", binary,
            "--stats-interval", "1");
        Assert.True(reflector.WaitForOutput("listening on udp:[::]:3478, tcp:[::]:3478, udp:[::]:2727", Reflector.StartTimeout), reflector.Output);
        // `ip netns exec` and setpriv exec in turn: the pid started is the reflector's.
        string[] owner = Shell.Check("ps", "-o", "user=,comm=", "-p", reflector.Id.ToString(CultureInfo.InvariantCulture))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(new[] { "nobody", "postern-reflect" }, owner);

        Assert.Equal("Your address is ('127.0.0.1', 40070)\n",
            host.Sh("echo hello | socat -t 2 - UDP4:127.0.0.1:2727,sourceport=40070", ClientTimeout).Output);
        Assert.Equal("Your address is ('127.0.0.1', 40071)\n",
            host.Sh("echo hello | socat -t 2 - UDP4:127.0.0.1:3478,sourceport=40071", ClientTimeout).Output);
        Assert.Equal("Your address is ('127.0.0.1', 40072)\n",
            host.Sh("socat -t 5 - TCP4:127.0.0.1:3478,sourceport=40072 </dev/null", ClientTimeout).Output);
        CommandResult stun = host.Run(ClientTimeout, "turnutils_stunclient", "127.0.0.1");
        Assert.Matches(@"UDP reflexive addr: 127\.0\.0\.1:\d+", stun.Output + stun.Error);

        // --stats-interval 1: the counters come by themselves, with what was just answered.
        Assert.True(reflector.WaitForOutput("stats: answered=4 answered.stun=1 answered.text=3 ", TimeSpan.FromSeconds(5)), reflector.Output);
    }

    [RootFact]
    public void TurnutilsStunclientLearnsItsAddressOverIpv4AndIpv6()
    {
        using Netns host = Netns.Create("refl");
        using BackgroundProcess reflector = Reflector.StartIn(host, "--listen", "udp:[::]:3478", "--log-requests");

        CommandResult v4 = host.Run(ClientTimeout, "turnutils_stunclient", "-p", "3478", "127.0.0.1");
        Match m4 = Regex.Match(v4.Output + v4.Error, @"UDP reflexive addr: 127\.0\.0\.1:(\d+)");
        Assert.True(m4.Success, v4.ToString());
        Assert.Contains("request from 127.0.0.1:" + m4.Groups[1].Value + " (20 bytes): StunSuccess", reflector.Output, StringComparison.Ordinal);

        CommandResult v6 = host.Run(ClientTimeout, "turnutils_stunclient", "-p", "3478", "::1");
        Assert.Matches(@"UDP reflexive addr: \[?::1\]?:\d+", v6.Output + v6.Error);
    }

    [RootFact]
    public void TurnutilsStunclientRfc5780ModeIsAnsweredFromTheOtherAddress()
    {
        using Netns host = Netns.Create("refl");
        host.Check("ip", "addr", "add", "192.0.2.1/24", "dev", "lo");
        host.Check("ip", "addr", "add", "192.0.2.2/24", "dev", "lo");
        using BackgroundProcess reflector = Reflector.StartIn(host, "--listen", "udp:192.0.2.1:3478", "--alternate", "192.0.2.2:3479",
            "--log-requests");

        // -f: RESPONSE-PORT and CHANGE-REQUEST (change IP and port); the client prints what
        // RESPONSE-ORIGIN and OTHER-ADDRESS said.
        CommandResult result = host.Run(ClientTimeout, "turnutils_stunclient", "-f", "-p", "3478", "192.0.2.1");
        string output = result.Output + result.Error;
        Assert.Contains("Other addr: : 192.0.2.2:3479", output, StringComparison.Ordinal);
        Assert.Contains("Response origin: : 192.0.2.2:3479", output, StringComparison.Ordinal);
        Assert.DoesNotContain("StunError", reflector.Output, StringComparison.Ordinal);
    }
}
