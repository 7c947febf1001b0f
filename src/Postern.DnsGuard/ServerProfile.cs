using System.Globalization;

namespace Postern.DnsGuard;

/// <summary>What one server's real answers usually look like, learned only from answers the
/// guard took for real: accepted at once as matching, winning over a held one, or released after
/// the window with no rival. The usual IP TTL (hop limit) is a majority vote (Boyer-Moore), so a
/// route change takes over after a few answers; the round-trip floor is the lowest of the last two
/// epochs of <see cref="EpochLength"/> samples, so it can rise again; the smoothed RTT sizes the
/// hold window.</summary>
public sealed class ServerProfile
{
    /// <summary>Real answers needed before the profile is trusted to accept at once.</summary>
    public const int SamplesToLearn = 3;

    public const int EpochLength = 256;

    /// <summary>How far below the floor (besides below half of it) a round trip must be to count
    /// as too soon: a server on the LAN answers in tens of microseconds, and half of that says
    /// nothing about who answered.</summary>
    public const long RttMarginMicroseconds = 500;

    /// <summary>Answers held only for coming sooner than the floor, released with no rival, in a
    /// row, that make the floor come down to them: the server (or the path to it) got faster.</summary>
    public const int UnrivalledToRelearn = 16;

    /// <summary>How long after its release an early answer waits for a late rival before it counts
    /// as unrivalled: a real answer later than this has been given up by the client anyway.</summary>
    public const long LateWindowMicroseconds = 2_000_000;

    private const int MaxPendingEarly = 64;
    private readonly Queue<(long ReleasedAt, long Rtt)> _early = new();

    private int _epochSamples;
    private int _unrivalled;
    private long _unrivalledMin = long.MaxValue;
    private long _unrivalledSum;
    private long _floorCurrent = long.MaxValue;
    private long _floorPrevious = long.MaxValue;

    public ServerProfile(AddressKey server)
    {
        Server = server;
    }

    public AddressKey Server { get; }

    public long Samples { get; private set; }

    public int UsualTtl { get; private set; } = -1;

    private int _ttlVotes;

    /// <summary>Microseconds; long.MaxValue before the first sample with a known query time.</summary>
    public long RttFloor => Math.Min(_floorCurrent, _floorPrevious);

    /// <summary>Smoothed RTT in microseconds (RFC 6298's 1/8 gain); 0 before the first sample.</summary>
    public long SmoothedRtt { get; private set; }

    /// <summary>Answers to queries with OPT that carried OPT too, and those that did not.</summary>
    public long OptKept { get; private set; }
    public long OptMissing { get; private set; }

    public long LastUsed { get; set; }

    public bool IsLearned => Samples >= SamplesToLearn;

    /// <param name="rttMicroseconds">The answer's round trip, or -1 to leave the RTT alone: an
    /// answer released with no rival teaches the TTL and OPT habits only, once the profile is
    /// learned, so that a forged answer whose real rival came too late cannot lower the floor
    /// and let the next forged ones through.</param>
    public void Learn(int ttl, long rttMicroseconds, bool queryHadOpt, bool answerHasOpt)
    {
        Samples++;
        if (ttl == UsualTtl)
        {
            _ttlVotes++;
        }
        else if (--_ttlVotes <= 0)
        {
            UsualTtl = ttl;
            _ttlVotes = 1;
        }
        if (rttMicroseconds >= 0)
        {
            SmoothedRtt = SmoothedRtt == 0 ? Math.Max(1, rttMicroseconds) : SmoothedRtt + ((rttMicroseconds - SmoothedRtt) / 8);
            _floorCurrent = Math.Min(_floorCurrent, rttMicroseconds);
            if (++_epochSamples >= EpochLength)
            {
                _floorPrevious = _floorCurrent;
                _floorCurrent = long.MaxValue;
                _epochSamples = 0;
            }
        }
        if (queryHadOpt)
        {
            if (answerHasOpt)
            {
                OptKept++;
            }
            else
            {
                OptMissing++;
            }
        }
    }

