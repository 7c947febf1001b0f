using System.Net.Sockets;
using System.Text;
using Postern.Testing;

namespace Postern.Hosting.Integration.Tests;

/// <summary>What every role does the same way, checked on both binaries: stop signals, log
/// format under journald and on a terminal, and the answer to a bad flag.</summary>
public sealed class ServiceBehaviourTests : IDisposable
{
    private readonly Netns _host = Netns.Create("hosting");

    public static TheoryData<string> StopSignals => new() { "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT" };

    private static int Number(string signal) => signal switch
    {
        "SIGHUP" => 1,
        "SIGINT" => 2,
        "SIGQUIT" => 3,
        _ => 15,
    };

    [RootTheory]
    [MemberData(nameof(StopSignals))]
    public void Reflector_StopsCleanlyOnEveryStopSignal(string signal)
    {
        using BackgroundProcess reflector = _host.Start(Repository.Binary("postern-reflector"), "--listen", "udp:127.0.0.1:3478", "--stats-interval", "0");
        Assert.True(reflector.WaitForOutput("ready: listening on udp:127.0.0.1:3478", TimeSpan.FromSeconds(20)), reflector.Output);

        _host.Check("kill", "-" + Number(signal), ProcessId(reflector));

        Assert.True(reflector.WaitForExit(TimeSpan.FromSeconds(10)), $"still running after {signal}:\n{reflector.Output}");
        Assert.True(reflector.ExitCode == 0, $"exit {reflector.ExitCode} after {signal}:\n{reflector.Output}");
        Assert.Contains($"postern-reflector: stopping on {signal}\n", reflector.Output);
        Assert.Contains("postern-reflector: stats: answered=0 ", reflector.Output);
        Assert.EndsWith("postern-reflector: stopped\n", reflector.Output);
    }

    /// <summary>The pid of the role itself: `ip netns exec` execs it, so it is the started pid.</summary>
    private static string ProcessId(BackgroundProcess process) => process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [RootFact]
    public void UnderJournald_LinesCarryPriorities_AndReadinessGoesToNotifySocket()
    {
        using var notify = new NotifySocket();
        TimeSpan timeout = TimeSpan.FromSeconds(10);
        var environment = new Dictionary<string, string> { ["JOURNAL_STREAM"] = "8:12345", ["NOTIFY_SOCKET"] = notify.Path };
        using BackgroundProcess reflector = _host.Start(Repository.Binary("postern-reflector"),
            new[] { "--listen", "udp:127.0.0.1:3478", "--stats-interval", "0" }, environment);
        Assert.True(reflector.WaitForOutput("<6>ready: listening on udp:127.0.0.1:3478", TimeSpan.FromSeconds(20)), reflector.Output);
        string ready = notify.Receive(timeout);
        Assert.StartsWith("READY=1\nSTATUS=listening on udp:127.0.0.1:3478", ready);

        reflector.Signal(10);
        Assert.True(reflector.WaitForOutput("<6>stats: answered=0 ", TimeSpan.FromSeconds(5)), reflector.Output);
        string status = notify.Receive(timeout);
        Assert.StartsWith("STATUS=listening on", status);

        reflector.Signal(15);
        Assert.True(reflector.WaitForExit(TimeSpan.FromSeconds(10)));
        Assert.Equal("STOPPING=1\nSTATUS=stopping on SIGTERM", notify.Receive(timeout));
        Assert.All(reflector.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => Assert.Matches("^<[3-7]>", line));
    }

    /// <summary>With WatchdogSec= (WATCHDOG_USEC) the role pings every half period; a stopped
    /// process stops pinging, which is what lets systemd kill a stall so the rules fail open.</summary>
    [RootFact]
    public void Watchdog_IsPingedEveryHalfPeriod_AndFallsSilentWhileTheProcessIsStopped()
    {
        using var notify = new NotifySocket();
        using BackgroundProcess reflector = StartWithWatchdog(notify, pid: null);

        int pings = notify.CountWatchdogPings(TimeSpan.FromSeconds(2));
        Assert.InRange(pings, 4, 30);

        _host.Check("kill", "-STOP", ProcessId(reflector));
        Thread.Sleep(300);
        notify.Drain();
        int whileStopped = notify.CountWatchdogPings(TimeSpan.FromSeconds(1.5));
        _host.Check("kill", "-CONT", ProcessId(reflector));
        int afterwards = notify.CountWatchdogPings(TimeSpan.FromSeconds(2));

        Assert.Equal(0, whileStopped);
        Assert.True(afterwards >= 4, $"{afterwards} pings after SIGCONT");
    }

