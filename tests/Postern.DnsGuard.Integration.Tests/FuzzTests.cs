using Postern.Testing;

namespace Postern.DnsGuard.Integration.Tests;

/// <summary>Fuzzed queries and answers through the real daemon, over IPv4 and IPv6: fuzzdns.py's
/// client sends 20,000 queries (a fifth of them truncated, bit-flipped or random) and its
/// responder on the upstream answers each with a valid, truncated, bit-flipped, miscounted,
/// badly named, random or oversized answer, or with a mutated answer and then the valid one. The
/// daemon survives and stops cleanly, every query reaches the upstream, and every answer reaches
/// the client except those the guard counted as dropped.</summary>
public sealed class FuzzTests
{
    private const int Count = 20_000;
    private const int Rate = 2_000;

    [RootTheory]
    [InlineData("ipv4", GuardLab.FuzzV4, 1)]
    [InlineData("ipv6", GuardLab.FuzzV6, 2)]
    public void Fuzzed_queries_and_answers_lose_nothing_and_every_drop_is_counted(string family, string address, int seed)
    {
        using var lab = new GuardLab(injector: false);
        using BackgroundProcess responder = lab.StartFuzzResponder(address, seed);
        using BackgroundProcess guard = lab.StartGuard("--family", family);
        Dictionary<string, long> client = lab.RunFuzzClient(address, Count, Rate, seed);

        Assert.False(guard.HasExited, "postern-dnsguard died under fuzzing:\n" + guard.Output);
        GuardLab.Stats stats = GuardLab.ReadStats(guard);
        responder.Signal(15);
        Assert.True(responder.WaitForOutput("answered=", TimeSpan.FromSeconds(20)), "the responder printed no counts: " + responder.Output);
        Dictionary<string, long> upstream = GuardLab.ParseCounts(responder.Output.Trim().Split('\n')[^1]);
        guard.Signal(15);
        Assert.True(guard.WaitForExit(TimeSpan.FromSeconds(30)), "postern-dnsguard did not stop");
        Assert.Equal(0, guard.ExitCode);
        Assert.Equal(0, lab.CountRules());
        string context = $"client: {string.Join(' ', client.Select(p => p.Key + "=" + p.Value))}\nupstream: " +
                         $"{string.Join(' ', upstream.Select(p => p.Key + "=" + p.Value))}\nguard: {stats.Line}\n{lab.LossCounters()}";

        // Queries always pass: every one the client sent reached the responder.
        Assert.True(client["sent"] == Count, context);
        Assert.True(upstream["received"] == Count, context);
        // Every datagram was read from the queue once and counted in one direction; every answer
        // reached the client unless dropped.
        // Answers too large for one packet arrive in fragments (the lab's gateway has no conntrack
        // to reassemble them): only the first matches the rule's port, and it passes unjudged.
        long fragmented = upstream["answered.fragmented"];
        Assert.True(fragmented > 0, context);
        Assert.True(stats["fragments"] == fragmented, context);
        Assert.True(stats["queued"] == Count + upstream["answered"], context);
        Assert.True(stats["queries"] + stats["queries-unreadable"] == Count, context);
        Assert.True(stats["unreadable"] == 0, context); // the kernel wrote every IP and UDP header
        long answered = upstream["answered"] - fragmented;
        Assert.True(stats["answers"] == answered, context);
        Assert.True(client["received"] == upstream["answered"] - stats["dropped"], context);
        // Dropped only ever a held answer beaten by a later one (no bogus list here), and at
        // most one per "double" (a mutated answer, then the valid one).
        Assert.True(stats["dropped"] == stats.Member("dropped.superseded"), context);
        Assert.True(stats["dropped"] <= upstream["answered.double.mutated"], context);
        // Each answer got one verdict: accepted at once, accepted over a held one (won), held, or
        // passed unjudged; every held one ended, released or beaten.
        Assert.True(stats["accepted"] + stats["won"] + stats["held"] + stats["passed"] == answered, context);
        Assert.True(stats["released"] + stats["dropped"] == stats["held"], context);
        Assert.True(stats["holding"] == 0, context);
        // The fuzz reached every path: parsed and judged, held, and passed as unparseable.
        Assert.True(stats["accepted"] > 0 && stats["held"] > 0 && stats.Member("passed.unparsed") > 0, context);
        Assert.True(stats["queue-dropped"] == 0 && stats["user-dropped"] == 0, context);
    }
}
