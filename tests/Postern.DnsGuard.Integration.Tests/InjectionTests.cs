using Xunit.Abstractions;
using Postern.Testing;

namespace Postern.DnsGuard.Integration.Tests;

/// <summary>The injector lab: without postern-dnsguard the client gets the forged answers; with
/// it, the real ones, for every variant of forgery (random TTL, TTL copied from the query, with
/// and without OPT, bogus A and AAAA addresses).</summary>
public sealed class InjectionTests(ITestOutputHelper output)
{
    private static readonly string[] s_variants = { "ttlrand", "ttlcopy", "ttlcopyopt", "listed" };

    private static List<GuardLab.Question> Poisoned(int perVariant, string run)
    {
        var questions = new List<GuardLab.Question>();
        for (int i = 0; i < perVariant; i++)
        {
            foreach (string variant in s_variants)
            {
                // ttlrand asks without EDNS; the others with it (dig's default).
                questions.Add(new GuardLab.Question($"{run}{i}.{variant}.blocked.example.test", i % 2 == 0 ? "A" : "AAAA", Edns: variant != "ttlrand"));
            }
        }
        return questions;
    }

    private static bool IsReal(string address) => address is GuardLab.RealV4 or GuardLab.RealV6;

    private static void Warm(GuardLab lab)
    {
        var clean = Enumerable.Range(0, 8).Select(i => new GuardLab.Question($"warm{i}.example.test", "A", Edns: i % 2 == 0)).ToList();
        Dictionary<string, List<string>> answers = lab.Ask(clean);
        Assert.All(clean, q => Assert.Equal(new[] { GuardLab.RealV4 }, answers[q.Name]));
    }

    [RootFact]
    public void Without_the_guard_the_client_takes_the_forged_answers()
    {
        using var lab = new GuardLab();
        List<GuardLab.Question> questions = Poisoned(perVariant: 50, "bare");
        Dictionary<string, List<string>> answers = lab.Ask(questions);
        int forged = questions.Count(q => answers.TryGetValue(q.Name, out List<string>? a) && a.Count == 1 && !IsReal(a[0]));
        // The injector must really win the race, or the guarded run proves nothing.
        output.WriteLine($"{forged} of {questions.Count} answers were forged without the guard");
        Assert.True(forged >= questions.Count * 98 / 100, $"only {forged} of {questions.Count} answers were forged; injector: {lab.InjectorProcess.Output[^Math.Min(2000, lab.InjectorProcess.Output.Length)..]}");
    }

    [RootFact]
    public void With_the_guard_every_poisoned_name_gets_the_real_answer()
    {
        using var lab = new GuardLab();
        string bogus = Path.Combine(lab.Scratch, "bogus.txt");
        File.WriteAllText(bogus, "# the injector's listed addresses\n203.0.113.66\n2001:db8:bad::/48\n");
        // A fixed window of 1 s rather than the learned one (2 x RTT + 10 ms): on a loaded CI
        // machine the lab's Python upstream has stalled a real answer past 170 ms; the learned
        // window is the unit tests' and the benchmark's. Debug lines name every verdict.
        using BackgroundProcess guard = lab.StartGuard("--chain", "forward", "--family", "ipv4", "--bogus-file", bogus, "--hold", "1000", "--debug");
        Warm(lab);
        int forgedBefore = CountForgeries(lab, listed: false);
        int listedBefore = CountForgeries(lab, listed: true);

        List<GuardLab.Question> questions = Poisoned(perVariant: 260, "g");
        Dictionary<string, List<string>> answers = lab.Ask(questions);

        var wrong = questions.Where(q => !(answers.TryGetValue(q.Name, out List<string>? a) && a.Count == 1 && IsReal(a[0])))
            .Select(q => $"{q.Name} {q.Type}: {(answers.TryGetValue(q.Name, out List<string>? a) ? string.Join(',', a) : "no answer")}")
            .ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {questions.Count} without the real answer: {string.Join("; ", wrong.Take(10))}\n" +
            string.Join('\n', guard.Output.Split('\n').Where(line => wrong.Any(w => line.Contains("stats:", StringComparison.Ordinal)))));

        int forged = CountForgeries(lab, listed: false) - forgedBefore;
        int listed = CountForgeries(lab, listed: true) - listedBefore;
        Assert.True(forged >= 780 && listed >= 260, $"the injector forged {forged} + {listed} listed answers");
        GuardLab.Stats stats = GuardLab.ReadStats(guard);
        output.WriteLine($"{questions.Count} poisoned queries, {forged} + {listed} listed forgeries; {stats.Line}");
        // The profile lines follow the stats line on SIGUSR1.
        Assert.True(guard.WaitForOutput("server 203.0.113.2: learned", TimeSpan.FromSeconds(20)), "no profile line for the upstream");
        output.WriteLine(guard.Output.Split('\n').Last(line => line.Contains("server 203.0.113.2: learned", StringComparison.Ordinal)));
        // Every forgery the guard saw is accounted for: a listed one dropped at once, any other
        // held and beaten by the real answer (each win drops exactly one held answer). The
        // injector's count is what it sent; one run saw 2 of 1,040 never reach the gateway's
        // queue (the client got the real answer for all), so it bounds from above.
        Assert.Equal(stats["won"], stats.Member("dropped.superseded"));
        Assert.True(stats.Member("dropped.bogus") <= listed && stats.Member("dropped.bogus") >= listed * 99 / 100,
            $"{stats.Member("dropped.bogus")} listed answers dropped of {listed} sent");
        Assert.True(stats["won"] <= forged && stats["won"] >= forged * 99 / 100, $"{stats["won"]} forgeries beaten of {forged} sent");
        // No forged answer outlived its window: the only ones released are the warm-up's, held
        // while the server was not learned yet.
        Assert.Equal(stats.Member("held.unlearned"), stats.Member("released.window"));
        // Each answer counted once, under one outcome.
        Assert.Equal(stats["answers"], stats["accepted"] + stats["won"] + stats["held"] + stats["passed"] + stats.Member("dropped.bogus"));
        Assert.Equal(0, stats["handler-errors"]);
        Assert.Equal(0, stats["holding"]);
    }

    private static int CountForgeries(GuardLab lab, bool listed) =>
        lab.InjectorProcess.Output.Split('\n').Count(line => line.StartsWith("forged ", StringComparison.Ordinal) &&
                                                            line.StartsWith("forged listed", StringComparison.Ordinal) == listed);
}
