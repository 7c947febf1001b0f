using Postern.Hosting;

namespace Postern.DnsGuard;

/// <summary>Why an answer passed without being judged.</summary>
public enum PassReason
{
    /// <summary>From port 53 but no DNS response the guard could read (QR clear, short, malformed).</summary>
    Unparsed,
    /// <summary>From a server outside --server.</summary>
    OtherServer,
    /// <summary>No query seen for it (asked before the guard started, or its record was reused).</summary>
    NoQuery,
    /// <summary>Its query was answered already (accepted or released): the client has its answer.</summary>
    Late,
    /// <summary>The hold table was full: failing open.</summary>
    HoldFull,
}

public enum DropReason
{
    /// <summary>Carried a listed address, and its name is not allowed.</summary>
    Bogus,
    /// <summary>Held, and a later answer to the same query won.</summary>
    Superseded,
}

public enum ReleaseReason
{
    /// <summary>The window ended with no rival answer.</summary>
    Window,
    /// <summary>The daemon stopped (fail open).</summary>
    Stop,
}

/// <summary>The guard's counters: written by the queue thread only, read by the reporter.</summary>
public sealed class GuardCounters
{
    public static readonly string[] PassNames = { "unparsed", "other-server", "no-query", "late", "hold-full" };
    public static readonly string[] DropNames = { "bogus", "superseded" };
    public static readonly string[] ReleaseNames = { "window", "stop" };
    public static readonly string[] HoldNames = { "unlearned", "ttl", "opt", "rtt" };

    private long _queries;
    private long _queriesUnreadable;
    private long _unreadable;
    private long _fragments;
    private long _rttRelearned;
    private long _answers;
    private long _accepted;
    private long _won;
    private long _wonWait;
    private long _allowedListed;
    private readonly long[] _passed = new long[PassNames.Length];
    private readonly long[] _dropped = new long[DropNames.Length];
    private readonly long[] _released = new long[ReleaseNames.Length];
    private readonly long[] _held = new long[HoldNames.Length];

    public long Queries => Volatile.Read(ref _queries);
    public long QueriesUnreadable => Volatile.Read(ref _queriesUnreadable);
    public long Unreadable => Volatile.Read(ref _unreadable);
    public long Fragments => Volatile.Read(ref _fragments);
    public long RttRelearned => Volatile.Read(ref _rttRelearned);
    public long Answers => Volatile.Read(ref _answers);
    public long Accepted => Volatile.Read(ref _accepted);
    public long Won => Volatile.Read(ref _won);

    /// <summary>Microseconds from each beaten answer's hold to the winning answer's verdict, summed.</summary>
    public long WonWaitMicroseconds => Volatile.Read(ref _wonWait);
    public long AllowedListed => Volatile.Read(ref _allowedListed);

    public long Passed(PassReason reason) => Volatile.Read(ref _passed[(int)reason]);
    public long Dropped(DropReason reason) => Volatile.Read(ref _dropped[(int)reason]);
    public long Released(ReleaseReason reason) => Volatile.Read(ref _released[(int)reason]);
    public long Held(HoldReason reason) => Volatile.Read(ref _held[(int)reason]);

    internal void CountQuery() => _queries++;
    internal void CountUnreadableQuery() => _queriesUnreadable++;
    internal void CountRttRelearned() => _rttRelearned++;
    internal void CountUnreadable() => _unreadable++;
    internal void CountFragment() => _fragments++;
    internal void CountAnswer() => _answers++;
    internal void CountAccepted() => _accepted++;
    internal void CountWon(long waitedMicroseconds)
    {
        _won++;
        _wonWait += Math.Max(0, waitedMicroseconds);
    }
    internal void CountAllowedListed() => _allowedListed++;
    internal void Count(PassReason reason) => _passed[(int)reason]++;
    internal void Count(DropReason reason) => _dropped[(int)reason]++;
    internal void Count(ReleaseReason reason) => _released[(int)reason]++;
    internal void Count(HoldReason reason) => _held[(int)reason]++;

    public void AddTo(MetricSet metrics)
    {
        metrics.AddCounter("queries", "DNS queries seen going out (their time, ID and question are kept to judge the answers).", () => Queries);
        metrics.AddCounter("queries-unreadable", "Datagrams to port 53 that are no readable DNS query (passed; nothing kept).", () => QueriesUnreadable);
        metrics.AddCounter("unreadable", "Queued packets whose IP or UDP header could not be read (passed).", () => Unreadable);
        metrics.AddCounter("fragments", "First fragments of a datagram, passed unjudged: no fragment holds the whole message (a gateway with conntrack reassembles before the guard).", () => Fragments);
        metrics.AddCounter("answers", "Datagrams from port 53 read from the queue (answers, readable or not: each ends in exactly one of accepted, won, held, passed, dropped.bogus).", () => Answers);
        metrics.AddCounter("accepted", "Answers that matched their server's profile and were accepted at once.", () => Accepted);
        metrics.AddCounterFamily("held", "Answers held for the hold-on window, by what did not match the server's profile.", "reason", HoldNames, i => Held((HoldReason)i));
        metrics.AddCounter("won", "Answers accepted because they came after a held answer to the same query (the held one was dropped).", () => Won);
        metrics.AddCounter("won-wait-us", "Microseconds from each beaten answer's hold to the winning answer's verdict, summed (divide by won for the mean).", () => WonWaitMicroseconds);
        metrics.AddCounterFamily("released", "Held answers let through: the window ended with no rival, or the daemon stopped.", "reason", ReleaseNames, i => Released((ReleaseReason)i));
        metrics.AddCounterFamily("dropped", "Answers dropped, by reason.", "reason", DropNames, i => Dropped((DropReason)i));
        metrics.AddCounterFamily("passed", "Answers let through without judgement, by reason.", "reason", PassNames, i => Passed((PassReason)i));
        metrics.AddCounter("rtt-relearned", "Times a server's round-trip floor came down: answers held only for being early had no rival, many in a row.", () => RttRelearned);
        metrics.AddCounter("allowed-listed", "Answers with a listed address whose name is allowed (--allow-domain): judged like any other.", () => AllowedListed);
    }
}
