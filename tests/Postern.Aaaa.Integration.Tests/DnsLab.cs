using System.Globalization;
using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Aaaa.Integration.Tests;

/// <summary>Three hosts in a row, the middle one routing between them:
/// <code>
///   client 192.0.2.2, 2001:db8:1::2 --- 192.0.2.1, 2001:db8:1::1 [middle] 198.51.100.1, 2001:db8:2::1 --- 198.51.100.2, 2001:db8:2::2 server
/// </code>
/// The server is a slow DNS server: socat takes each query on port 53, waits
/// <see cref="UpstreamDelay"/>, and hands it to dnsmasq, which answers every name under
/// example.test with A 192.0.2.80 and AAAA 2001:db8::80. With <c>forwarder</c>, the middle host
/// also runs dnsmasq as the clients' DNS server, forwarding to the slow server (no cache), so
/// postern-aaaa can sit in front of a local DNS server (the INPUT chain). Everything goes when the
/// lab is disposed.</summary>
public sealed partial class DnsLab : IDisposable
{
    public const string ClientV4 = "192.0.2.2";
    public const string ClientV6 = "2001:db8:1::2";
    public const string MiddleV4 = "192.0.2.1";
    public const string MiddleV6 = "2001:db8:1::1";
    public const string MiddleOutsideV4 = "198.51.100.1";
    public const string MiddleOutsideV6 = "2001:db8:2::1";
    public const string ServerV4 = "198.51.100.2";
    public const string ServerV6 = "2001:db8:2::2";
    public const string RealV4 = "192.0.2.80";
    public const string RealV6 = "2001:db8::80";

    public static readonly TimeSpan UpstreamDelay = TimeSpan.FromMilliseconds(800);

    private readonly Lab _lab = new();
    private readonly string _scratch;

