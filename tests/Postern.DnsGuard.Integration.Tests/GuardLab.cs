using System.Globalization;
using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.DnsGuard.Integration.Tests;

/// <summary>Four hosts in a row, each routing to the next:
/// <code>
///   client 192.0.2.2 --- 192.0.2.1 [gateway] 198.51.100.1 --- 198.51.100.2 [injector] 203.0.113.1 --- 203.0.113.2 upstream
///   2001:db8:2::2        2001:db8:2::1    2001:db8:51::1       2001:db8:51::2     2001:db8:113::1     2001:db8:113::2
/// </code>
/// (the upstream also has 203.0.113.3 and 2001:db8:113::3, for the fuzzing responder).
/// The upstream answers every name under example.test (A 192.0.2.80, AAAA 2001:db8::80; dnsmasq
/// behind a proxy that delays each answer by <see cref="RealDelayMs"/>). The injector watches the
/// queries that reach it and, for names under blocked.example.test, sends a forged answer spoofed
/// from the upstream at once (injector.py). postern-dnsguard, when a test starts it, runs on the
/// gateway in the FORWARD chain. With <c>injector: false</c> there is neither the injector nor
/// the delay: dnsmasq answers on the upstream's address itself, for load.</summary>
public sealed partial class GuardLab : IDisposable
{
    public const string ClientV4 = "192.0.2.2";
    public const string ClientV6 = "2001:db8:2::2";
    public const string UpstreamV4 = "203.0.113.2";
    public const string UpstreamV6 = "2001:db8:113::2";

    /// <summary>The upstream's second addresses, where <see cref="StartFuzzResponder"/> answers.</summary>
    public const string FuzzV4 = "203.0.113.3";
    public const string FuzzV6 = "2001:db8:113::3";
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
            _lab.Link(Client, new[] { ClientV4 + "/24", ClientV6 + "/64" }, Gateway, new[] { "192.0.2.1/24", "2001:db8:2::1/64" });
            (_, string injectorSide) = _lab.Link(Gateway, new[] { "198.51.100.1/24", "2001:db8:51::1/64" },
                Injector, new[] { "198.51.100.2/24", "2001:db8:51::2/64" });
            _lab.Link(Injector, new[] { "203.0.113.1/24", "2001:db8:113::1/64" },
                Upstream, new[] { UpstreamV4 + "/24", FuzzV4 + "/24", UpstreamV6 + "/64", FuzzV6 + "/64" });
            Gateway.EnableForwarding();
            Injector.EnableForwarding();
            Client.Check("ip", "route", "add", "default", "via", "192.0.2.1");
            Client.Check("ip", "-6", "route", "add", "default", "via", "2001:db8:2::1");
            Gateway.Check("ip", "route", "add", "203.0.113.0/24", "via", "198.51.100.2");
            Gateway.Check("ip", "-6", "route", "add", "2001:db8:113::/64", "via", "2001:db8:51::2");
            Injector.Check("ip", "route", "add", "192.0.2.0/24", "via", "198.51.100.1");
            Injector.Check("ip", "-6", "route", "add", "2001:db8:2::/64", "via", "2001:db8:51::1");
            Upstream.Check("ip", "route", "add", "default", "via", "203.0.113.1");
            Upstream.Check("ip", "-6", "route", "add", "default", "via", "2001:db8:113::1");

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
            Proxy = Upstream.Start("/usr/bin/python3", Script("delayproxy.py"), UpstreamV4, "5353",
                RealDelayMs.ToString(CultureInfo.InvariantCulture));
            Require(Proxy.WaitForOutput("ready", TimeSpan.FromSeconds(20)), "the delaying proxy did not start", Proxy);
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
    /// <summary>The delaying proxy in front of dnsmasq (absent in a lab made without the injector):
    /// SIGUSR1 makes it answer after 5 ms instead of <see cref="RealDelayMs"/>.</summary>
    public BackgroundProcess Proxy { get; private set; } = null!;

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

    /// <summary>fuzzdns.py's responder on the upstream's <paramref name="address"/> port 53: a
    /// fuzzed answer to every datagram (see the script).</summary>
    public BackgroundProcess StartFuzzResponder(string address, int seed)
    {
        BackgroundProcess responder = Upstream.Start("/usr/bin/python3", Script("fuzzdns.py"), "responder", address,
            seed.ToString(CultureInfo.InvariantCulture));
        Require(responder.WaitForOutput("ready", TimeSpan.FromSeconds(20)), "the fuzzing responder did not start", responder);
        CommandResult warm = Client.Run(TimeSpan.FromSeconds(20), "/usr/bin/python3", Script("fuzzdns.py"), "warm", address);
        if (warm.ExitCode != 0)
        {
            responder.Dispose();
            throw new InvalidOperationException($"{address} cannot be reached from the client: {warm.Output}{warm.Error}");
        }
        return responder;
    }

    /// <summary>fuzzdns.py's client: <paramref name="count"/> queries (most valid, some mutated) to
    /// <paramref name="address"/> from the client, and the answers counted; its key=value line.</summary>
    public Dictionary<string, long> RunFuzzClient(string address, int count, int rate, int seed)
    {
        CommandResult result = Client.Run(TimeSpan.FromSeconds(60 + (count / rate)), "/usr/bin/python3", Script("fuzzdns.py"), "client", address,
            count.ToString(CultureInfo.InvariantCulture), rate.ToString(CultureInfo.InvariantCulture), seed.ToString(CultureInfo.InvariantCulture));
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException("the fuzzing client failed: " + result.Output);
        }
        return ParseCounts(result.Output.Trim().Split('\n')[^1]);
    }

    /// <summary>"key=value key=value" as a dictionary.</summary>
    public static Dictionary<string, long> ParseCounts(string line) =>
        line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(pair => pair.Split('='))
            .ToDictionary(pair => pair[0], pair => long.Parse(pair[1], CultureInfo.InvariantCulture), StringComparer.Ordinal);

    /// <summary>The non-zero loss counters (discards, errors, no routes, buffer overruns) of each
    /// host's kernel, for a test's failure message: where a datagram went missing.</summary>
    public string LossCounters()
    {
        var lines = new List<string>();
        foreach ((string name, Netns host) in new[] { ("client", Client), ("gateway", Gateway), ("injector", Injector), ("upstream", Upstream) })
        {
            IEnumerable<string> counters = host.Run("nstat", "-asz").Output.Split('\n')
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(f => f.Length >= 2 && f[1] != "0" && Regex.IsMatch(f[0], "Discard|Error|Drop|Fail|NoRoute|Overflow|Prune|Unknown"))
                .Select(f => f[0] + "=" + f[1]);
            lines.Add($"{name}: {string.Join(' ', counters)}");
        }
        return string.Join('\n', lines);
    }

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
