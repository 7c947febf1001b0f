using System.Globalization;
using Postern.Testing;

namespace Postern.Aaaa.Integration.Tests;

/// <summary>Bad packets that the kernel's prefilter queues are passed to the server untouched,
/// the daemon keeps answering, and steady load allocates nothing per packet.</summary>
public sealed class RobustnessTests
{
    // The prefilter's pattern (root label, type AAAA, class IN), so that every datagram below is queued.
    private static readonly byte[] AaaaTail = { 0x00, 0x00, 0x1C, 0x00, 0x01 };

    private static byte[] Query(ushort flags, ushort qdcount, ushort ancount, byte[] question, byte[]? tail = null)
    {
        var message = new List<byte> { 0x12, 0x34, (byte)(flags >> 8), (byte)flags, (byte)(qdcount >> 8), (byte)qdcount, (byte)(ancount >> 8), (byte)ancount, 0, 0, 0, 0 };
        message.AddRange(question);
        message.AddRange(tail ?? Array.Empty<byte>());
        return message.ToArray();
    }

    private static readonly byte[] Name = { 3, (byte)'w', (byte)'w', (byte)'w', 7, (byte)'e', (byte)'x', (byte)'a', (byte)'m', (byte)'p', (byte)'l', (byte)'e', 4, (byte)'t', (byte)'e', (byte)'s', (byte)'t' };

    private static IEnumerable<(string What, byte[] Datagram)> BadDatagrams()
    {
        byte[] question = Name.Concat(AaaaTail).ToArray();
        yield return ("header only", AaaaTail);
        yield return ("response", Query(0x8180, 1, 0, question));
        yield return ("NOTIFY opcode", Query(0x2000, 1, 0, question));
        yield return ("two questions", Query(0x0100, 2, 0, question.Concat(question).ToArray()));
        yield return ("answer in a query", Query(0x0100, 1, 1, question));
        yield return ("compression loop", Query(0x0100, 1, 0, new byte[] { 0xC0, 0x0C, 0x00, 0x1C, 0x00, 0x01 }, AaaaTail));
        yield return ("label past the end", Query(0x0100, 1, 0, new byte[] { 0x3F, 0x41 }, AaaaTail));
        yield return ("reserved label type", Query(0x0100, 1, 0, new byte[] { 0x80, 0x41, 0x00, 0x00, 0x1C, 0x00, 0x01 }));
        yield return ("trailing bytes", Query(0x0100, 1, 0, question, new byte[] { 1, 2, 3 }));
        var random = new Random(2727);
        for (int i = 0; i < 40; i++)
        {
            var bytes = new byte[random.Next(0, 80)];
            random.NextBytes(bytes);
            yield return ($"random {i}", bytes.Concat(AaaaTail).ToArray());
        }
    }

    [RootFact]
    public void Malformed_queries_pass_through_and_the_daemon_keeps_answering()
    {
        using var lab = new DnsLab(forwarder: true);
        using BackgroundProcess postern = DnsLab.StartPostern(lab.Middle);
        string scratch = Directory.CreateTempSubdirectory("postern-bad-").FullName;
        try
        {
            int sent = 0;
            foreach ((string what, byte[] datagram) in BadDatagrams())
            {
                string file = Path.Combine(scratch, "d" + sent.ToString(CultureInfo.InvariantCulture));
                File.WriteAllBytes(file, datagram);
                foreach (string target in new[] { $"UDP4-SENDTO:{DnsLab.MiddleV4}:53", $"UDP6-SENDTO:[{DnsLab.MiddleV6}]:53" })
                {
                    CommandResult result = lab.Client.Run("socat", "-u", "OPEN:" + file, target);
                    Assert.True(result.Succeeded, what + ": " + result);
                }
                sent++;
            }

            DigResult after = DnsLab.Dig(lab.Client, DnsLab.MiddleV4, "AAAA", "www.example.test");
            Assert.True(after.FromPostern, after.Output);
            Assert.False(postern.HasExited, postern.Output);

            // Delivery is asynchronous (the first IPv6 datagrams wait for neighbour discovery):
            // wait until every datagram has reached the queue, or give up after a few seconds.
            DnsLab.Stats stats = DnsLab.ReadStats(postern);
            for (int i = 0; i < 20 && stats["queued"] < 2 * sent + 1; i++)
            {
                Thread.Sleep(250);
                stats = DnsLab.ReadStats(postern);
            }
            Assert.Equal(1, stats["answered"]);
            Assert.Equal(0, stats["send-errors"]);
            // Every bad datagram was queued and passed with a reason, none answered.
            Assert.True(stats["queued"] == 2 * sent + 1 && stats["passed"] == 2 * sent, $"{2 * sent} bad datagrams sent: {stats.Line}");
            // The hand-made ones by their reason (random bytes add to these too).
            Assert.True(stats["passed.response"] >= 2 && stats["passed.opcode"] >= 2 && stats["passed.qdcount"] >= 2 &&
                        stats["passed.other-records"] >= 2 && stats["passed.malformed"] >= 10, stats.Line);
            Assert.Equal(0, stats["verdict-errors"]);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    [RootFact]
    public void Steady_load_allocates_nothing_per_packet()
    {
        using var lab = new DnsLab(forwarder: true);
        // allocated-bytes is the whole process's: the periodic rule check (iptables runs, every
        // 10 s by default) allocates ~40 KB when it falls into the window, which on a loaded
        // machine (fewer queries) is more than the bound. The packet path is what is measured.
        using BackgroundProcess postern = DnsLab.StartPostern(lab.Middle, "--rule-check-interval", "0");
        Dnsperf.Run(lab.Client, DnsLab.MiddleV4, "AAAA", names: 500, seconds: 1); // warm-up
        DnsLab.Stats before = DnsLab.ReadStats(postern);
        Dnsperf.Result load = Dnsperf.Run(lab.Client, DnsLab.MiddleV4, "AAAA", names: 1000, seconds: 3);
        DnsLab.Stats after = DnsLab.ReadStats(postern);

        long answered = after["answered"] - before["answered"];
        long allocated = after["allocated-bytes"] - before["allocated-bytes"];
        Assert.True(answered > 5000, $"{answered} answered\n{load.Output}");
        // What does not grow with the packets is allowed for once: the stats line read at the
        // start of the window, the signal's dispatch, and whatever else a loaded machine makes
        // the process do once in a while (45 KB over 115,504 answers was seen on a loaded run).
        // An allocation per packet is at least one object, 24 bytes, so over the 5,000 or more
        // packets asserted above it is 120 KB or more, beyond this bound at every rate.
        const long fixedAllowance = 64 * 1024;
        Assert.True(allocated < fixedAllowance + answered / 4,
            $"{allocated} bytes allocated over {answered} answered queries (allowed: {fixedAllowance} + {answered / 4})");
    }
}
