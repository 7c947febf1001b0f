using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Postern.Punch;
using Postern.Wire;

namespace Postern.Punch.Tests;

/// <summary>The agreement to move a relayed path to a direct one, between real UDP sockets on
/// loopback: who moves when, and what is ignored. The lab test (RelayUpgradeTests) runs it
/// between two NATs with a relay.</summary>
public sealed class DirectUpgradeTests : IDisposable
{
    private static readonly byte[] s_key = PairingCode.ProbeKey("ABCDEFGHJKMNPQRS");
    private static readonly HoldSettings s_fast = new()
    {
        UpgradeInterval = TimeSpan.FromMilliseconds(20),
        UpgradeMaxInterval = TimeSpan.FromMilliseconds(100),
    };
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(20);

    private readonly PunchPort _a = PunchPort.Open(AddressFamily.InterNetwork, 0);
    private readonly PunchPort _b = PunchPort.Open(AddressFamily.InterNetwork, 0);
    private readonly byte[] _buffer = new byte[2048];

    private IPEndPoint EndPointOf(PunchPort port) => new(IPAddress.Loopback, port.LocalEndPoint.Port);

    private DirectUpgrade Upgrade(PunchPort port, PunchPort peer, ulong senderId, PunchCounters counters, int openerTtl = 0) =>
        new(port, new[] { new Candidate(EndPointOf(peer), CandidateKind.Direct) }, s_key, senderId, s_fast, openerTtl,
            TimeSpan.FromMilliseconds(5), counters);

    [Fact]
    public void Both_sides_move_each_to_where_the_other_is_after_one_offer_and_its_answer()
    {
        var countersA = new PunchCounters();
        var countersB = new PunchCounters();
        DirectUpgrade a = Upgrade(_a, _b, 1, countersA, openerTtl: 2);
        DirectUpgrade b = Upgrade(_b, _a, 2, countersB, openerTtl: 2);
        bool movedA = false, movedB = false;
        var clock = Stopwatch.StartNew();
        while (!(movedA && movedB))
        {
            Assert.True(clock.Elapsed < s_deadline, $"moved: a {movedA}, b {movedB}");
            long now = Stopwatch.GetTimestamp();
            if (!movedA)
            {
                a.Poll(now);
            }
            if (!movedB)
            {
                b.Poll(now);
            }
            movedA |= Drain(_a, movedA ? null : a);
            movedB |= Drain(_b, movedB ? null : b);
            Thread.Sleep(1);
        }
        Assert.Equal(EndPointOf(_b), a.Direct);
        Assert.Equal(EndPointOf(_a), b.Direct);
        // The side that probed first sent its opener first; the other may have moved on the
        // offer before its own first round came due.
        Assert.True(countersA.UpgradeProbesSent + countersB.UpgradeProbesSent > 0);
        Assert.True(countersA.OpenersSent + countersB.OpenersSent > 0);
        Assert.True(countersA.AnswersReceived + countersB.AnswersReceived > 0);
        // One offer made the move (two if they crossed), and every offer was answered.
        long offers = countersA.SwitchOffersSent + countersB.SwitchOffersSent;
        Assert.InRange(offers, 1, 2 * DirectUpgrade.OfferTries);
        Assert.True(countersA.SwitchOffersReceived + countersB.SwitchOffersReceived >= 1);
        Assert.Equal(0, countersA.ProbesForged + countersB.ProbesForged);
    }

    [Fact]
    public void An_answered_probe_alone_moves_nothing_the_offer_waits_for_its_own_answer()
    {
        var counters = new PunchCounters();
        DirectUpgrade a = Upgrade(_a, _b, 1, counters);
        PunchProbe offer = RunUntilOffered(a);
        Assert.Equal(EndPointOf(_b), a.Offered);
        Assert.Null(a.Direct);

        // A switch answer under another key, then with another nonce, then from elsewhere: ignored.
        byte[] otherKey = PairingCode.ProbeKey("ZZZZZZZZZZZZZZZZ");
        Assert.Equal(DirectUpgrade.Step.Ignored, a.Handle(Probe(PunchProbeKind.SwitchAnswer, offer.Nonce, 9, otherKey), EndPointOf(_b), Now()));
        Assert.Equal(1, counters.ProbesForged);
        Assert.Equal(DirectUpgrade.Step.Ignored, a.Handle(Probe(PunchProbeKind.SwitchAnswer, offer.Nonce + 1, 9, s_key), EndPointOf(_b), Now()));
        Assert.Equal(DirectUpgrade.Step.Ignored,
            a.Handle(Probe(PunchProbeKind.SwitchAnswer, offer.Nonce, 9, s_key), new IPEndPoint(IPAddress.Loopback, 9), Now()));
        Assert.Equal(2, counters.UnknownNonce);
        // Our own offer, hairpinned back, is no answer either.
        Assert.Equal(DirectUpgrade.Step.Ignored, a.Handle(Probe(PunchProbeKind.Switch, offer.Nonce, 1, s_key), EndPointOf(_b), Now()));
        Assert.Null(a.Direct);

        // The peer's program speaking from the offered address means the peer has moved: data.
        Assert.Equal(DirectUpgrade.Step.Data, a.Handle("not a probe"u8, EndPointOf(_b), Now()));
        Assert.Equal(DirectUpgrade.Step.Ignored, a.Handle("not a probe"u8, new IPEndPoint(IPAddress.Loopback, 9), Now()));
        Assert.Equal(1, counters.Stray);

        Assert.Equal(DirectUpgrade.Step.Switch, a.Handle(Probe(PunchProbeKind.SwitchAnswer, offer.Nonce, 9, s_key), EndPointOf(_b), Now()));
        Assert.Equal(EndPointOf(_b), a.Direct);
    }

