using System.Diagnostics;
using System.Globalization;
using Postern.Bench.DnsCodec;
using Postern.Wire;

// ARSoft.Tools.Net against Postern's span codec on one query: parse it and write the NODATA
// answer with the SOA (and the OPT, since dig sends one). Per query: wall time and process CPU
// time (each the median of the rounds; on a shared, loaded machine CPU time is the steadier one,
// since wall time also counts the time the thread waited for a core) and bytes allocated on this
// thread. Prints a table; asserts nothing.
int rounds = Argument(args, "--rounds", 5);
int arsoftIterations = Argument(args, "--arsoft-iterations", 200_000);
int posternIterations = Argument(args, "--postern-iterations", 20_000_000);
const uint NegativeTtl = 30;

// dig AAAA example.com (DiG 9.18): EDNS(0), payload size 1232, an 8-byte client COOKIE.
byte[] query =
[
    0x68, 0xe5, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00,
    0x00, 0x1c, 0x00, 0x01,
    0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c,
    0x00, 0x0a, 0x00, 0x08, 0x36, 0x68, 0x79, 0x39, 0x78, 0x9d, 0x1e, 0xe2,
];
byte[] destination = GC.AllocateArray<byte>(512, pinned: true);

int Postern()
{
    if (DnsQuery.TryRead(query, out DnsQuery parsed) != DnsQueryError.None)
    {
        return -1;
    }
    return NoDataReply.Write(query, parsed, includeSoa: true, NegativeTtl, destination);
}

int ArSoft() => ArSoftNoData.Answer(query, (int)NegativeTtl).Count;

// Both must give the same answer, or the comparison means nothing.
byte[] posternReply = destination[..Postern()];
byte[] arsoftReply = ArSoftNoData.Answer(query, (int)NegativeTtl).ToArray();
if (!posternReply.AsSpan().SequenceEqual(arsoftReply))
{
    Console.Error.WriteLine($"dnscodec bench: the two replies differ:\n  postern {Convert.ToHexString(posternReply)}\n  arsoft  {Convert.ToHexString(arsoftReply)}");
    return 1;
}

string loadBefore = File.ReadAllText("/proc/loadavg").Trim();
(double Ns, double CpuNs, double Bytes) arsoft = Measure(ArSoft, arsoftIterations, rounds);
(double Ns, double CpuNs, double Bytes) postern = Measure(Postern, posternIterations, rounds);
string loadAfter = File.ReadAllText("/proc/loadavg").Trim();

CultureInfo c = CultureInfo.InvariantCulture;
Console.WriteLine($"query: dig AAAA example.com (EDNS, cookie), {query.Length} bytes; reply: NODATA + SOA + OPT, {posternReply.Length} bytes (identical from both)");
Console.WriteLine($"rounds: {rounds} (median), iterations per round: ARSoft {arsoftIterations}, Postern {posternIterations}; {Environment.ProcessorCount} cores, .NET {Environment.Version}");
Console.WriteLine($"load average before: {loadBefore}; after: {loadAfter}");
Console.WriteLine();
Console.WriteLine(string.Format(c, "{0,-38} {1,12} {2,12} {3,12}", "codec (parse + NODATA/SOA build)", "wall ns/q", "CPU ns/q", "bytes/q"));
Console.WriteLine(string.Format(c, "{0,-38} {1,12:F1} {2,12:F1} {3,12:F0}", "ARSoft.Tools.Net 3.6.1", arsoft.Ns, arsoft.CpuNs, arsoft.Bytes));
Console.WriteLine(string.Format(c, "{0,-38} {1,12:F1} {2,12:F1} {3,12:F0}", "Postern.Wire (DnsQuery + NoDataReply)", postern.Ns, postern.CpuNs, postern.Bytes));
Console.WriteLine(string.Format(c, "{0,-38} {1,11:F0}x {2,11:F0}x {3,12}", "ratio ARSoft / Postern", arsoft.Ns / postern.Ns, arsoft.CpuNs / postern.CpuNs,
    postern.Bytes == 0 ? "Postern 0 B" : (arsoft.Bytes / postern.Bytes).ToString("F0", c) + "x"));
return 0;

static (double Ns, double CpuNs, double Bytes) Measure(Func<int> answer, int iterations, int rounds)
{
    // Warm-up: long enough for tiered compilation to reach its optimized code.
    long sink = 0;
    for (int i = 0; i < Math.Max(iterations / 4, 50_000); i++)
    {
        sink += answer();
    }
    var nanoseconds = new double[rounds];
    var cpuNanoseconds = new double[rounds];
    using var process = Process.GetCurrentProcess();
    long allocated = 0;
    long measured = 0;
    for (int round = 0; round < rounds; round++)
    {
        process.Refresh();
        TimeSpan cpuStart = process.TotalProcessorTime;
        long before = GC.GetAllocatedBytesForCurrentThread();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < iterations; i++)
        {
            sink += answer();
        }
        long elapsed = Stopwatch.GetTimestamp() - start;
        allocated += GC.GetAllocatedBytesForCurrentThread() - before;
        process.Refresh();
        cpuNanoseconds[round] = (process.TotalProcessorTime - cpuStart).TotalNanoseconds / iterations;
        measured += iterations;
        nanoseconds[round] = elapsed * 1e9 / Stopwatch.Frequency / iterations;
    }
    if (sink == 0)
    {
        Console.WriteLine("(no replies)");
    }
    Array.Sort(nanoseconds);
    Array.Sort(cpuNanoseconds);
    return (nanoseconds[rounds / 2], cpuNanoseconds[rounds / 2], (double)allocated / measured);
}

static int Argument(string[] args, string name, int fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}
