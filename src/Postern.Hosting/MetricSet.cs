using System.Globalization;
using System.Text;

namespace Postern.Hosting;

/// <summary>A role's counters and gauges, registered once at start, read for the stats line
/// (<c>stats: key=value ...</c>, the same format for every role) and for the Prometheus text
/// format served by <see cref="MetricsServer"/>. Both views come from the same delegates, so the
/// log and the graphs can never disagree about a name.</summary>
public sealed class MetricSet
{
    private readonly List<Metric> _metrics = new();
    private readonly object _gate = new();

    /// <param name="role">The role's name as in its binary ("aaaa" for postern-aaaa): Prometheus
    /// names become postern_aaaa_&lt;name&gt;.</param>
    public MetricSet(string role)
    {
        if (!IsName(role.Replace('_', '-')))
        {
            throw new ArgumentException($"'{role}' is not a metric name part", nameof(role));
        }
        Prefix = "postern_" + role.Replace('-', '_');
    }

    public string Prefix { get; }

    public IReadOnlyList<Metric> Metrics
    {
        get
        {
            lock (_gate)
            {
                return _metrics.ToArray();
            }
        }
    }

    public void AddCounter(string name, string help, Func<long> read) =>
        Add(new Metric(name, help, MetricKind.Counter, read, null, null, null, false));

    public void AddGauge(string name, string help, Func<long> read) =>
        Add(new Metric(name, help, MetricKind.Gauge, read, null, null, null, false));

    /// <summary>A counter per label value; the stats line shows the total as
    /// <c>name=</c> and each member as <c>name.value=</c>.</summary>
    public void AddCounterFamily(string name, string help, string label, IReadOnlyList<string> labelValues,
        Func<int, long> read, bool omitZero = false) =>
        Add(new Metric(name, help, MetricKind.Counter, null, label, labelValues, read, omitZero));

    private void Add(Metric metric)
    {
        if (!IsName(metric.Name))
        {
            throw new ArgumentException($"'{metric.Name}' is not a metric name (lower-case words joined by '-')");
        }
        if (metric.Label is { } label && !IsName(label))
        {
            throw new ArgumentException($"'{label}' is not a label name");
        }
        lock (_gate)
        {
            if (_metrics.Exists(m => m.Name == metric.Name))
            {
                throw new ArgumentException($"metric '{metric.Name}' is registered twice");
            }
            _metrics.Add(metric);
        }
    }

    /// <summary>"stats: answered=12 passed=40 passed.other-type=38 ..." in registration order:
    /// every counter and every family total, and the members of a family that are not zero (the
    /// line stays short enough to read; /metrics has every member).</summary>
    public string StatsLine()
    {
        var line = new StringBuilder("stats:");
        foreach (Metric metric in Metrics)
        {
            line.Append(' ').Append(metric.Name).Append('=').Append(metric.Total().ToString(CultureInfo.InvariantCulture));
            for (int i = 0; i < metric.LabelValues.Count; i++)
            {
                long value = metric.ValueOf(i);
                if (value == 0)
                {
                    continue;
                }
                line.Append(' ').Append(metric.Name).Append('.').Append(metric.LabelValues[i]).Append('=')
                    .Append(value.ToString(CultureInfo.InvariantCulture));
            }
        }
        return line.ToString();
    }

    /// <summary>The Prometheus text exposition format, version 0.0.4: HELP and TYPE lines, then
    /// the samples; counters end in _total.</summary>
    public void WritePrometheus(StringBuilder text)
    {
        foreach (Metric metric in Metrics)
        {
            string name = PrometheusName(metric);
            text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(metric.Help)).Append('\n');
            text.Append("# TYPE ").Append(name).Append(' ').Append(metric.Kind == MetricKind.Counter ? "counter" : "gauge").Append('\n');
            if (metric.Label is null)
            {
                text.Append(name).Append(' ').Append(metric.Total().ToString(CultureInfo.InvariantCulture)).Append('\n');
                continue;
            }
            string label = metric.Label.Replace('-', '_');
            for (int i = 0; i < metric.LabelValues.Count; i++)
            {
                long value = metric.ValueOf(i);
                if (value == 0 && metric.OmitZero)
                {
                    continue;
                }
                text.Append(name).Append('{').Append(label).Append("=\"").Append(EscapeLabel(metric.LabelValues[i]))
                    .Append("\"} ").Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }
    }

    public string PrometheusName(Metric metric) =>
        Prefix + "_" + metric.Name.Replace('-', '_') + (metric.Kind == MetricKind.Counter ? "_total" : "");

    private static bool IsName(string name)
    {
        if (name.Length == 0 || !char.IsAsciiLetterLower(name[0]) || name[^1] == '-')
        {
            return false;
        }
        foreach (char c in name)
        {
            if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c != '-')
            {
                return false;
            }
        }
        return !name.Contains("--", StringComparison.Ordinal);
    }

    private static string EscapeHelp(string help) => help.Replace("\\", "\\\\").Replace("\n", "\\n");

    private static string EscapeLabel(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
