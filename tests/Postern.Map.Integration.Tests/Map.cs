using System.Text.RegularExpressions;
using Postern.Testing;
using Xunit;

namespace Postern.Map.Integration.Tests;

/// <summary>Starting the lab's reflector and postern-map, and reading what they said.</summary>
internal static class Map
{
    public const string Binary = "postern-map";

    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>postern-reflector on the reflector host: STUN over UDP and TCP on 3478 at its
    /// first address, RFC 5780's alternate at the second, port 3479.</summary>
    public static BackgroundProcess StartReflector(PunchLab lab)
    {
        BackgroundProcess reflector = lab.Reflector.Start(Repository.Binary("postern-reflector"),
            "--listen", $"udp:{PunchLab.ReflectorAddress}:3478,tcp:0.0.0.0:3478", "--alternate", $"{PunchLab.ReflectorAlternateAddress}:3479",
            "--stats-interval", "0");
        Assert.True(reflector.WaitForOutput("ready:", Deadline), "postern-reflector did not start:\n" + reflector.Output);
        return reflector;
    }

    public static BackgroundProcess Start(Netns host, params string[] arguments) =>
        host.Start(Repository.Binary(Binary), arguments.Concat(new[] { "--stats-interval", "0" }));

    /// <summary>Waits for the ready line; fails with everything it said.</summary>
    public static void WaitReady(BackgroundProcess map) =>
        Assert.True(map.WaitForOutput("postern-map: ready:", Deadline), "postern-map did not become ready:\n" + map.Output);

    /// <summary>SIGTERM: a clean stop, exit 0, the last stats line and "stopped".</summary>
    public static void Stop(BackgroundProcess map)
    {
        map.Signal(15);
        Assert.True(map.WaitForExit(Deadline), "postern-map did not stop on SIGTERM:\n" + map.Output);
        Assert.True(map.ExitCode == 0, $"postern-map exited {map.ExitCode} on SIGTERM:\n{map.Output}");
        Assert.True(map.Output.Contains("postern-map: stopped", StringComparison.Ordinal), map.Output);
    }

    /// <summary>The last stats line it printed ("" when none yet).</summary>
    public static string LastStats(BackgroundProcess map) =>
        Regex.Matches(map.Output, "^postern-map: stats: .*$", RegexOptions.Multiline).LastOrDefault()?.Value ?? "";

    /// <summary>A counter of the last stats line; fails when the line or the counter is missing
    /// (a renamed counter must not read as 0).</summary>
    public static long Counter(BackgroundProcess map, string counter)
    {
        string line = LastStats(map);
        Match value = Regex.Match(line, $@" {Regex.Escape(counter)}=(\d+)(?= |$)");
        Assert.True(value.Success, $"no counter {counter} in the last stats line:\n{line}\n{map.Output}");
        return long.Parse(value.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Asks for the stats line (SIGUSR1) until <paramref name="counter"/> reaches
    /// <paramref name="least"/>; fails with its last value (or its absence) and the output.</summary>
    public static void WaitCounter(BackgroundProcess map, string counter, long least)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < Deadline && !map.HasExited)
        {
            int lines = StatsLines(map);
            map.Signal(10);
            var asked = System.Diagnostics.Stopwatch.StartNew();
            while (StatsLines(map) == lines && asked.Elapsed < TimeSpan.FromSeconds(5))
            {
                Thread.Sleep(50);
            }
            if (Counter(map, counter) >= least)
            {
                return;
            }
            Thread.Sleep(250);
        }
        Assert.Fail($"{counter} did not reach {least}:\n{map.Output}");
    }

    /// <summary>Asks for one stats line (SIGUSR1) and waits for it.</summary>
    public static void RequestStats(BackgroundProcess map)
    {
        int lines = StatsLines(map);
        map.Signal(10);
        var asked = System.Diagnostics.Stopwatch.StartNew();
        while (StatsLines(map) == lines && asked.Elapsed < Deadline && !map.HasExited)
        {
            Thread.Sleep(50);
        }
        Assert.True(StatsLines(map) > lines, "no stats line after SIGUSR1:\n" + map.Output);
    }

    private static int StatsLines(BackgroundProcess map) =>
        Regex.Matches(map.Output, "^postern-map: stats: ", RegexOptions.Multiline).Count;

    /// <summary>The hook lines ("HOOK" and the six arguments) printed by <c>--hook "echo HOOK"</c>.</summary>
    public static string[] HookLines(BackgroundProcess map) =>
        Regex.Matches(map.Output, "^HOOK .*$", RegexOptions.Multiline).Select(m => m.Value.TrimEnd('\r')).ToArray();

    /// <summary>Waits until the hook has printed <paramref name="count"/> lines.</summary>
    public static string[] WaitHookLines(BackgroundProcess map, int count)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (HookLines(map).Length < count && clock.Elapsed < Deadline && !map.HasExited)
        {
            Thread.Sleep(50);
        }
        string[] lines = HookLines(map);
        Assert.True(lines.Length >= count, $"expected {count} hook runs, saw {lines.Length}:\n" + map.Output);
        return lines;
    }
}
