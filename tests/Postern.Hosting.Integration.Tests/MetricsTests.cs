using System.Globalization;
using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Hosting.Integration.Tests;

/// <summary>--metrics-listen on a running role, judged by Debian's promtool and scraped by a real
/// Prometheus server in the same namespace. postern-reflector serves here (it needs no rules);
/// postern-aaaa's metrics are tested the same way in its own integration tests.</summary>
public sealed class MetricsTests : IDisposable
{
    private const string MetricsAddress = "127.0.0.1:9465";
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(10);
    private readonly Netns _host = Netns.Create("metrics");

    private BackgroundProcess StartReflector(params string[] extra)
    {
        BackgroundProcess reflector = _host.Start(Repository.Binary("postern-reflector"),
            new[] { "--listen", "udp:127.0.0.1:3478,tcp:127.0.0.1:3478", "--metrics-listen", MetricsAddress, "--stats-interval", "0" }.Concat(extra));
        Assert.True(reflector.WaitForOutput("metrics: http://" + MetricsAddress + "/metrics", TimeSpan.FromSeconds(20)), reflector.Output);
        return reflector;
    }

    private void SendTextRequests(int count)
    {
        for (int i = 0; i < count; i++)
        {
            CommandResult answer = _host.Sh("echo hello | socat -t 2 - UDP4:127.0.0.1:3478", ClientTimeout);
            Assert.StartsWith("Your address is ('127.0.0.1', ", answer.Output);
        }
    }

    [RootFact]
    public void Scrape_PassesPromtool_AndCarriesTheSameCountersAsTheStatsLine()
    {
        using BackgroundProcess reflector = StartReflector();
        SendTextRequests(3);

        string scrape = _host.Check("curl", "-sS", "--fail", $"http://{MetricsAddress}/metrics");
        CommandResult check = _host.Sh($"curl -sS --fail http://{MetricsAddress}/metrics | promtool check metrics");

        Assert.True(check.ExitCode == 0 && (check.Output + check.Error).Trim().Length == 0, $"promtool: {check}\n{scrape}");
        Assert.Contains("\npostern_reflector_answered_total{kind=\"text\"} 3\n", scrape);
        Assert.Contains("# TYPE postern_reflector_rate_limited_total counter\n", scrape);

        // Every key of the stats line is a metric, and the other way round.
        reflector.Signal(10);
        Assert.True(reflector.WaitForOutput("stats: answered=3 ", TimeSpan.FromSeconds(5)), reflector.Output);
        string line = reflector.Output.Split('\n').Last(l => l.Contains("stats: ", StringComparison.Ordinal));
        var statsKeys = Regex.Matches(line, @" ([a-z-]+)=").Select(m => m.Groups[1].Value).Distinct().ToHashSet();
        var metricNames = Regex.Matches(scrape, @"^# TYPE postern_reflector_([a-z_]+?)(?:_total)? ", RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value.Replace('_', '-')).ToHashSet();
        Assert.Equal(statsKeys.Order(), metricNames.Order());
    }

    [RootFact]
    public void RealPrometheus_ScrapesTheRole_AndAnswersAQueryForItsCounter()
    {
        using BackgroundProcess reflector = StartReflector();
        using PrometheusServer prometheus = PrometheusServer.StartIn(_host, "postern", MetricsAddress);
        SendTextRequests(5);

        double? up = prometheus.WaitFor("up{job=\"postern\"}", v => v == 1, TimeSpan.FromSeconds(30));
        double? answered = prometheus.WaitFor("postern_reflector_answered_total{kind=\"text\"}", v => v == 5, TimeSpan.FromSeconds(30));

        Assert.True(up == 1, $"target not up ({up})\n{prometheus.Output}");
        Assert.True(answered == 5, $"postern_reflector_answered_total{{kind=\"text\"}} is {answered?.ToString(CultureInfo.InvariantCulture) ?? "absent"}\n{reflector.Output}");
    }

    [RootFact]
    public void MetricsPortInUse_FailsAtStart_WithOneLine_AndExit1()
    {
        using BackgroundProcess holder = _host.Start("socat", "TCP-LISTEN:9465,bind=127.0.0.1,reuseaddr,fork", "OPEN:/dev/null");
        Thread.Sleep(500);
        CommandResult second = _host.Run(TimeSpan.FromSeconds(20), Repository.Binary("postern-reflector"),
            "--listen", "udp:127.0.0.1:3479", "--metrics-listen", MetricsAddress);

        Assert.Equal(1, second.ExitCode);
        Assert.Equal($"postern-reflector: --metrics-listen {MetricsAddress}: cannot listen: Address already in use", second.Error.Trim());
    }

    public void Dispose() => _host.Dispose();
}
