using System.Globalization;
using Postern.Testing;

namespace Postern.Aaaa.Integration.Tests;

/// <summary>What the fault tests share: a fast DNS server on the middle host (dnsmasq answering
/// example.test itself, so that the server, not an 800 ms upstream, sets the pace when Postern
/// fails open), dnsperf runs of A and AAAA queries in the background, and a loop of digs that
/// records every answer.</summary>
public static class FaultLoad
{
    /// <summary>dnsmasq on the middle host's client-side addresses, port 53, answering every name
    /// under example.test with A <see cref="DnsLab.RealV4"/> and AAAA <see cref="DnsLab.RealV6"/>.</summary>
    public static BackgroundProcess StartLocalDns(Netns host)
    {
        BackgroundProcess dnsmasq = host.Start("dnsmasq", "-k", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
            $"--listen-address={DnsLab.MiddleV4},{DnsLab.MiddleV6}", "--bind-interfaces", "--port=53", "--user=root",
            "--pid-file", "--log-facility=-", "--dns-forward-max=1000",
            "--address=/example.test/" + DnsLab.RealV4, "--address=/example.test/" + DnsLab.RealV6);
        if (!dnsmasq.WaitForOutput("started", TimeSpan.FromSeconds(10)))
        {
            throw new InvalidOperationException("dnsmasq (local) did not start: " + dnsmasq.Output);
        }
        for (int i = 0; i < 50; i++)
        {
            if (DnsLab.Dig(host, DnsLab.MiddleV4, "A", "ready.example.test").Answers("A").Count == 1)
            {
                return dnsmasq;
            }
            Thread.Sleep(100);
        }
        throw new InvalidOperationException("dnsmasq (local) does not answer: " + dnsmasq.Output);
    }

    /// <summary>A dnsperf run in the background: A and AAAA queries in turn, distinct names.</summary>
    public sealed class Run : IDisposable
    {
        private readonly string _file;

        public Run(Netns from, string server, int seconds, int outstanding, int timeoutSeconds, int clients = 2, int names = 2000)
        {
            _file = Path.GetTempFileName();
            File.WriteAllLines(_file, Enumerable.Range(0, names).Select(i => $"host{i}.example.test {(i % 2 == 0 ? "AAAA" : "A")}"));
            Seconds = seconds;
            TimeoutSeconds = timeoutSeconds;
            Process = from.Start("dnsperf", "-s", server, "-d", _file,
                "-l", seconds.ToString(CultureInfo.InvariantCulture), "-c", clients.ToString(CultureInfo.InvariantCulture),
                "-q", outstanding.ToString(CultureInfo.InvariantCulture), "-t", timeoutSeconds.ToString(CultureInfo.InvariantCulture));
        }

        public BackgroundProcess Process { get; }
        public int Seconds { get; }
        public int TimeoutSeconds { get; }

        /// <summary>Waits for dnsperf to end and reads its summary; a run that did not finish fails.</summary>
        public Dnsperf.Result Finish()
        {
            if (!Process.WaitForExit(TimeSpan.FromSeconds(Seconds + TimeoutSeconds + 20)) || Process.ExitCode != 0)
            {
                throw new Xunit.Sdk.XunitException("dnsperf did not finish cleanly: " + Process.Output);
            }
            var result = new Dnsperf.Result(Process.Output);
            if (result.Completed < 0 || result.Lost < 0)
            {
                throw new Xunit.Sdk.XunitException("dnsperf printed no summary: " + Process.Output);
            }
            return result;
        }

        public void Dispose()
        {
            Process.Dispose();
            File.Delete(_file);
        }
    }

    /// <summary>A loop of digs (AAAA, a new name each, three tries of one second) for
    /// <paramref name="seconds"/>: one line per dig, "ok NAME" for any answer (Postern's NODATA or
    /// the server's address), "NONE NAME" when all three tries went unanswered.</summary>
    public static BackgroundProcess StartDigLoop(Netns from, string server, int seconds) =>
        from.Start("/bin/sh", "-c",
            $"end=$(($(date +%s) + {seconds})); i=0; while [ $(date +%s) -lt $end ]; do i=$((i + 1)); " +
            $"if dig @{server} AAAA loop$i.example.test +tries=3 +time=1 | grep -q 'status: NOERROR'; then echo ok loop$i; else echo NONE loop$i; fi; done; echo done");

    public static (int Answered, int Unanswered) DigLoopOutcome(BackgroundProcess loop, int seconds)
    {
        if (!loop.WaitForExit(TimeSpan.FromSeconds(seconds + 30)) || !loop.Output.Contains("done", StringComparison.Ordinal))
        {
            throw new Xunit.Sdk.XunitException("the dig loop did not finish: " + loop.Output);
        }
        string[] lines = loop.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return (lines.Count(line => line.StartsWith("ok ", StringComparison.Ordinal)),
                lines.Count(line => line.StartsWith("NONE ", StringComparison.Ordinal)));
    }
}
