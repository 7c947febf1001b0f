using System.Net;

namespace Postern.Hosting;

/// <summary>What every long-running role takes from the command line besides its own options.</summary>
public sealed record HostOptions
{
    public const int MaxStatsIntervalSeconds = 86_400;

    /// <summary>How often the stats line is logged; zero for only on SIGUSR1 and at exit.</summary>
    public TimeSpan StatsInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Where to serve Prometheus metrics; null for nowhere (the default).</summary>
    public IPEndPoint? MetricsListen { get; init; }
}
