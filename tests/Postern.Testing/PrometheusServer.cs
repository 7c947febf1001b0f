using System.Globalization;
using System.Text.Json;

namespace Postern.Testing;

/// <summary>Debian's real Prometheus server, started in a test namespace, scraping one target
/// every second, and asked through its HTTP query API (with curl, inside the namespace).
/// Its data lives in a scratch folder that goes with it.</summary>
public sealed class PrometheusServer : IDisposable
{
    private const string Listen = "127.0.0.1:9090";
    private readonly Netns _host;
    private readonly string _scratch;
    private readonly BackgroundProcess _process;

    private PrometheusServer(Netns host, string scratch, BackgroundProcess process)
    {
        _host = host;
        _scratch = scratch;
        _process = process;
    }

    public string Output => _process.Output;

    public static PrometheusServer StartIn(Netns host, string job, string target)
    {
        string scratch = Directory.CreateTempSubdirectory("postern-prometheus-").FullName;
        string config = Path.Combine(scratch, "prometheus.yml");
        File.WriteAllText(config,
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n" +
            $"scrape_configs:\n  - job_name: {job}\n    static_configs:\n      - targets: ['{target}']\n");
        BackgroundProcess process = host.Start("prometheus",
            "--config.file=" + config,
            "--storage.tsdb.path=" + Path.Combine(scratch, "data"),
            "--web.listen-address=" + Listen,
            "--log.level=info");
        var server = new PrometheusServer(host, scratch, process);
        if (!process.WaitForOutput("Server is ready to receive web requests.", TimeSpan.FromSeconds(60)))
        {
            string output = process.Output;
            server.Dispose();
            throw new InvalidOperationException("prometheus did not start:\n" + output);
        }
        return server;
    }

    /// <summary>The value of an instant query that yields one sample, or null when it yields none.</summary>
    public double? Query(string promql)
    {
        CommandResult result = _host.Run(TimeSpan.FromSeconds(15), "curl", "-sS", "--fail", "--get",
            "--data-urlencode", "query=" + promql, $"http://{Listen}/api/v1/query");
        result.EnsureSuccess();
        using JsonDocument document = JsonDocument.Parse(result.Output);
        JsonElement root = document.RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException("prometheus query failed: " + result.Output);
        }
        JsonElement samples = root.GetProperty("data").GetProperty("result");
        if (samples.GetArrayLength() == 0)
        {
            return null;
        }
        if (samples.GetArrayLength() > 1)
        {
            throw new InvalidOperationException($"'{promql}' yields {samples.GetArrayLength()} samples: {result.Output}");
        }
        string value = samples[0].GetProperty("value")[1].GetString()!;
        return double.Parse(value, CultureInfo.InvariantCulture);
    }

    /// <summary>Polls the query until its value satisfies <paramref name="expected"/>; returns the
    /// last value seen (null if none), so that a failing assertion can say what was there.</summary>
    public double? WaitFor(string promql, Func<double, bool> expected, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double? last = null;
        while (clock.Elapsed < timeout)
        {
            last = Query(promql);
            if (last is { } value && expected(value))
            {
                return last;
            }
            Thread.Sleep(500);
        }
        return last;
    }

    public void Dispose()
    {
        _process.Dispose();
        try
        {
            Directory.Delete(_scratch, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