    [RootFact]
    public void Watchdog_MeantForAnotherProcess_IsNotPinged()
    {
        using var notify = new NotifySocket();
        using BackgroundProcess reflector = StartWithWatchdog(notify, pid: "1");

        Assert.Equal(0, notify.CountWatchdogPings(TimeSpan.FromSeconds(1.5)));
    }

    /// <summary>The reflector as systemd starts it with WatchdogSec=0.8s (and WATCHDOG_PID when given).</summary>
    private BackgroundProcess StartWithWatchdog(NotifySocket notify, string? pid)
    {
        var environment = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Path, ["WATCHDOG_USEC"] = "400000" };
        if (pid is not null)
        {
            environment["WATCHDOG_PID"] = pid;
        }
        BackgroundProcess reflector = _host.Start(Repository.Binary("postern-reflector"),
            new[] { "--listen", "udp:127.0.0.1:3478", "--stats-interval", "0" }, environment);
        Assert.True(reflector.WaitForOutput("ready: listening on", TimeSpan.FromSeconds(20)), reflector.Output);
        return reflector;
    }

    public static TheoryData<string, string[], string> BadFlags => new()
    {
        { "postern-reflector", new[] { "--bogus" }, "postern-reflector: Unrecognized command or argument '--bogus' (see --help)" },
        { "postern-reflector", new[] { "--workers", "0" }, "postern-reflector: --workers must be between 1 and 256." },
        { "postern-reflector", new[] { "--stats-interval", "86401" }, "postern-reflector: --stats-interval: 86401 is out of range (0 to 86400 seconds)" },
        { "postern-reflector", new[] { "--metrics-listen", "9100" }, "postern-reflector: --metrics-listen: '9100' is not HOST:PORT (for example 127.0.0.1:9100 or [::1]:9100) (see --help)" },
        { "postern-aaaa", new[] { "--bogus" }, "postern-aaaa: Unrecognized command or argument '--bogus' (see --help)" },
        { "postern-aaaa", new[] { "--qtype", "A" }, "postern-aaaa: --qtype: answering A with NODATA would leave clients without the names they ask for; only types whose absence clients survive (such as HTTPS and SVCB) may be answered" },
        { "postern-aaaa", new[] { "--qtype", "CNAME" }, "postern-aaaa: --qtype: answering CNAME with NODATA would leave clients without the names they ask for; only types whose absence clients survive (such as HTTPS and SVCB) may be answered" },
        { "postern-aaaa", new[] { "--qtype", "ANY" }, "postern-aaaa: --qtype: answering ANY with NODATA would leave clients without the names they ask for; only types whose absence clients survive (such as HTTPS and SVCB) may be answered" },
        { "postern-aaaa", new[] { "--stats-interval", "2147484" }, "postern-aaaa: --stats-interval: 2147484 is out of range (0 to 86400 seconds)" },
        { "postern-aaaa", new[] { "--queues", "0" }, "postern-aaaa: --queues: 0 is out of range (1 to 64)" },
        { "postern-aaaa", new[] { "--socket-buffer", "10" }, "postern-aaaa: --socket-buffer: 10 is out of range (65536 to 1073741824 bytes)" },
        { "postern-aaaa", new[] { "--queue-length", "0" }, "postern-aaaa: --queue-length: 0 is out of range (1 to 16777216)" },
        { "postern-aaaa", new[] { "--port", "0" }, "postern-aaaa: --port: 0 is not a DNS server port (1 to 65535)" },
        { "postern-aaaa", new[] { "--queue", "65535", "--queues", "2" }, "postern-aaaa: --queue 65535 with --queues 2 goes past queue 65535" },
        { "postern-aaaa", new[] { "--mark", "0" }, "postern-aaaa: --mark: '0' is not a non-zero 32-bit number" },
    };

    /// <summary>One sentence on stderr, nothing on stdout, exit 2, and no rule touched.</summary>
    [RootTheory]
    [MemberData(nameof(BadFlags))]
    public void BadFlag_IsOneLine_Exit2_AndTouchesNothing(string binary, string[] arguments, string expected)
    {
        string rulesBefore = _host.Check("iptables-save") + _host.Check("ip6tables-save");

        CommandResult result = _host.Run(TimeSpan.FromSeconds(20), Repository.Binary(binary), arguments);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Output);
        Assert.Equal(expected + "\n", result.Error);
        Assert.Equal(rulesBefore, _host.Check("iptables-save") + _host.Check("ip6tables-save"));
    }

    public void Dispose() => _host.Dispose();
}
