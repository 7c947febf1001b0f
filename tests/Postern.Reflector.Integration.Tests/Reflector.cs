using System.Globalization;
using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Reflector.Integration.Tests;

/// <summary>The real postern-reflector binary (build/bin), started in a namespace or on this
/// host's loopback, waited for until it says it listens.</summary>
internal static class Reflector
{
    public static string Binary => Repository.Binary("postern-reflector");

    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    public static BackgroundProcess StartIn(Netns host, params string[] arguments)
    {
        BackgroundProcess process = host.Start(Binary, arguments);
        WaitUntilListening(process);
        return process;
    }

    public static BackgroundProcess StartOnLoopback(IDictionary<string, string>? environment, params string[] arguments)
    {
        var process = new BackgroundProcess(Binary, arguments, environment);
        try
        {
            WaitUntilListening(process);
        }
        catch
        {
            process.Dispose();
            throw;
        }
        return process;
    }

    private static void WaitUntilListening(BackgroundProcess process)
    {
        Assert.True(process.WaitForOutput("listening on", StartTimeout), "postern-reflector did not start:\n" + process.Output);
    }

    /// <summary>The port bound for a listen address given with port 0, from the start-up line.</summary>
    public static int BoundPort(BackgroundProcess process, string transportAndHost)
    {
        Match match = Regex.Match(process.Output, Regex.Escape(transportAndHost) + @":(\d+)");
        Assert.True(match.Success, $"no {transportAndHost} in: {process.Output}");
        return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>Lines of the counter summary (SIGUSR1, the stop): "stats: ...", with the
    /// program's name or a journald priority prefix.</summary>
    private static readonly Regex s_counterLine = new(@"^(?:<\d>|postern-reflector: )stats: ", RegexOptions.Multiline);

    public static string[] CounterLines(string output) =>
        output.Split('\n').Select(line => line.TrimEnd('\r')).Where(line => s_counterLine.IsMatch(line)).ToArray();

    /// <summary>One counter's value from a summary line; a counter that is not there fails.</summary>
    public static long Counter(string line, string name)
    {
        Match match = Regex.Match(line, @"(?:^|[ (])" + Regex.Escape(name) + @"=(\d+)");
        Assert.True(match.Success, $"no counter {name} in: {line}");
        return long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>Asks for the counters (SIGUSR1) until a summary line says what
    /// <paramref name="done"/> waits for, and returns that line.</summary>
    public static string PollCounters(BackgroundProcess reflector, Func<string, bool> done, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string last = "";
        while (clock.Elapsed < timeout)
        {
            int seen = CounterLines(reflector.Output).Length;
            reflector.Signal(10); // SIGUSR1
            var wait = System.Diagnostics.Stopwatch.StartNew();
            string[] lines;
            while ((lines = CounterLines(reflector.Output)).Length <= seen && wait.Elapsed < TimeSpan.FromSeconds(5))
            {
                Thread.Sleep(20);
            }
            if (lines.Length > seen)
            {
                last = lines[^1];
                if (done(last))
                {
                    return last;
                }
            }
            Thread.Sleep(100);
        }
        Assert.Fail($"the counters never said what the test waits for; last: {last}\n{reflector.Output}");
        return last;
    }
}
