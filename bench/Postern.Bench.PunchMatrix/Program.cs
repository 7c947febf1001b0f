using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Postern.Testing;

// The punch matrix: for every pairing of NAT kinds, RUNS fresh pairings (a new code, new ports)
// in one lab, each timed from the joining side's start until both sides printed their punched
// line. Prints one table row per pairing: success rate, median and 95th percentile time to
// connect, the path, the probes sent (both sides). The yardsticks, run in the same lab right
// after each pairing: what people do by hand, both sides sending at one agreed moment to the
// other's public address and port (port preserved, as the classic scripts assume), once (the
// classic script's single datagram) and 15 times 50 ms apart (a script that retries), without
// openers; they count when both sides received something. Measures; asserts nothing.
int runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
string? only = args.Length > 1 ? args[1] : null;
string punch = Repository.Binary("postern-punch");
string reflectorBinary = Repository.Binary("postern-reflector");
const string server = PunchLab.ReflectorAddress + ":3478";

var pairings = new (string Name, Func<PunchLab> Lab, string[] ArgsA, bool Relay)[]
{
    ("cone x cone", () => new PunchLab(), Array.Empty<string>(), false),
    ("cone+fw x cone+fw", () => new PunchLab(new SiteOptions { WanFirewall = true }, new SiteOptions { WanFirewall = true }), Array.Empty<string>(), false),
    ("cone x full cone", () => new PunchLab(null, new SiteOptions { Nat = SiteNat.FullCone }), Array.Empty<string>(), false),
    ("full cone x full cone", () => new PunchLab(new SiteOptions { Nat = SiteNat.FullCone }, new SiteOptions { Nat = SiteNat.FullCone }), Array.Empty<string>(), false),
    ("full cone x symmetric", () => new PunchLab(new SiteOptions { Nat = SiteNat.FullCone }, new SiteOptions { Nat = SiteNat.Symmetric }), Array.Empty<string>(), false),
    ("cone x symmetric", () => new PunchLab(null, new SiteOptions { Nat = SiteNat.Symmetric }), Array.Empty<string>(), false),
    ("symmetric x symmetric (relay)", () => new PunchLab(new SiteOptions { Nat = SiteNat.Symmetric }, new SiteOptions { Nat = SiteNat.Symmetric }),
        new[] { "--relay", $"socks5://{PunchLab.RelayAddress}:1080", "--forward", "127.0.0.1:7000" }, true),
    ("double NAT x cone", () => new PunchLab(new SiteOptions { DoubleNat = true }), new[] { "--opener-ttl", "3" }, false),
    ("one NAT (lan)", () => PunchLab.SameNat(), Array.Empty<string>(), false),
};

