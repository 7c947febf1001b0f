using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Postern.Hosting;
using Postern.Wire;

namespace Postern.Punch;

/// <summary>One punch attempt (docs/punch-protocol.md, "Probes"): low-TTL openers to the peer's
/// public candidates, then authenticated probes to every candidate with backoff, answers to every
/// authentic probe of the peer's, peer-reflexive candidates learned from where those came from,
/// and, for birthday probing, many hard-side sockets or a paced spray of random ports. Ends when a
/// round trip of ours completed and we answered the peer, with the best confirmed path.
/// Single-threaded: timers are data (next-send times), waiting is one poll over every socket.</summary>
public sealed class Puncher
{
    private const int MaxDatagram = 2048;

    private readonly byte[] _key;
    private readonly ulong _senderId;
    private readonly PunchSettings _settings;
    private readonly PunchCounters _counters;
    private readonly List<Target> _targets = new();
    private readonly Dictionary<ulong, SentProbe> _sent = new();
    private readonly List<ConfirmedPath> _confirmed = new();
    private readonly byte[] _buffer = new byte[MaxDatagram];
    private readonly byte[] _out = new byte[PunchProbe.Length];
    private ushort _sequence;
    private int _peerProbesAnswered;
    private long _start;

    public Puncher(byte[] key, ulong senderId, PunchSettings settings, PunchCounters counters)
    {
        _key = key;
        _senderId = senderId;
        _settings = settings;
        _counters = counters;
    }

    /// <summary>Set in manual mode against a classic script: any datagram from the peer's public
    /// address (its "HELO") is answered at once with the same bytes and counts as the peer's round
    /// trip and ours; a classic peer never answers probes.</summary>
    public IPEndPoint? ClassicPeer { get; init; }

    /// <summary>Manual mode: before this much time has passed, only openers go out (a full-TTL
    /// probe reaching a peer's NAT before the peer sent anything there poisons its conntrack).</summary>
    public TimeSpan QuietPeriod { get; init; }

    private sealed class Target
    {
        public required Candidate Candidate;
        public required PunchPort Port;
        public long NextSend;
        public long Interval;
        public int Sent;
        public bool Confirmed;
        public bool OpenersOnly;
    }

    private readonly record struct SentProbe(PunchPort Port, Candidate Candidate, long SentAt);