    /// <summary>An answer held for its round trip alone (<see cref="HoldReason.Rtt"/>) was released
    /// with no rival in its window, at <paramref name="now"/>. It counts towards bringing the floor
    /// down once <see cref="LateWindowMicroseconds"/> more have passed with no late answer from
    /// this server (see <see cref="Confirm"/>).</summary>
    public void ReleasedEarly(long now, long rttMicroseconds)
    {
        if (_early.Count == MaxPendingEarly)
        {
            _early.Dequeue();
        }
        _early.Enqueue((now, rttMicroseconds));
    }

    /// <summary>Counts the early answers whose late window passed with no rival and no late answer.
    /// A forgery that races the real answer always has one (the real answer, in the window or
    /// late), so <see cref="UnrivalledToRelearn"/> of them in a row mean the server now answers
    /// sooner than its floor, as after a load burst or a slow path that ended: the floor and the
    /// smoothed RTT start again from them (true). Without this the floor, learned only from
    /// accepted answers, would never come down, and every answer would be held from then on.</summary>
    public bool Confirm(long now)
    {
        bool relearned = false;
        while (_early.Count > 0 && _early.Peek().ReleasedAt + LateWindowMicroseconds <= now)
        {
            long rtt = _early.Dequeue().Rtt;
            _unrivalled++;
            _unrivalledMin = Math.Min(_unrivalledMin, rtt);
            _unrivalledSum += rtt;
            if (_unrivalled >= UnrivalledToRelearn)
            {
                _floorCurrent = _floorPrevious = _unrivalledMin;
                _epochSamples = 0;
                SmoothedRtt = Math.Max(1, _unrivalledSum / _unrivalled);
                RttRelearned++;
                relearned = true;
                ResetStreak();
            }
        }
        return relearned;
    }

    /// <summary>A rival came for a held answer of this server (it was beaten) or an answer came
    /// after its query was answered: evidence of a race, so the streak of unrivalled early answers,
    /// and those still waiting out their late window, start over.</summary>
    public void ResetUnrivalled()
    {
        _early.Clear();
        ResetStreak();
    }

    private void ResetStreak()
    {
        _unrivalled = 0;
        _unrivalledMin = long.MaxValue;
        _unrivalledSum = 0;
    }

    /// <summary>Times the floor came down by <see cref="LearnUnrivalledRtt"/>.</summary>
    public long RttRelearned { get; private set; }

    /// <summary>Whether an answer looks like this server's (once learned): IP TTL within 1 of the
    /// usual, OPT present when the query had one (unless this server drops OPT as often as not),
    /// and a round trip not below half the server's floor (and not <see cref="RttMarginMicroseconds"/>
    /// below it). Returns what did not match.</summary>
    public HoldReason Check(int ttl, long rttMicroseconds, bool queryHadOpt, bool answerHasOpt)
    {
        if (!IsLearned)
        {
            return HoldReason.Unlearned;
        }
        if (Math.Abs(ttl - UsualTtl) > 1)
        {
            return HoldReason.Ttl;
        }
        if (queryHadOpt && !answerHasOpt && OptKept >= OptMissing)
        {
            return HoldReason.Opt;
        }
        long floor = RttFloor;
        if (rttMicroseconds >= 0 && floor != long.MaxValue && rttMicroseconds < floor / 2 && rttMicroseconds + RttMarginMicroseconds < floor)
        {
            return HoldReason.Rtt;
        }
        return HoldReason.None;
    }

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"server {Server}: {(IsLearned ? "learned" : "learning")} from {Samples} answers, ttl {UsualTtl}, rtt floor {(RttFloor == long.MaxValue ? "-" : (RttFloor / 1000.0).ToString("0.###", CultureInfo.InvariantCulture))} ms, srtt {SmoothedRtt / 1000.0:0.###} ms, opt kept {OptKept}/{OptKept + OptMissing}");
}
