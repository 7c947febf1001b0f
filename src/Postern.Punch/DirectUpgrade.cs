using System.Diagnostics;
using System.Net;
using Postern.Hosting;
using Postern.Wire;

namespace Postern.Punch;

/// <summary>While a relayed path is held, the search for a direct one goes on in the background
/// (docs/punch-protocol.md, "Moving off the relay"): from the main port (whose mapping the peer
/// was told), a low-TTL opener and then an authenticated probe to each of the peer's direct and
/// LAN candidates, in rounds that back off from <see cref="HoldSettings.UpgradeInterval"/> to
/// <see cref="HoldSettings.UpgradeMaxInterval"/>; the peer's probes are answered and where they
/// came from is probed too (a peer-reflexive candidate). When one of our probes is answered, the
/// round trip is direct and complete: we offer the switch (<see cref="PunchProbeKind.Switch"/>,
/// resent each second) over that path, and move only on the peer's answer; the side that gets an
/// offer answers it and moves at once. Neither side moves without the other's authenticated word.
/// <para>Driven by <see cref="Forwarder"/> from its one thread: <see cref="Poll"/> on every turn,
/// <see cref="Handle"/> for each datagram the main port received from anyone but the held path's
/// peer. Timers are data (next-send times).</para></summary>
public sealed class DirectUpgrade
{
    /// <summary>How many times an offer is sent (one second apart) before it is given up and the
    /// probing starts over.</summary>
    public const int OfferTries = 10;

    private const int MaxRemembered = 64;

    private readonly byte[] _key;
    private readonly ulong _senderId;
    private readonly HoldSettings _settings;
    private readonly PunchCounters _counters;
    private readonly int _openerTtl;
    private readonly long _openerLead;
    private readonly List<Target> _targets = new();
    private readonly Dictionary<ulong, IPEndPoint> _sent = new();
    private readonly byte[] _out = new byte[PunchProbe.Length];
    private ushort _sequence;
    private Offer? _offer;

    private sealed class Target
    {
        public required IPEndPoint EndPoint;
        public required CandidateKind Kind;
        public long NextSend;
        public long Interval;
        public bool OpenerSent;
    }

    private sealed class Offer
    {
        public required IPEndPoint To;
        public required ulong Nonce;
        public long NextSend;
        public int Sent;
    }

    /// <summary>What <see cref="Handle"/> made of a datagram.</summary>
    public enum Step
    {
        /// <summary>Not for the upgrade (a stranger's, a forgery, an unknown answer): counted, dropped.</summary>
        Ignored,

        /// <summary>A probe, an answer or an offer of ours went on: nothing for the forwarder to do.</summary>
        Handled,

        /// <summary>The peer's program's datagram, over the direct path we offered: the peer has
        /// moved already (our answer is on its way), so it goes to the local program.</summary>
        Data,

        /// <summary>Both sides agree: the held path moves to <see cref="Direct"/>.</summary>
        Switch,
    }

    /// <param name="port">The main port (never a relayed or birthday one).</param>
    /// <param name="candidates">The peer's candidates; only LAN and direct ones are probed.</param>
    /// <param name="openerTtl">The punch's opener TTL (0: no openers).</param>
    /// <param name="openerLead">The pause between a round's openers and its probes.</param>
    public DirectUpgrade(PunchPort port, IEnumerable<Candidate> candidates, byte[] key, ulong senderId, HoldSettings settings,
        int openerTtl, TimeSpan openerLead, PunchCounters counters)
    {
        Port = port;
        _key = key;
        _senderId = senderId;
        _settings = settings;
        _counters = counters;
        _openerTtl = openerTtl;
        _openerLead = Ticks(openerLead);
        long now = Stopwatch.GetTimestamp();
        foreach (Candidate candidate in candidates)
        {
            if (candidate.Kind is CandidateKind.Lan or CandidateKind.Direct && !_targets.Exists(t => t.EndPoint.Equals(candidate.EndPoint)))
            {
                // The first round waits one interval: the punch has just tried these.
                _targets.Add(new Target
                {
                    EndPoint = candidate.EndPoint, Kind = candidate.Kind, NextSend = now + Ticks(settings.UpgradeInterval),
                    Interval = Ticks(settings.UpgradeInterval),
                });
            }
        }
    }

    /// <summary>The socket the direct path would use.</summary>
    public PunchPort Port { get; }

    /// <summary>After <see cref="Step.Switch"/>: the peer's direct address.</summary>
    public IPEndPoint? Direct { get; private set; }

    /// <summary>Where an offer of ours is waiting for its answer (null: none).</summary>
    public IPEndPoint? Offered => _offer?.To;

    /// <summary>The candidates probed, for the log.</summary>
    public string Describe() => string.Join(", ", _targets.Select(t => new Candidate(t.EndPoint, t.Kind).ToString()));

    /// <summary>Sends what is due at <paramref name="now"/>: the offer's next copy, or each
    /// candidate's opener or probe.</summary>
    public void Poll(long now)
    {
        if (_offer is { } offer)
        {
            if (now < offer.NextSend)
            {
                return;
            }
            if (offer.Sent >= OfferTries)
            {
                Log.Warning($"direct path to {Endpoints.Format(offer.To)}: no answer to {OfferTries} switch offers; staying on the relay and probing on");
                _offer = null;
                return;
            }
            SendOffer(offer, now);
            return;
        }
        foreach (Target target in _targets)
        {
            if (now < target.NextSend)
            {
                continue;
            }
            // Each round as the punch does it: the opener first (it opens our NAT towards the
            // peer's mapping and dies before the peer's NAT), the probe one lead later.
            if (!target.OpenerSent && _openerTtl > 0 && target.Kind == CandidateKind.Direct)
            {
                Send(PunchProbeKind.Probe, NextNonce(), target.EndPoint, _openerTtl);
                _counters.OpenersSent++;
                target.OpenerSent = true;
                target.NextSend = now + _openerLead;
                continue;
            }
            SendProbe(target.EndPoint);
            target.OpenerSent = false;
            target.NextSend = now + Jittered(target.Interval);
            target.Interval = Math.Min(target.Interval * 2, Ticks(_settings.UpgradeMaxInterval));
        }
    }

