using System.Globalization;
using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.DnsGuard.Integration.Tests;

/// <summary>Four hosts in a row, each routing to the next:
/// <code>
///   client 192.0.2.2 --- 192.0.2.1 [gateway] 198.51.100.1 --- 198.51.100.2 [injector] 203.0.113.1 --- 203.0.113.2 upstream
/// </code>
/// The upstream answers every name under example.test (A 192.0.2.80, AAAA 2001:db8::80; dnsmasq
/// behind a proxy that delays each answer by <see cref="RealDelayMs"/>). The injector watches the
/// queries that reach it and, for names under blocked.example.test, sends a forged answer spoofed
/// from the upstream at once (injector.py). postern-dnsguard, when a test starts it, runs on the
/// gateway in the FORWARD chain. With <c>injector: false</c> there is neither the injector nor
/// the delay: dnsmasq answers on the upstream's address itself, for load.</summary>
public sealed partial class GuardLab : IDisposable
{
    public const string ClientV4 = "192.0.2.2";
    public const string UpstreamV4 = "203.0.113.2";
    public const string RealV4 = "192.0.2.80";
    public const string RealV6 = "2001:db8::80";
    public const int RealDelayMs = 80;

    private readonly Lab _lab = new();

    public GuardLab(bool injector = true)
    {
        Scratch = Directory.CreateTempSubdirectory("postern-dnsguard-lab-").FullName;
        try
        {
            Client = _lab.AddHost("dnsguard-client");
            Gateway = _lab.AddHost("dnsguard-gw");
            Injector = _lab.AddHost("dnsguard-inj");
            Upstream = _lab.AddHost("dnsguard-up");
            _lab.Link(Client, ClientV4 + "/24", Gateway, "192.0.2.1/24");
            (_, string injectorSide) = _lab.Link(Gateway, "198.51.100.1/24", Injector, "198.51.100.2/24");
            _lab.Link(Injector, "203.0.113.1/24", Upstream, UpstreamV4 + "/24");
            Gateway.EnableForwarding();
            Injector.EnableForwarding();
            Client.Check("ip", "route", "add", "default", "via", "192.0.2.1");
            Gateway.Check("ip", "route", "add", "203.0.113.0/24", "via", "198.51.100.2");
            Injector.Check("ip", "route", "add", "192.0.2.0/24", "via", "198.51.100.1");
            Upstream.Check("ip", "route", "add", "default", "via", "203.0.113.1");

            BackgroundProcess dnsmasq = Upstream.Start("dnsmasq", "-k", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                "--listen-address=" + (injector ? "127.0.0.1" : UpstreamV4), "--bind-interfaces", "--port=" + (injector ? "5353" : "53"),
                "--user=root", "--pid-file", "--log-facility=-", "--dns-forward-max=1000",
                "--address=/example.test/" + RealV4, "--address=/example.test/" + RealV6);
            Require(dnsmasq.WaitForOutput("started", TimeSpan.FromSeconds(20)), "dnsmasq did not start", dnsmasq);
            if (!injector)
            {
                WaitForUpstream();
                return;
            }
            BackgroundProcess proxy = Upstream.Start("/usr/bin/python3", Script("delayproxy.py"), UpstreamV4, "5353",
                RealDelayMs.ToString(CultureInfo.InvariantCulture));
            Require(proxy.WaitForOutput("ready", TimeSpan.FromSeconds(20)), "the delaying proxy did not start", proxy);
            InjectorProcess = Injector.Start("/usr/bin/python3", Script("injector.py"), injectorSide, UpstreamV4);
            Require(InjectorProcess.WaitForOutput("ready", TimeSpan.FromSeconds(20)), "the injector did not start", InjectorProcess);
            WaitForUpstream();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Scratch { get; }
    public Netns Client { get; } = null!;
    public Netns Gateway { get; } = null!;
    public Netns Injector { get; } = null!;
    public Netns Upstream { get; } = null!;
    /// <summary>The injector (absent in a lab made without one).</summary>
    public BackgroundProcess InjectorProcess { get; private set; } = null!;

    private static string Script(string name) => Path.Combine(AppContext.BaseDirectory, name);

    private static void Require(bool condition, string what, BackgroundProcess process)
    {
        if (!condition)
        {
            throw new InvalidOperationException(what + ": " + process.Output);
        }
    }

    private void WaitForUpstream()
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (Ask(new[] { new Question("ready.example.test", "A", Edns: true) }).TryGetValue("ready.example.test", out List<string>? found) &&
                found.Contains(RealV4))
            {
                return;
            }
            Thread.Sleep(200);
        }
        throw new InvalidOperationException("the upstream does not answer through the lab");
    }

