using System.Diagnostics;
using System.Text;

namespace Postern.Hosting.Tests;

public class MetricSetTests
{
    private static MetricSet Sample()
    {
        var metrics = new MetricSet("example");
        long answered = 12;
        metrics.AddCounter("answered", "Queries answered.", () => answered);
        metrics.AddCounterFamily("passed", "Let through, by reason.", "reason", new[] { "other-type", "response", "dnssec" }, i => i switch { 0 => 38, 1 => 2, _ => 0 });
        metrics.AddCounterFamily("send-errors", "Send failures, by errno.", "errno", new[] { "EPERM", "ENOBUFS" }, i => i == 0 ? 3 : 0, omitZero: true);
        metrics.AddGauge("waiting", "Packets waiting.\nSecond line \\ backslash.", () => 7);
        return metrics;
    }

    [Fact]
    public void StatsLine_IsKeyValue_FamiliesAsTotalThenTheMembersThatAreNotZero()
    {
        Assert.Equal(
            "stats: answered=12 passed=40 passed.other-type=38 passed.response=2 send-errors=3 send-errors.EPERM=3 waiting=7",
            Sample().StatsLine());
    }

    [Fact]
    public void Prometheus_HasHelpTypeAndSamples_CountersEndInTotal()
    {
        var text = new StringBuilder();
        Sample().WritePrometheus(text);

        Assert.Equal(
            "# HELP postern_example_answered_total Queries answered.\n" +
            "# TYPE postern_example_answered_total counter\n" +
            "postern_example_answered_total 12\n" +
            "# HELP postern_example_passed_total Let through, by reason.\n" +
            "# TYPE postern_example_passed_total counter\n" +
            "postern_example_passed_total{reason=\"other-type\"} 38\n" +
            "postern_example_passed_total{reason=\"response\"} 2\n" +
            "postern_example_passed_total{reason=\"dnssec\"} 0\n" +
            "# HELP postern_example_send_errors_total Send failures, by errno.\n" +
            "# TYPE postern_example_send_errors_total counter\n" +
            "postern_example_send_errors_total{errno=\"EPERM\"} 3\n" +
            "# HELP postern_example_waiting Packets waiting.\\nSecond line \\\\ backslash.\n" +
            "# TYPE postern_example_waiting gauge\n" +
            "postern_example_waiting 7\n",
            text.ToString());
    }

    [Theory]
    [InlineData("Answered")]
    [InlineData("send_errors")]
    [InlineData("-x")]
    [InlineData("x-")]
    [InlineData("a--b")]
    [InlineData("")]
    public void BadNames_AreRefused(string name)
    {
        var metrics = new MetricSet("example");
        Assert.Throws<ArgumentException>(() => metrics.AddCounter(name, "help", () => 0));
    }

    [Fact]
    public void ANameRegisteredTwice_IsRefused()
    {
        var metrics = new MetricSet("example");
        metrics.AddCounter("answered", "help", () => 0);
        Assert.Throws<ArgumentException>(() => metrics.AddGauge("answered", "help", () => 0));
    }

    [Fact]
    public void RoleNameWithADash_BecomesAnUnderscore()
    {
        var metrics = new MetricSet("dns-guard");
        metrics.AddCounter("dropped", "help", () => 1);
        Assert.Equal("postern_dns_guard_dropped_total", metrics.PrometheusName(metrics.Metrics[0]));
    }

    /// <summary>Debian's promtool (from the prometheus package) is the judge of the format.</summary>
    [Fact]
    public void Prometheus_PassesPromtoolCheckMetrics()
    {
        string? promtool = Tools.Find("promtool");
        if (promtool is null)
        {
            Assert.Fail("promtool is not installed (Debian package prometheus; make deps installs it)");
        }
        var text = new StringBuilder();
        Sample().WritePrometheus(text);

        var info = new ProcessStartInfo(promtool, new[] { "check", "metrics" })
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process process = Process.Start(info)!;
        process.StandardInput.Write(text.ToString());
        process.StandardInput.Close();
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(30_000), "promtool did not finish");

        Assert.True(process.ExitCode == 0, $"promtool check metrics exited {process.ExitCode}: {output}");
        Assert.Equal("", output.Trim());
    }
}
