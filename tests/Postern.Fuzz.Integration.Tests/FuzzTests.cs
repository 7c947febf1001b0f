using Postern.Testing;

namespace Postern.Fuzz.Integration.Tests;

/// <summary>The short version of `make fuzz` (issue 8, "Bad input"; postern-socks from issue 11):
/// 50,000 random and mutated packets to each daemon through the real kernel paths, with every counter checked against what
/// was sent and what the kernel counted; then the daemon must still answer a real client, exit 0
/// on SIGTERM and leave no rule. The checks themselves are in bench/fuzz.sh, so that the million
/// packets of `make fuzz` and these 50,000 are held to the same account.</summary>
public sealed class FuzzTests
{
    private const int Packets = 50_000;

    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    [RootFact]
    public void Postern_aaaa_survives_and_accounts_for_50000_bad_packets()
    {
        FuzzRun run = FuzzRun.Start("aaaa", Packets, Limit);

        Assert.True(run.Failures.Count == 0, string.Join('\n', run.Failures) + "\n" + run);
        Assert.True(run.ExitCode == 0, run.ToString());
        // The checks that matter most, by name, so that a script that stopped checking fails here.
        foreach (string phase in new[] { "aaaa-udp", "aaaa-udp6", "aaaa-ip", "aaaa-flood", "aaaa-any" })
        {
            Assert.True(run.Holds(phase + ": every packet read got one outcome: queued = answered + passed"), phase + "\n" + run);
            Assert.True(run.Holds(phase + ": rule hits ("), phase + "\n" + run);
            // Unpaced, a few answers may vanish where no per-namespace counter sees them: the
            // flood's account allows 1% and says how many (bench/fuzz.sh); the paced phases are exact.
            Assert.True(run.Holds(phase == "aaaa-flood"
                ? "aaaa-flood: answers that reached the client's UDP layer or were dropped by the veth ("
                : phase + ": datagrams that reached the client's UDP layer + answers the veth dropped = answered"), phase + "\n" + run);
            Assert.True(run.Holds(phase + ": verdicts lost"), phase + "\n" + run);
        }
        Assert.True(run.Holds("aaaa-udp: server UDP arrivals + veth drops = sent - answered"), run.ToString());
        Assert.True(run.Holds("aaaa-udp6: server UDP arrivals + veth drops = sent - answered"), run.ToString());
        Assert.True(run.Holds("aaaa-any: server UDP arrivals + veth drops = sent - answered"), run.ToString());
        Assert.True(run.Holds("aaaa-ip: every frame reached the server's IP layer"), run.ToString());
        // Found by the fuzzing: frames with a wrong UDP checksum were answered.
        Assert.True(run.Holds("aaaa-ip: no frame with a wrong UDP checksum was answered"), run.ToString());
        Assert.True(run.Holds("aaaa-any: without the prefilter every datagram was queued"), run.ToString());
        foreach (string session in new[] { "aaaa-prefilter", "aaaa-no-prefilter" })
        {
            Assert.True(run.Holds(session + ": postern-aaaa still runs"), session + "\n" + run);
            Assert.True(run.Holds(session + ": dig AAAA gets NOERROR with Postern's SOA"), session + "\n" + run);
            Assert.True(run.Holds(session + ": dig AAAA over IPv6 gets NOERROR with Postern's SOA"), session + "\n" + run);
        }
        Assert.Equal(2, run.Passed.Count(line => line.StartsWith("ok: postern-aaaa exit status after SIGTERM (0 = 0)", StringComparison.Ordinal)));
        Assert.Equal(2, run.Passed.Count(line => line.StartsWith("ok: rules tagged postern- left in the server after postern-aaaa stopped (0 = 0)", StringComparison.Ordinal)));
    }

    [RootFact]
    public void Postern_reflector_survives_and_accounts_for_50000_bad_datagrams()
    {
        FuzzRun run = FuzzRun.Start("reflector", Packets, Limit);

        Assert.True(run.Failures.Count == 0, string.Join('\n', run.Failures) + "\n" + run);
        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (string phase in new[] { "reflector-udp", "reflector-udp6" })
        {
            Assert.True(run.Holds(phase + ": every datagram sent reached the server's UDP layer"), phase + "\n" + run);
            Assert.True(run.Holds(phase + ": outcomes (answered + malformed + ignored + rate-limited + oversize) = datagrams sent"), phase + "\n" + run);
            Assert.True(run.Holds(phase + ": datagrams back at the client + answers the veth dropped = answered - send-errors"), phase + "\n" + run);
        }
        Assert.True(run.Holds("reflector-tcp: connections accepted and counted = opened"), run.ToString());
        Assert.True(run.Holds("reflector: postern-reflector still runs"), run.ToString());
        Assert.True(run.Holds("reflector: turnutils_stunclient gets its mapping"), run.ToString());
        Assert.True(run.Holds("postern-reflector exit status after SIGTERM (0 = 0)"), run.ToString());
    }

    [RootFact]
    public void Postern_socks_survives_and_accounts_for_50000_bad_datagrams_and_bad_handshakes()
    {
        FuzzRun run = FuzzRun.Start("socks", Packets, Limit);

        Assert.True(run.Failures.Count == 0, string.Join('\n', run.Failures) + "\n" + run);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(run.Holds("socks-tcp: connections counted by postern-socks = opened"), run.ToString());
        Assert.True(run.Holds("socks-tcp: one outcome per connection: connects + associations + refused + aborted = connections"), run.ToString());
        Assert.True(run.Holds("socks-tcp: connections the server had not closed 3 s after the bytes ("), run.ToString());
        Assert.True(run.Holds("socks-udp: the association stayed open through the datagrams (1 = 1)"), run.ToString());
        Assert.True(run.Holds("socks-udp: every datagram sent reached the server's UDP layer"), run.ToString());
        Assert.True(run.Holds("socks-udp: outcomes (relayed to the remote + dropped + refused by the kernel) + server UDP InErrors = datagrams sent"), run.ToString());
        Assert.True(run.Holds("socks-udp: from the client's address, another port: all dropped as wrong-port"), run.ToString());
        Assert.True(run.Holds("socks-udp: from another address: all dropped as not-client"), run.ToString());
        Assert.True(run.Holds("socks-udp: the sink got every valid datagram"), run.ToString());
        Assert.True(run.Holds("socks: postern-socks still runs"), run.ToString());
        Assert.True(run.Holds("socks: curl gets a page through postern-socks (CONNECT)"), run.ToString());
        Assert.True(run.Holds("socks: 5 datagrams echo through a UDP association (udppeer.py socks)"), run.ToString());
        Assert.True(run.Holds("postern-socks exit status after SIGTERM (0 = 0)"), run.ToString());
    }
}
