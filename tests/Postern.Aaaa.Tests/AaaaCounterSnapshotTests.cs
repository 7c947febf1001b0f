using Postern.Hosting;
using Postern.Interop;

namespace Postern.Aaaa.Tests;

/// <summary>The AAAA counters as the stats line (logged every interval and on SIGUSR1) and the
/// metrics show them.</summary>
public class AaaaCounterSnapshotTests
{
    private static MetricSet Metrics(params AaaaCounters[] workers)
    {
        var metrics = new MetricSet("aaaa");
        AaaaCounters.AddTo(metrics, () => workers);
        return metrics;
    }

    [Fact]
    public void StatsLine_NothingCounted_IsThreeZeros()
    {
        Assert.Equal("stats: answered=0 passed=0 send-errors=0", Metrics(new AaaaCounters()).StatsLine());
    }

    [Fact]
    public void StatsLine_SumsWorkers_AndListsOnlyReasonsAndErrnosThatHappened()
    {
        var first = new AaaaCounters();
        var second = new AaaaCounters();
        for (int i = 0; i < 12; i++)
        {
            (i % 2 == 0 ? first : second).CountAnswered();
        }
        for (int i = 0; i < 38; i++)
        {
            first.CountPassed(PassReason.OtherType);
        }
        second.CountPassed(PassReason.Response);
        second.CountPassed(PassReason.Response);
        first.CountSendError(Errno.ENOBUFS);
        first.CountSendError(Errno.EPERM);
        second.CountSendError(Errno.EPERM);
        first.CountSendError(1000);
        first.CountSendError(60);

        string line = Metrics(first, second).StatsLine();

        Assert.Equal(
            "stats: answered=12 passed=40 passed.response=2 passed.other-type=38 " +
            "send-errors=5 send-errors.EPERM=2 send-errors.errno60=1 send-errors.ENOBUFS=1 send-errors.other=1",
            line);
    }

    [Fact]
    public void EveryPassReasonHasItsOwnName()
    {
        var counters = new AaaaCounters();
        foreach (PassReason reason in Enum.GetValues<PassReason>())
        {
            counters.CountPassed(reason);
        }

        string line = Metrics(counters).StatsLine();

        Assert.Contains(
            "passed=16 passed.not-udp=1 passed.fragment=1 passed.truncated=1 passed.malformed=1 passed.response=1 " +
            "passed.opcode=1 passed.qdcount=1 passed.other-records=1 passed.other-type=1 passed.other-class=1 " +
            "passed.edns-version=1 passed.except-domain=1 passed.except-client=1 passed.dnssec=1 passed.ipv6-route=1 " +
            "passed.send-error=1 ",
            line);
        Assert.Equal(PassReasons.Count, Enum.GetValues<PassReason>().Length);
        Assert.DoesNotContain("unknown", line);
    }

    [Fact]
    public void Prometheus_NamesTheFamiliesWithLabels()
    {
        var counters = new AaaaCounters();
        counters.CountAnswered();
        counters.CountPassed(PassReason.Fragment);
        counters.CountSendError(Errno.EPERM);
        var text = new System.Text.StringBuilder();

        Metrics(counters).WritePrometheus(text);

        string[] lines = text.ToString().Split('\n');
        Assert.Contains("postern_aaaa_answered_total 1", lines);
        Assert.Contains("# TYPE postern_aaaa_passed_total counter", lines);
        Assert.Contains("postern_aaaa_passed_total{reason=\"fragment\"} 1", lines);
        Assert.Contains("postern_aaaa_passed_total{reason=\"other-type\"} 0", lines);
        Assert.Contains("postern_aaaa_send_errors_total{errno=\"EPERM\"} 1", lines);
        Assert.DoesNotContain(lines, line => line.StartsWith("postern_aaaa_send_errors_total{errno=\"ENOBUFS\"}", StringComparison.Ordinal));
    }
}