    public sealed record Question(string Name, string Type, bool Edns);

    /// <summary>Asks every question from the client with one dig process (-f), one try each,
    /// and returns the addresses answered per name (a name that got no answer is absent).</summary>
    public Dictionary<string, List<string>> Ask(IReadOnlyList<Question> questions)
    {
        string file = Path.Combine(Scratch, "questions-" + Guid.NewGuid().ToString("N") + ".txt");
        File.WriteAllLines(file, questions.Select(q => $"@{UpstreamV4} {q.Type} {q.Name} +tries=1 +time=3 +noall +answer{(q.Edns ? "" : " +noedns")}"));
        CommandResult result = Client.Run(TimeSpan.FromSeconds(60 + (questions.Count * 4)), "dig", "-f", file);
        var answers = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in result.Output.Split('\n'))
        {
            Match match = AnswerLine().Match(line.Trim());
            if (match.Success)
            {
                string name = match.Groups[1].Value;
                if (!answers.TryGetValue(name, out List<string>? list))
                {
                    answers[name] = list = new List<string>();
                }
                list.Add(match.Groups[2].Value);
            }
        }
        File.Delete(file);
        return answers;
    }

    [GeneratedRegex(@"^(\S+?)\.\s+\d+\s+IN\s+(?:A|AAAA)\s+(\S+)$")]
    private static partial Regex AnswerLine();

    public BackgroundProcess StartGuard(params string[] arguments)
    {
        BackgroundProcess guard = Gateway.Start(Repository.Binary("postern-dnsguard"), new[] { "--stats-interval", "0" }.Concat(arguments));
        if (!guard.WaitForOutput("ready", TimeSpan.FromSeconds(30)))
        {
            throw new InvalidOperationException("postern-dnsguard did not start: " + guard.Output);
        }
        return guard;
    }

    /// <summary>SIGUSR1, then the stats line it printed.</summary>
    public static Stats ReadStats(BackgroundProcess guard)
    {
        int before = StatsLines(guard.Output).Count;
        guard.Signal(10);
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            List<string> lines = StatsLines(guard.Output);
            if (lines.Count > before)
            {
                return new Stats(lines[^1]);
            }
            Thread.Sleep(50);
        }
        throw new InvalidOperationException("postern-dnsguard printed no stats line on SIGUSR1: " + guard.Output);
    }

    public static Stats LastStats(BackgroundProcess guard) => new(StatsLines(guard.Output)[^1]);

    private static List<string> StatsLines(string output) =>
        output.Split('\n').Where(line => line.Contains("stats: ", StringComparison.Ordinal)).ToList();

    public int CountRules()
    {
        int count = 0;
        foreach (string program in new[] { "iptables-save", "ip6tables-save" })
        {
            count += Gateway.Run(program).Output.Split('\n')
                .Count(line => line.StartsWith("-A", StringComparison.Ordinal) && line.Contains("postern-dnsguard:", StringComparison.Ordinal));
        }
        return count;
    }

    public void Dispose()
    {
        _lab.Dispose();
        try
        {
            Directory.Delete(Scratch, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>One stats line. A key it lacks fails the test: a renamed counter never reads 0.</summary>
    public sealed record Stats(string Line)
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

        /// <summary>A family member ("dropped.bogus"), which the line shows only when it is not zero;
        /// the family's total ("dropped") must be there.</summary>
        public long Member(string key)
        {
            _ = this[key[..key.IndexOf('.', StringComparison.Ordinal)]];
            Match match = Regex.Match(Line, @"(?:^|\s)" + Regex.Escape(key) + @"=(\d+)(?:\s|$)");
            return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        }
    }
}