    public DnsLab(bool forwarder)
    {
        _scratch = Directory.CreateTempSubdirectory("postern-dnslab-").FullName;
        try
        {
            Client = _lab.AddHost("client");
            Middle = _lab.AddHost("middle");
            Server = _lab.AddHost("server");
            _lab.Link(Client, new[] { ClientV4 + "/24", ClientV6 + "/64" }, Middle, new[] { MiddleV4 + "/24", MiddleV6 + "/64" });
            _lab.Link(Middle, new[] { MiddleOutsideV4 + "/24", MiddleOutsideV6 + "/64" }, Server, new[] { ServerV4 + "/24", ServerV6 + "/64" });
            Middle.EnableForwarding();
            Client.Check("ip", "route", "add", "198.51.100.0/24", "via", MiddleV4);
            Client.Check("ip", "-6", "route", "add", "2001:db8:2::/64", "via", MiddleV6);
            Server.Check("ip", "route", "add", "192.0.2.0/24", "via", MiddleOutsideV4);
            Server.Check("ip", "-6", "route", "add", "2001:db8:1::/64", "via", MiddleOutsideV6);

            string slow = Path.Combine(_scratch, "slow-upstream.sh");
            File.WriteAllText(slow, "#!/bin/sh\nsleep " + UpstreamDelay.TotalSeconds.ToString(CultureInfo.InvariantCulture) +
                                    "\nexec socat -T3 - UDP4:127.0.0.1:5353\n");
            File.SetUnixFileMode(slow, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);

            BackgroundProcess upstream = Server.Start("dnsmasq", "-k", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                "--listen-address=127.0.0.1", "--bind-interfaces", "--port=5353", "--user=root", "--pid-file", "--log-facility=-",
                "--address=/example.test/" + RealV4, "--address=/example.test/" + RealV6);
            Require(upstream.WaitForOutput("started", TimeSpan.FromSeconds(10)), "dnsmasq (upstream) did not start", upstream);
            Server.Start("socat", "-t3", "-T3", $"UDP4-RECVFROM:53,bind={ServerV4},fork,reuseaddr", "EXEC:" + slow);
            Server.Start("socat", "-t3", "-T3", $"UDP6-RECVFROM:53,bind=[{ServerV6}],fork,reuseaddr", "EXEC:" + slow);

            if (forwarder)
            {
                BackgroundProcess dnsmasq = Middle.Start("dnsmasq", "-k", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                    $"--listen-address={MiddleV4},{MiddleV6}", "--bind-interfaces", "--port=53", "--user=root", "--pid-file",
                    "--log-facility=-", "--cache-size=0", "--server=" + ServerV4);
                Require(dnsmasq.WaitForOutput("started", TimeSpan.FromSeconds(10)), "dnsmasq (forwarder) did not start", dnsmasq);
            }
            WaitForServer();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public Netns Client { get; } = null!;
    public Netns Middle { get; } = null!;
    public Netns Server { get; } = null!;

    private static void Require(bool condition, string what, BackgroundProcess process)
    {
        if (!condition)
        {
            throw new InvalidOperationException(what + ": " + process.Output);
        }
    }

    private void WaitForServer()
    {
        for (int i = 0; i < 50; i++)
        {
            if (Dig(Client, ServerV4, "A", "ready.example.test").Answers("A").Count == 1)
            {
                return;
            }
            Thread.Sleep(100);
        }
        throw new InvalidOperationException("the slow DNS server does not answer");
    }

    public static DigResult Dig(Netns from, string server, string type, string name, params string[] options)
    {
        var arguments = new List<string> { "@" + server, type, name, "+tries=1", "+time=4" };
        arguments.AddRange(options);
        CommandResult result = from.Run(TimeSpan.FromSeconds(15), "dig", arguments.ToArray());
        return new DigResult(result.Output + result.Error);
    }

    /// <summary>Starts postern-aaaa in a host and waits until it says it is ready.</summary>
    public static BackgroundProcess StartPostern(Netns host, params string[] arguments)
    {
        BackgroundProcess postern = host.Start(Repository.Binary("postern-aaaa"), new[] { "--stats-interval", "0" }.Concat(arguments));
        if (!postern.WaitForOutput("ready", TimeSpan.FromSeconds(15)))
        {
            throw new InvalidOperationException("postern-aaaa did not start: " + postern.Output);
        }
        return postern;
    }

    /// <summary>Asks postern-aaaa for its counters (SIGUSR1) and returns the stats line.</summary>
    public static Stats ReadStats(BackgroundProcess postern)
    {
        int before = StatsLines(postern.Output).Count;
        postern.Signal(10);
        for (int i = 0; i < 100; i++)
        {
            List<string> lines = StatsLines(postern.Output);
            if (lines.Count > before)
            {
                return new Stats(lines[^1]);
            }
            Thread.Sleep(50);
        }
        throw new InvalidOperationException("postern-aaaa printed no stats line on SIGUSR1: " + postern.Output);
    }

    private static List<string> StatsLines(string output) =>
        output.Split('\n').Where(line => line.Contains("stats: ", StringComparison.Ordinal)).ToList();

    /// <summary>How many rules in the host's iptables and ip6tables (both variants) carry a tag.</summary>
    public static int CountRules(Netns host, string tag = "postern-aaaa:")
    {
        int count = 0;
        foreach (string program in new[] { "iptables-save", "ip6tables-save", "iptables-legacy-save", "ip6tables-legacy-save" })
        {
            CommandResult saved = host.Run(program);
            count += saved.Output.Split('\n').Count(line => line.StartsWith("-A", StringComparison.Ordinal) && line.Contains(tag, StringComparison.Ordinal));
        }
        return count;
    }

    public void Dispose()
    {
        _lab.Dispose();
        try
        {
            Directory.Delete(_scratch, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>One stats line ("stats: key=value ..."). A key the line does not have fails the
    /// test: a renamed or dropped counter must never read as 0.</summary>
    public sealed partial record Stats(string Line)
    {
        public long this[string key]
        {
            get
            {
                Match match = Regex.Match(Line, @"(?:^|\s)" + Regex.Escape(key) + @"=(\d+)(?:\s|$)");
                if (!match.Success)
                {
                    throw new Xunit.Sdk.XunitException($"the stats line has no counter '{key}': {Line}");
                }
                return long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            }
        }
    }
}
