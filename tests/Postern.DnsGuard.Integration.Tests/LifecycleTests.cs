using System.Diagnostics;
using Postern.Testing;

namespace Postern.DnsGuard.Integration.Tests;

/// <summary>Held answers get a verdict on every path (the window's end, the stop), and answers flow
/// when the daemon is stopped or killed (fail open).</summary>
public sealed class LifecycleTests
{
    private static readonly GuardLab.Question s_onlyForged = new("x.noreal.ttlcopy.blocked.example.test", "A", Edns: true);

    [RootFact]
    public void A_held_answer_with_no_rival_is_released_when_the_window_ends()
    {
        using var lab = new GuardLab();
        using BackgroundProcess guard = lab.StartGuard("--family", "ipv4", "--hold", "400");
        var clock = Stopwatch.StartNew();
        Dictionary<string, List<string>> answers = lab.Ask(new[] { s_onlyForged });
        long elapsed = clock.ElapsedMilliseconds;
        Assert.Equal(new[] { "198.51.100.66" }, answers[s_onlyForged.Name]);
        Assert.True(elapsed >= 380, $"answered after {elapsed} ms, before the 400 ms window ended");
        GuardLab.Stats stats = GuardLab.ReadStats(guard);
        Assert.Equal(1, stats.Member("released.window"));
        Assert.Equal(0, stats["holding"]);
    }

    [RootFact]
    public void Held_answers_are_released_when_the_daemon_stops_and_its_rules_go()
    {
        using var lab = new GuardLab();
        BackgroundProcess guard = lab.StartGuard("--family", "ipv4", "--hold", "2000");
        var ask = Task.Run(() => lab.Ask(new[] { s_onlyForged }));
        // Wait until the forged answer is held, then stop the daemon.
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (GuardLab.ReadStats(guard)["holding"] == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the forged answer was never held: " + guard.Output);
            Thread.Sleep(20);
        }
        var clock = Stopwatch.StartNew();
        guard.Signal(15);
        Assert.True(guard.WaitForExit(TimeSpan.FromSeconds(30)), "postern-dnsguard did not stop");
        Dictionary<string, List<string>> answers = ask.Result;
        Assert.Equal(new[] { "198.51.100.66" }, answers[s_onlyForged.Name]);
        Assert.True(clock.ElapsedMilliseconds < 1900, $"the answer came {clock.ElapsedMilliseconds} ms after the stop: it waited for the window");
        Assert.Equal(0, guard.ExitCode);
        Assert.Equal(1, GuardLab.LastStats(guard).Member("released.stop"));
        Assert.Equal(0, lab.CountRules());
        guard.Dispose();
    }

    [RootFact]
    public void Answers_flow_when_the_daemon_is_killed_and_cleanup_removes_its_rules()
    {
        using var lab = new GuardLab();
        BackgroundProcess guard = lab.StartGuard();
        Assert.Equal(8 / 2, lab.CountRules());
        guard.Signal(9);
        Assert.True(guard.WaitForExit(TimeSpan.FromSeconds(30)));
        // The rules are still there: --queue-bypass lets the packets through with no one bound.
        Assert.Equal(4, lab.CountRules());
        var clean = Enumerable.Range(0, 5).Select(i => new GuardLab.Question($"after-kill{i}.example.test", "A", Edns: true)).ToList();
        Dictionary<string, List<string>> answers = lab.Ask(clean);
        Assert.All(clean, q => Assert.Equal(new[] { GuardLab.RealV4 }, answers[q.Name]));
        CommandResult cleanup = lab.Gateway.Run(Repository.Binary("postern-dnsguard"), "--cleanup");
        Assert.True(cleanup.ExitCode == 0, cleanup.Output + cleanup.Error);
        Assert.Equal(0, lab.CountRules());
        guard.Dispose();
    }

    [RootFact]
    public void A_bad_flag_names_the_problem_and_exits_2_before_touching_any_rule()
    {
        using var lab = new GuardLab();
        CommandResult result = lab.Gateway.Run(Repository.Binary("postern-dnsguard"), "--hold", "1");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--hold: 1 ms is out of range", result.Output + result.Error, StringComparison.Ordinal);
        Assert.Equal(0, lab.CountRules());
    }
}
