using System.Globalization;
using Postern.Testing;

namespace Postern.Aaaa.Integration.Tests;

/// <summary>postern-aaaa's counters over --metrics-listen, judged by promtool and scraped by a real
/// Prometheus server in the DNS server's namespace while dig asks through it.</summary>
public sealed class MetricsTests
{
    private const string MetricsAddress = "127.0.0.1:9466";

    [RootFact]
    public void Prometheus_ScrapesAnswered_AndPassedByReason()
    {
        using var lab = new DnsLab(forwarder: true);
        using BackgroundProcess postern = DnsLab.StartPostern(lab.Middle, "--metrics-listen", MetricsAddress);
        using PrometheusServer prometheus = PrometheusServer.StartIn(lab.Middle, "aaaa", MetricsAddress);

        for (int i = 0; i < 3; i++)
        {
            Assert.True(DnsLab.Dig(lab.Client, DnsLab.MiddleV4, "AAAA", $"host{i}.example.test").FromPostern);
        }
        CommandResult check = lab.Middle.Sh($"curl -sS --fail http://{MetricsAddress}/metrics | promtool check metrics");

        Assert.True(check.ExitCode == 0 && (check.Output + check.Error).Trim().Length == 0, check.ToString());
        double? answered = prometheus.WaitFor("postern_aaaa_answered_total", v => v == 3, TimeSpan.FromSeconds(30));
        Assert.True(answered == 3, $"postern_aaaa_answered_total is {answered?.ToString(CultureInfo.InvariantCulture) ?? "absent"}\n{prometheus.Output}\n{postern.Output}");
        Assert.Equal(0, prometheus.Query("sum(postern_aaaa_passed_total)"));
        Assert.Equal(3, DnsLab.ReadStats(postern)["answered"]);
    }
}
