using Xunit.Abstractions;
using System.Globalization;
using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.DnsGuard.Integration.Tests;

/// <summary>Clean names under dnsperf load through the guarded gateway: nothing dropped, nothing
/// left held, and the counters account for every answer. (How much latency the guard adds is
/// measured in bench/dnsguard.bench.sh, not here.)</summary>
public sealed partial class LoadTests(ITestOutputHelper output)
{
    private const int Names = 10_000;
    private const int Passes = 50;

    [RootFact]
    public void Half_a_million_clean_answers_pass_and_the_counters_agree()
    {
        using var lab = new GuardLab(injector: false);
        using BackgroundProcess guard = lab.StartGuard("--family", "ipv4");
        // The profile is learned from a few answers first, as on a gateway that has run a moment.
        Dictionary<string, List<string>> warm = lab.Ask(Enumerable.Range(0, 8).Select(i => new GuardLab.Question($"warm{i}.example.test", "A", Edns: false)).ToList());
        Assert.Equal(8, warm.Count);

        string file = Path.Combine(lab.Scratch, "names.txt");
        File.WriteAllLines(file, Enumerable.Range(0, Names).Select(i => $"clean{i}.example.test A"));
        // A rate dnsmasq keeps up with on a loaded 2-core machine, so that a lost query would be the guard's.
        CommandResult run = lab.Client.Run(TimeSpan.FromMinutes(8), "dnsperf", "-s", GuardLab.UpstreamV4, "-d", file,
            "-n", Passes.ToString(CultureInfo.InvariantCulture), "-c", "4", "-q", "64", "-Q", "8000", "-t", "5");
        Assert.True(run.Succeeded, run.ToString());
        long sent = Number(SentPattern(), run.Output);
        long completed = Number(CompletedPattern(), run.Output);
        long lost = Number(LostPattern(), run.Output);
        Assert.Equal((long)Names * Passes, sent);

        GuardLab.Stats stats = GuardLab.ReadStats(guard);
        output.WriteLine($"dnsperf: {sent} sent, {completed} completed, {lost} lost; {stats.Line}");
        Assert.Equal(0, stats["dropped"]);
        Assert.Equal(0, stats["holding"]);
        Assert.Equal(0, stats.Member("passed.hold-full"));
        Assert.Equal(0, stats["handler-errors"]);
        Assert.Equal(0, stats["verdicts-lost"]);
        // Every held answer got its verdict: released at the window's end (no rival: clean names).
        Assert.Equal(stats["held"], stats["released"]);
        // Each answer is counted once, under one outcome.
        Assert.Equal(stats["answers"], stats["accepted"] + stats["won"] + stats["held"] + stats["passed"] + stats["dropped"]);
        Assert.True(stats["answers"] >= completed, $"the guard saw {stats["answers"]} answers, dnsperf got {completed}");
        Assert.True(stats["queries"] >= sent, $"the guard saw {stats["queries"]} queries of {sent}");
        // The upstream may lose a few under load; the guard dropped none (above), so the client
        // must have every answer that reached the gateway, and nearly all of them.
        Assert.True(lost <= sent / 1000, $"{lost} of {sent} queries lost:\n{run.Output}");
    }

    private static long Number(Regex pattern, string output)
    {
        Match match = pattern.Match(output);
        Assert.True(match.Success, "dnsperf printed no " + pattern + ":\n" + output);
        return long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"Queries sent:\s+(\d+)")]
    private static partial Regex SentPattern();

    [GeneratedRegex(@"Queries completed:\s+(\d+)")]
    private static partial Regex CompletedPattern();

    [GeneratedRegex(@"Queries lost:\s+(\d+)")]
    private static partial Regex LostPattern();
}