    /// <param name="ports">The sockets: the first is the main one (its mapping is what the peer
    /// was told), relayed and birthday ones follow.</param>
    /// <param name="candidates">The peer's addresses: its announced locals (LAN), its public
    /// mapping (direct), a relay address it announced (relay).</param>
    /// <param name="role">The birthday part this side plays.</param>
    /// <param name="sprayAddress">For the sprayed side, the hard side's public address.</param>
    public PunchOutcome Run(IReadOnlyList<PunchPort> ports, IReadOnlyList<Candidate> candidates, BirthdayRole role,
        IPAddress? sprayAddress, CancellationToken cancel)
    {
        _start = Stopwatch.GetTimestamp();
        long lead = Ticks(_settings.OpenerLead);
        PunchPort main = ports[0];
        foreach (Candidate candidate in candidates)
        {
            foreach (PunchPort port in ports)
            {
                if (port.IsBirthday)
                {
                    // The hard side's extra sockets only open mappings towards the peer's public
                    // address (low TTL, so as not to poison the peer's NAT); the peer's spray finds them.
                    if (candidate.Kind == CandidateKind.Direct)
                    {
                        _targets.Add(new Target { Candidate = candidate with { Kind = CandidateKind.Birthday }, Port = port, OpenersOnly = true, NextSend = _start });
                    }
                    continue;
                }
                if (port.Relay is not null && candidate.Kind == CandidateKind.Lan)
                {
                    continue; // the relay cannot reach the peer's private addresses
                }
                if (port.Relay is null && port != main)
                {
                    continue;
                }
                Candidate target = port.Relay is null ? candidate : candidate with { Kind = CandidateKind.Relay };
                _targets.Add(new Target { Candidate = target, Port = port, NextSend = _start + lead, Interval = Ticks(_settings.Pace) });
            }
        }

        SendOpeners(ports, candidates);
        var random = new Random();
        long sprayInterval = role == BirthdayRole.Spray && _settings.ProbeRate > 0 ? Stopwatch.Frequency / _settings.ProbeRate : 0;
        long nextSpray = _start + lead;
        int[] sprayOrder = role == BirthdayRole.Spray ? SprayOrder(random) : Array.Empty<int>();
        int sprayIndex = 0;
        long deadline = _start + Ticks(_settings.Timeout);
        long firstConfirmed = 0;
        long graceEnds = 0;
        long done = 0;
        long lastPeerProbe = 0;
        var readable = new List<Socket>(ports.Count);

        while (!cancel.IsCancellationRequested)
        {
            long now = Stopwatch.GetTimestamp();
            if (done == 0 && now >= deadline)
            {
                return Outcome(null, now, Reason());
            }
            if (done != 0 && (now - done >= Ticks(_settings.Linger) ||
                              (lastPeerProbe != 0 && lastPeerProbe < done && now - done >= Ticks(TimeSpan.FromMilliseconds(300)))))
            {
                break;
            }
            if (done == 0)
            {
                SendDue(now);
                if (sprayInterval != 0 && now >= nextSpray && sprayIndex < sprayOrder.Length && sprayAddress is not null &&
                    !(now - _start < Ticks(QuietPeriod)))
                {
                    var target = new Candidate(new IPEndPoint(sprayAddress, sprayOrder[sprayIndex++]), CandidateKind.Birthday);
                    SendProbe(main, target, now);
                    nextSpray += sprayInterval;
                    if (now - nextSpray > Stopwatch.Frequency)
                    {
                        nextSpray = now; // never burst to catch up after a stall
                    }
                }
            }

            long wake = done != 0 ? now + Ticks(TimeSpan.FromMilliseconds(50)) : NextWake(now, sprayInterval != 0 ? nextSpray : long.MaxValue, deadline);
            if (done == 0 && graceEnds != 0)
            {
                wake = Math.Min(wake, graceEnds); // the LAN grace ends without a datagram to wake us
            }
            int waitMicroseconds = (int)Math.Clamp((wake - now) * 1_000_000 / Stopwatch.Frequency, 0, 100_000);
            readable.Clear();
            foreach (PunchPort port in ports)
            {
                readable.Add(port.Socket);
            }
            Socket.Select(readable, null, null, waitMicroseconds);
            foreach (PunchPort port in ports)
            {
                if (readable.Count == 0 || !readable.Contains(port.Socket))
                {
                    continue;
                }
                while (port.TryReceive(_buffer, out int length, out IPEndPoint from))
                {
                    long at = Stopwatch.GetTimestamp();
                    if (Handle(port, _buffer.AsSpan(0, length), from, at))
                    {
                        lastPeerProbe = at;
                    }
                }
            }

            if (done == 0 && _confirmed.Count > 0 && _peerProbesAnswered > 0)
            {
                now = Stopwatch.GetTimestamp();
                if (firstConfirmed == 0)
                {
                    firstConfirmed = now;
                }
                ConfirmedPath best = PathChoice.Choose(_confirmed)!;
                bool lanPending = _targets.Exists(t => t.Candidate.Kind == CandidateKind.Lan && !t.Confirmed);
                graceEnds = firstConfirmed + Ticks(PathChoice.Grace(best, _settings.LanGrace));
                if (PathChoice.IsFinal(best, lanPending) || now >= graceEnds)
                {
                    done = now;
                    Chosen = best;
                    ElapsedAtChoice = Elapsed(now);
                    Completed?.Invoke(best);
                }
            }
        }
        return Outcome(Chosen, Stopwatch.GetTimestamp(), Chosen is null ? "cancelled" : "connected");
    }

    /// <summary>Called once, the moment a path is chosen (before the linger), so that the caller
    /// can print the punched line without waiting.</summary>
    public Action<ConfirmedPath>? Completed { get; init; }

    public ConfirmedPath? Chosen { get; private set; }

    public TimeSpan ElapsedAtChoice { get; private set; }

    /// <summary>Every candidate's probe count and outcome, for the attempt's log line.</summary>
    public string Describe()
    {
        var parts = new List<string>();
        foreach (Target target in _targets)
        {
            if (target.OpenersOnly)
            {
                continue;
            }
            parts.Add($"{target.Candidate}{(target.Port.Relay is null ? "" : " via relay")}: {target.Sent} sent{(target.Confirmed ? ", answered" : "")}");
        }
        return string.Join("; ", parts);
    }

