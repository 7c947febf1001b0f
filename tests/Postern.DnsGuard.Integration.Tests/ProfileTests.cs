using Postern.Testing;

namespace Postern.DnsGuard.Integration.Tests;

/// <summary>A server's learned profile follows the server: after the upstream gets faster (its
/// round trip falls from 80 ms to 5 ms, far below the learned floor), the early answers are held
/// at first, and once a run of them has had no rival the floor comes down and answers are
/// accepted at once again, with the learned window (no --hold).</summary>
public sealed class ProfileTests
{
    [RootFact]
    public void When_the_upstream_gets_faster_the_floor_comes_down_and_answers_are_accepted_at_once_again()
    {
        using var lab = new GuardLab();
        using BackgroundProcess guard = lab.StartGuard("--family", "ipv4");
        List<GuardLab.Question> Clean(string run, int count) =>
            Enumerable.Range(0, count).Select(i => new GuardLab.Question($"{run}{i}.example.test", "A", Edns: true)).ToList();

        // Learned at 80 ms.
        Dictionary<string, List<string>> slow = lab.Ask(Clean("slow", 20));
        Assert.Equal(20, slow.Count);
        GuardLab.Stats learned = GuardLab.ReadStats(guard);
        Assert.True(learned["accepted"] >= 20 - 3, learned.Line);
        Assert.Equal(0, learned.Member("held.rtt"));

        lab.Proxy.Signal(10);
        Assert.True(lab.Proxy.WaitForOutput("delay 5 ms", TimeSpan.FromSeconds(10)), lab.Proxy.Output);
        const int Fast = 80;
        Dictionary<string, List<string>> fast = lab.Ask(Clean("fast", Fast));
        GuardLab.Stats after = GuardLab.ReadStats(guard);
        string context = $"before: {learned.Line}\nafter: {after.Line}\n{guard.Output[^Math.Min(3000, guard.Output.Length)..]}";

        // Every answer arrived, the real one, and none was dropped.
        Assert.True(fast.Count == Fast && fast.Values.All(a => a.SequenceEqual(new[] { GuardLab.RealV4 })), context);
        Assert.True(after["dropped"] == 0, context);
        // The first fast answers were held for being early, then the floor came down once, and
        // the rest were accepted at once.
        long held = after.Member("held.rtt");
        long accepted = after["accepted"] - learned["accepted"];
        Assert.True(after["rtt-relearned"] == 1, context);
        Assert.True(held >= 16 && held + accepted == Fast, context);
        Assert.True(accepted >= 20, context);
        Assert.Contains("answers in a row came sooner than its round-trip floor", guard.Output);
    }
}