    /// <summary>When <see cref="Poll"/> next has something to send.</summary>
    public long NextWake()
    {
        if (_offer is { } offer)
        {
            return offer.NextSend;
        }
        long wake = long.MaxValue;
        foreach (Target target in _targets)
        {
            wake = Math.Min(wake, target.NextSend);
        }
        return wake;
    }

    /// <summary>One datagram the main port received from <paramref name="from"/> (not the held
    /// path's peer).</summary>
    public Step Handle(ReadOnlySpan<byte> datagram, IPEndPoint from, long now)
    {
        if (!PunchProbe.LooksLikeProbe(datagram))
        {
            if (_offer is { } pending && pending.To.Equals(from) && !SealedMessage.LooksSealed(datagram))
            {
                return Step.Data;
            }
            _counters.Stray++;
            return Step.Ignored;
        }
        if (!PunchProbe.TryRead(datagram, _key, out PunchProbe probe, out bool forged))
        {
            if (forged)
            {
                _counters.ProbesForged++;
            }
            return Step.Ignored;
        }
        if (probe.SenderId == _senderId)
        {
            return Step.Ignored; // our own, hairpinned
        }
        switch (probe.Kind)
        {
            case PunchProbeKind.Probe:
                _counters.ProbesReceived++;
                Send(PunchProbeKind.Answer, probe.Nonce, from, 0, probe.Sequence);
                Learn(from, now);
                return Step.Handled;
            case PunchProbeKind.Answer:
                if (!_sent.Remove(probe.Nonce, out IPEndPoint? to))
                {
                    _counters.UnknownNonce++;
                    return Step.Ignored;
                }
                _counters.AnswersReceived++;
                if (_offer is null)
                {
                    Log.Info($"direct path to {Endpoints.Format(from)} answers (probed {Endpoints.Format(to)}): offering the peer to move off the relay");
                    var offer = new Offer { To = from, Nonce = NextNonce() };
                    _offer = offer;
                    SendOffer(offer, now);
                }
                return Step.Handled;
            case PunchProbeKind.Switch:
                // The peer's round trip to us completed and it came this way: answer, and move.
                Send(PunchProbeKind.SwitchAnswer, probe.Nonce, from, 0, probe.Sequence);
                _counters.SwitchOffersReceived++;
                Direct = from;
                return Step.Switch;
            case PunchProbeKind.SwitchAnswer:
                if (_offer is not { } answered || answered.Nonce != probe.Nonce || !answered.To.Equals(from))
                {
                    _counters.UnknownNonce++;
                    return Step.Ignored;
                }
                Direct = from;
                return Step.Switch;
            case PunchProbeKind.Keepalive when _offer is { } keptBy && keptBy.To.Equals(from):
                // The peer moved already and checks consent on the new path.
                Send(PunchProbeKind.KeepaliveAnswer, probe.Nonce, from, 0, probe.Sequence);
                return Step.Handled;
            default:
                return Step.Ignored;
        }
    }

    private void Learn(IPEndPoint from, long now)
    {
        if (_targets.Exists(t => t.EndPoint.Equals(from)))
        {
            return;
        }
        bool lan = _targets.Exists(t => t.Kind == CandidateKind.Lan && t.EndPoint.Address.Equals(from.Address));
        var learned = new Target
        {
            EndPoint = from, Kind = lan ? CandidateKind.Lan : CandidateKind.Direct, Interval = Ticks(_settings.UpgradeInterval),
        };
        _targets.Add(learned);
        SendProbe(from);
        learned.NextSend = now + Jittered(learned.Interval);
    }

    private void SendOffer(Offer offer, long now)
    {
        Send(PunchProbeKind.Switch, offer.Nonce, offer.To, 0);
        _counters.SwitchOffersSent++;
        offer.Sent++;
        offer.NextSend = now + Stopwatch.Frequency;
    }

    private void SendProbe(IPEndPoint to)
    {
        ulong nonce = NextNonce();
        if (_sent.Count >= MaxRemembered)
        {
            _sent.Clear(); // answers to probes this old are not coming
        }
        if (Send(PunchProbeKind.Probe, nonce, to, 0))
        {
            _sent[nonce] = to;
            _counters.UpgradeProbesSent++;
        }
    }

    private bool Send(PunchProbeKind kind, ulong nonce, IPEndPoint to, int ttl, ushort sequence = 0)
    {
        var probe = new PunchProbe
        {
            Kind = kind, Sequence = kind == PunchProbeKind.Probe ? ++_sequence : sequence, SenderId = _senderId, Nonce = nonce,
        };
        if (kind != PunchProbeKind.Probe)
        {
            probe.SetObserved(to.Address.GetAddressBytes(), (ushort)to.Port);
        }
        probe.Write(_out, _key);
        if (Port.Send(_out, to, ttl))
        {
            return true;
        }
        _counters.SendErrors++;
        return false;
    }

    private static long Jittered(long interval) => (long)(interval * (0.8 + 0.4 * Random.Shared.NextDouble()));

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private static ulong NextNonce() => (ulong)Random.Shared.NextInt64() ^ ((ulong)Random.Shared.Next() << 63);
}