    private void SendOpeners(IReadOnlyList<PunchPort> ports, IReadOnlyList<Candidate> candidates)
    {
        if (_settings.OpenerTtl <= 0)
        {
            return;
        }
        foreach (Target target in _targets)
        {
            if (target.Port.Relay is null && target.Candidate.Kind is CandidateKind.Direct or CandidateKind.Birthday)
            {
                SendOpener(target.Port, target.Candidate.EndPoint);
            }
        }
    }

    private void SendOpener(PunchPort port, IPEndPoint to)
    {
        // An opener is a probe too (it may reach the peer if the TTL is generous): authentic,
        // harmless, and never answered because its nonce is not remembered.
        var probe = new PunchProbe { Kind = PunchProbeKind.Probe, Sequence = _sequence, SenderId = _senderId, Nonce = NextNonce() };
        probe.Write(_out, _key);
        if (port.Send(_out, to, _settings.OpenerTtl))
        {
            _counters.OpenersSent++;
        }
        else
        {
            _counters.SendErrors++;
        }
    }

    private void SendDue(long now)
    {
        bool quiet = now - _start < Ticks(QuietPeriod);
        foreach (Target target in _targets)
        {
            if (target.Confirmed || now < target.NextSend)
            {
                continue;
            }
            if (target.OpenersOnly || quiet)
            {
                if (_settings.OpenerTtl > 0 && target.Port.Relay is null && target.Candidate.Kind != CandidateKind.Lan)
                {
                    SendOpener(target.Port, target.Candidate.EndPoint);
                }
                else if (quiet && target.Candidate.Kind == CandidateKind.Lan)
                {
                    SendProbe(target.Port, target.Candidate, now); // LAN probes poison no NAT
                }
                target.NextSend = now + (target.OpenersOnly ? Ticks(_settings.BirthdayRefresh) : Ticks(TimeSpan.FromMilliseconds(500)));
                continue;
            }
            SendProbe(target.Port, target.Candidate, now);
            target.Sent++;
            target.NextSend = now + target.Interval;
            target.Interval = Math.Min(target.Interval * 2, Ticks(_settings.MaxInterval));
        }
    }

    private void SendProbe(PunchPort port, Candidate to, long now)
    {
        ulong nonce = NextNonce();
        var probe = new PunchProbe { Kind = PunchProbeKind.Probe, Sequence = ++_sequence, SenderId = _senderId, Nonce = nonce };
        probe.Write(_out, _key);
        if (port.Send(_out, to.EndPoint))
        {
            _counters.ProbesSent++;
            _sent[nonce] = new SentProbe(port, to, now);
        }
        else
        {
            _counters.SendErrors++;
        }
    }

    /// <summary>One datagram in. True when it was an authentic probe of the peer's.</summary>
    private bool Handle(PunchPort port, ReadOnlySpan<byte> datagram, IPEndPoint from, long now)
    {
        if (ClassicPeer is not null && !PunchProbe.LooksLikeProbe(datagram) && from.Address.Equals(ClassicPeer.Address))
        {
            // The classic script's HELO: answer with its own bytes at once; its round trip is ours.
            port.Send(datagram, from);
            _peerProbesAnswered++;
            _counters.ProbesReceived++;
            if (!_confirmed.Exists(p => p.Peer.Equals(from)))
            {
                _confirmed.Add(new ConfirmedPath(port, from, CandidateKind.Direct, TimeSpan.Zero));
            }
            return true;
        }
        if (!PunchProbe.TryRead(datagram, _key, out PunchProbe probe, out bool forged))
        {
            if (forged)
            {
                _counters.ProbesForged++;
            }
            else
            {
                _counters.Stray++;
            }
            return false;
        }
        if (probe.SenderId == _senderId)
        {
            return false; // our own probe, hairpinned back by the NAT
        }
        switch (probe.Kind)
        {
            case PunchProbeKind.Probe:
            {
                _counters.ProbesReceived++;
                var answer = new PunchProbe
                {
                    Kind = PunchProbeKind.Answer, Sequence = probe.Sequence, SenderId = _senderId, Nonce = probe.Nonce,
                };
                answer.SetObserved(from.Address.GetAddressBytes(), (ushort)from.Port);
                answer.Write(_out, _key);
                if (port.Send(_out, from))
                {
                    _peerProbesAnswered++;
                }
                else
                {
                    _counters.SendErrors++;
                }
                Learn(port, from, now);
                return true;
            }
            case PunchProbeKind.Answer:
            {
                if (!_sent.TryGetValue(probe.Nonce, out SentProbe sent) || sent.Port != port)
                {
                    _counters.UnknownNonce++;
                    return false;
                }
                _counters.AnswersReceived++;
                CandidateKind kind = sent.Candidate.Kind;
                if (!_confirmed.Exists(p => p.Port == port && p.Peer.Equals(from)))
                {
                    _confirmed.Add(new ConfirmedPath(port, from, kind, TimeSpanOf(now - sent.SentAt)));
                }
                foreach (Target target in _targets)
                {
                    if (target.Port == port && (target.Candidate.EndPoint.Equals(sent.Candidate.EndPoint) || target.Candidate.EndPoint.Equals(from)))
                    {
                        target.Confirmed = true;
                    }
                }
                return false;
            }
            default:
                return false;
        }
    }

