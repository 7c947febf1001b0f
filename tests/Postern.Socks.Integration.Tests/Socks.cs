using System.Globalization;
using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Socks.Integration.Tests;

/// <summary>The real postern-socks binary (build/bin) in a namespace, waited for until it is
/// ready; its counters read from the stats line SIGUSR1 asks for.</summary>
internal sealed class Socks : IDisposable
{
    public const int Port = 1080;

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private Socks(BackgroundProcess process)
    {
        Process = process;
    }

    public static string Binary => Repository.Binary("postern-socks");

    public BackgroundProcess Process { get; }

    public string Output => Process.Output;

    public static Socks Start(Netns host, params string[] arguments)
    {
        BackgroundProcess process = host.Start(Binary, new[] { "--stats-interval", "0" }.Concat(arguments).ToArray());
        Assert.True(process.WaitForOutput("ready: listening on", Timeout), "postern-socks did not start:\n" + process.Output);
        return new Socks(process);
    }

    /// <summary>Asks for the counters (SIGUSR1) and returns the new stats line.</summary>
    public string Stats()
    {
        int before = StatsLines().Length;
        Process.Signal(10);
        Assert.True(SpinWait.SpinUntil(() => StatsLines().Length > before, Timeout), "no stats line after SIGUSR1:\n" + Output);
        return StatsLines()[^1];
    }

    private string[] StatsLines() =>
        Output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("postern-socks: stats: ", StringComparison.Ordinal)).ToArray();

    /// <summary>One counter of a stats line ("refused.auth-failed"); one that is not there fails,
    /// except a family member, which the line leaves out while it is zero (its family must be there).</summary>
    public static long Counter(string line, string name)
    {
        Match match = Regex.Match(line, @" " + Regex.Escape(name) + @"=(\d+)");
        if (match.Success)
        {
            return long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        int dot = name.IndexOf('.', StringComparison.Ordinal);
        Assert.True(dot > 0 && Regex.IsMatch(line, " " + Regex.Escape(name.Substring(0, dot)) + @"=\d+"), $"no counter {name} in: {line}");
        return 0;
    }

    public long Counter(string name) => Counter(Stats(), name);

    /// <summary>Waits until a counter reaches <paramref name="atLeast"/>.</summary>
    public bool WaitForCounter(string name, long atLeast, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (Counter(name) >= atLeast)
            {
                return true;
            }
            Thread.Sleep(200);
        }
        return false;
    }

    public void Dispose() => Process.Dispose();
}