    [Fact]
    public void An_authentic_offer_is_answered_and_moves_the_side_that_gets_it()
    {
        var counters = new PunchCounters();
        DirectUpgrade b = Upgrade(_b, _a, 2, counters);
        Assert.Equal(DirectUpgrade.Step.Switch, b.Handle(Probe(PunchProbeKind.Switch, 77, 1, s_key), EndPointOf(_a), Now()));
        Assert.Equal(EndPointOf(_a), b.Direct);
        Assert.Equal(1, counters.SwitchOffersReceived);
        PunchProbe answer = ReceiveProbe(_a, PunchProbeKind.SwitchAnswer);
        Assert.Equal(77UL, answer.Nonce);
        Assert.Equal(2UL, answer.SenderId);
    }

    [Fact]
    public void A_forged_offer_moves_nothing()
    {
        var counters = new PunchCounters();
        DirectUpgrade b = Upgrade(_b, _a, 2, counters);
        byte[] otherKey = PairingCode.ProbeKey("ZZZZZZZZZZZZZZZZ");
        Assert.Equal(DirectUpgrade.Step.Ignored, b.Handle(Probe(PunchProbeKind.Switch, 77, 1, otherKey), EndPointOf(_a), Now()));
        Assert.Null(b.Direct);
        Assert.Equal(1, counters.ProbesForged);
        Assert.Equal(0, counters.SwitchOffersReceived);
    }

    [Fact]
    public void Rounds_back_off_to_the_longest_interval()
    {
        var counters = new PunchCounters();
        // Nobody answers at the candidate (the peer's socket is never read).
        DirectUpgrade a = new(_a, new[] { new Candidate(EndPointOf(_b), CandidateKind.Direct) }, s_key, 1,
            new HoldSettings { UpgradeInterval = TimeSpan.FromMilliseconds(10), UpgradeMaxInterval = TimeSpan.FromMilliseconds(40) }, 0,
            TimeSpan.Zero, counters);
        // A second of the upgrade's own clock in 1 ms steps: timers are data, no sleeping.
        long start = Now();
        for (int ms = 0; ms <= 1000; ms++)
        {
            a.Poll(start + ms * Stopwatch.Frequency / 1000);
        }
        // 10, 20, 40, 40, ... ms apart (jittered by a fifth): about 26 rounds in the second, never 100.
        Assert.InRange(counters.UpgradeProbesSent, 10, 40);
        Assert.Null(a.Offered);
    }

    /// <summary>Polls <paramref name="upgrade"/> while a fake peer on _b answers its probes (and
    /// nothing else) until it offers; returns the offer as the peer received it.</summary>
    private PunchProbe RunUntilOffered(DirectUpgrade upgrade)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            Assert.True(clock.Elapsed < s_deadline, "no offer");
            upgrade.Poll(Now());
            while (_b.TryReceive(_buffer, out int length, out IPEndPoint from))
            {
                Assert.True(PunchProbe.TryRead(_buffer.AsSpan(0, length), s_key, out PunchProbe probe, out _));
                if (probe.Kind == PunchProbeKind.Switch)
                {
                    return probe;
                }
                if (probe.Kind == PunchProbeKind.Probe)
                {
                    _b.Send(Probe(PunchProbeKind.Answer, probe.Nonce, 9, s_key), from);
                }
            }
            Drain(_a, upgrade);
            Thread.Sleep(1);
        }
    }

    /// <summary>Gives every datagram waiting on <paramref name="port"/> to <paramref name="upgrade"/>
    /// (none: drops them); true when one of them made it move.</summary>
    private bool Drain(PunchPort port, DirectUpgrade? upgrade)
    {
        bool moved = false;
        while (port.TryReceive(_buffer, out int length, out IPEndPoint from))
        {
            if (upgrade is not null && !moved && upgrade.Handle(_buffer.AsSpan(0, length), from, Now()) == DirectUpgrade.Step.Switch)
            {
                moved = true;
            }
        }
        return moved;
    }

    private PunchProbe ReceiveProbe(PunchPort port, PunchProbeKind kind)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < s_deadline)
        {
            while (port.TryReceive(_buffer, out int length, out _))
            {
                if (PunchProbe.TryRead(_buffer.AsSpan(0, length), s_key, out PunchProbe probe, out _) && probe.Kind == kind)
                {
                    return probe;
                }
            }
            Thread.Sleep(1);
        }
        throw new TimeoutException($"no {kind} arrived");
    }

    private static byte[] Probe(PunchProbeKind kind, ulong nonce, ulong senderId, byte[] key)
    {
        var probe = new PunchProbe { Kind = kind, Nonce = nonce, SenderId = senderId };
        byte[] bytes = new byte[PunchProbe.Length];
        Assert.Equal(PunchProbe.Length, probe.Write(bytes, key));
        return bytes;
    }

    private static long Now() => Stopwatch.GetTimestamp();

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }
}