    /// <summary>A probe came from an address we did not probe (the peer's mapping towards us, a
    /// birthday port): probe it back at once (RFC 8445's peer-reflexive candidate).</summary>
    private void Learn(PunchPort port, IPEndPoint from, long now)
    {
        foreach (Target target in _targets)
        {
            if (target.Port == port && target.Candidate.EndPoint.Equals(from))
            {
                if (target.OpenersOnly)
                {
                    target.OpenersOnly = false;
                    target.NextSend = now;
                    target.Interval = Ticks(_settings.Pace);
                }
                return;
            }
        }
        CandidateKind kind = port.Relay is not null ? CandidateKind.Relay
            : port.IsBirthday ? CandidateKind.Birthday
            : _targets.Exists(t => t.Candidate.Kind == CandidateKind.Lan && t.Candidate.EndPoint.Address.Equals(from.Address)) ? CandidateKind.Lan
            : _targets.Exists(t => t.Candidate.Kind == CandidateKind.Direct && t.Candidate.EndPoint.Address.Equals(from.Address)) ? CandidateKind.Direct
            : CandidateKind.Birthday;
        var learned = new Target { Candidate = new Candidate(from, kind), Port = port, NextSend = now, Interval = Ticks(_settings.Pace) };
        _targets.Add(learned);
        SendProbe(port, learned.Candidate, now);
        learned.Sent++;
        learned.NextSend = now + learned.Interval;
    }

    private long NextWake(long now, long nextSpray, long deadline)
    {
        long wake = Math.Min(deadline, nextSpray);
        foreach (Target target in _targets)
        {
            if (!target.Confirmed && target.NextSend < wake)
            {
                wake = target.NextSend;
            }
        }
        return Math.Max(wake, now);
    }

    /// <summary>Every port above 1023 once, in random order: a spray never probes a port twice
    /// before it has tried them all.</summary>
    private static int[] SprayOrder(Random random)
    {
        int[] ports = new int[65536 - 1024];
        for (int i = 0; i < ports.Length; i++)
        {
            ports[i] = 1024 + i;
        }
        random.Shuffle(ports);
        return ports;
    }

    private string Reason()
    {
        if (_confirmed.Count > 0)
        {
            return "our probes were answered but no probe of the peer's arrived to be answered";
        }
        if (_peerProbesAnswered > 0)
        {
            return "the peer's probes arrived and were answered, but no answer to ours came back";
        }
        if (_counters.ProbesForged > 0)
        {
            return $"only probes with a bad MAC arrived ({_counters.ProbesForged}): is the code the same on both sides?";
        }
        return "nothing arrived from the peer: its NAT or firewall filtered every probe";
    }

    private PunchOutcome Outcome(ConfirmedPath? path, long now, string reason) =>
        new(path, Elapsed(now), _counters.ProbesSent, reason, _confirmed.ToArray());

    private TimeSpan Elapsed(long now) => TimeSpanOf(now - _start);

    private static TimeSpan TimeSpanOf(long ticks) => TimeSpan.FromSeconds((double)ticks / Stopwatch.Frequency);

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private static ulong NextNonce() => (ulong)Random.Shared.NextInt64() ^ ((ulong)Random.Shared.Next() << 63);
}