Console.WriteLine($"postern-punch matrix: {runs} pairings each, timed from the joiner's start until both sides printed 'punched'");
Console.WriteLine();
Console.WriteLine("| pairing | connected | median ms | p95 ms | path | probes sent (median, both sides) | classic: 1 datagram each | 15 datagrams each |");
Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
foreach (var pairing in pairings)
{
    if (only is not null && !pairing.Name.Contains(only, StringComparison.Ordinal))
    {
        continue;
    }
    using PunchLab lab = pairing.Lab();
    using BackgroundProcess reflector = lab.Reflector.Start(reflectorBinary, "--listen", $"udp:{PunchLab.ReflectorAddress}:3478",
        "--alternate", $"{PunchLab.ReflectorAlternateAddress}:3479", "--stats-interval", "0", "--no-rate-limit");
    if (!reflector.WaitForOutput("listening on", TimeSpan.FromSeconds(20)))
    {
        Console.WriteLine($"| {pairing.Name} | reflector did not start | | | | |");
        continue;
    }
    using Dante? dante = pairing.Relay ? Dante.Start(lab.Relay, PunchLab.RelayAddress) : null;
    var times = new List<double>();
    var probes = new List<int>();
    var paths = new SortedSet<string>(StringComparer.Ordinal);
    var failures = new List<string>();
    int classicOne = 0, classicFifteen = 0;
    string[] hold = pairing.Relay ? new[] { "--forward", "127.0.0.1:7000" } : Array.Empty<string>();
    for (int run = 0; run < runs; run++)
    {
        using BackgroundProcess a = lab.A.Host.Start(punch, new[] { "connect", "--server", server, "--timeout", "15", "--wait", "30" }.Concat(pairing.ArgsA).ToArray());
        if (!a.WaitForOutput("on the other host run:", TimeSpan.FromSeconds(20)))
        {
            failures.Add("no code: " + Last(a.Output));
            continue;
        }
        string code = Regex.Match(a.Output, @"^code: (\S+)$", RegexOptions.Multiline).Groups[1].Value;
        Thread.Sleep(200); // A is registered and waiting, as a person would be
        var clock = Stopwatch.StartNew();
        using BackgroundProcess b = lab.B.Host.Start(punch, new[] { "connect", "--server", server, "--code", code, "--timeout", "15" }.Concat(hold).ToArray());
        bool both = WaitBoth(a, b, TimeSpan.FromSeconds(25));
        double elapsed = clock.Elapsed.TotalMilliseconds;
        if (!both)
        {
            failures.Add(Last(a.Output) + " / " + Last(b.Output));
            continue;
        }
        times.Add(elapsed);
        foreach (BackgroundProcess side in new[] { a, b })
        {
            Match m = Regex.Match(side.Output, @"path=(\w+) rtt=[\d.]+ attempts=(\d+)");
            paths.Add(m.Groups[1].Value);
        }
        probes.Add(Attempts(a) + Attempts(b));
        if (pairing.Relay)
        {
            a.Signal(15);
            b.WaitForExit(TimeSpan.FromSeconds(10));
        }
        a.WaitForExit(TimeSpan.FromSeconds(10));
        b.WaitForExit(TimeSpan.FromSeconds(10));
    }
    for (int run = 0; run < runs; run++)
    {
        int port = 42000 + 2 * run;
        double start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0 + 0.5;
        var classic = new[]
        {
            Yardstick(lab.A, port, lab.B, port + 1000, start, 1), Yardstick(lab.B, port + 1000, lab.A, port, start, 1),
            Yardstick(lab.A, port + 1, lab.B, port + 1001, start, 15), Yardstick(lab.B, port + 1001, lab.A, port + 1, start, 15),
        };
        bool[] got = classic.Select(Received).ToArray();
        classicOne += got[0] && got[1] ? 1 : 0;
        classicFifteen += got[2] && got[3] ? 1 : 0;
        foreach (BackgroundProcess process in classic)
        {
            process.Dispose();
        }
    }
    times.Sort();
    probes.Sort();
    string rate = $"{times.Count}/{runs} ({100.0 * times.Count / runs:0}%)";
    string yardsticks = $"{classicOne}/{runs} | {classicFifteen}/{runs}";
    Console.WriteLine(times.Count == 0
        ? $"| {pairing.Name} | {rate} | | | | | {yardsticks} |"
        : $"| {pairing.Name} | {rate} | {Percentile(times, 0.5):0} | {Percentile(times, 0.95):0} | {string.Join("+", paths)} | {probes[probes.Count / 2]} | {yardsticks} |");
    foreach (string failure in failures.Take(3))
    {
        Console.Error.WriteLine($"  {pairing.Name}: failed: {failure}");
    }
}

// One side of the hand-made exchange: from PORT to the peer's public address and its port (the
// port a cone NAT preserves, which is what the peer would have pasted).
static BackgroundProcess Yardstick(PunchSite from, int port, PunchSite to, int toPort, double start, int count) =>
    UdpPeer.Start(from.Host, "peer", "--port", port.ToString(CultureInfo.InvariantCulture),
        "--peer", $"{to.PublicAddress}:{toPort.ToString(CultureInfo.InvariantCulture)}",
        "--start", start.ToString("0.000", CultureInfo.InvariantCulture), "--count", count.ToString(CultureInfo.InvariantCulture),
        "--seconds", "2");

static bool Received(BackgroundProcess side)
{
    side.WaitForExit(TimeSpan.FromSeconds(10));
    Match m = Regex.Match(side.Output, @"received (\d+)");
    return m.Success && int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) > 0;
}

static bool WaitBoth(BackgroundProcess a, BackgroundProcess b, TimeSpan timeout)
{
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed < timeout)
    {
        if (a.Output.Contains("punched local=", StringComparison.Ordinal) && b.Output.Contains("punched local=", StringComparison.Ordinal))
        {
            return true;
        }
        if (a.HasExited && b.HasExited)
        {
            return false;
        }
        Thread.Sleep(2);
    }
    return false;
}

static int Attempts(BackgroundProcess side) =>
    int.Parse(Regex.Match(side.Output, @"attempts=(\d+)").Groups[1].Value, CultureInfo.InvariantCulture);

static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

static string Last(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "(no output)";
