namespace Postern.Hosting;

/// <summary>Prometheus metric types (exposition format 0.0.4).</summary>
public enum MetricKind
{
    /// <summary>Only ever goes up while the process lives.</summary>
    Counter,

    /// <summary>A level that goes up and down (packets waiting, connections open).</summary>
    Gauge,
}
