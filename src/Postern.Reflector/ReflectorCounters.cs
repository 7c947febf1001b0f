using Postern.Hosting;

namespace Postern.Reflector;

/// <summary>Counts of what the server did, shared by every worker. Workers add a batch's worth at
/// a time, so the interlocked operations cost nothing per request.</summary>
public sealed class ReflectorCounters
{
    private long _textAnswers;
    private long _stunAnswers;
    private long _stunErrors;
    private long _rateLimited;
    private long _malformed;
    private long _ignored;
    private long _oversize;
    private long _sendErrors;
    private long _tcpConnections;
    private long _tcpRefused;
    private long _indications;

    public long TextAnswers => Volatile.Read(ref _textAnswers);
    public long StunAnswers => Volatile.Read(ref _stunAnswers);
    public long StunErrors => Volatile.Read(ref _stunErrors);
    public long Answered => TextAnswers + StunAnswers + StunErrors;
    public long RateLimited => Volatile.Read(ref _rateLimited);
    public long Malformed => Volatile.Read(ref _malformed);
    public long Ignored => Volatile.Read(ref _ignored);
    public long Oversize => Volatile.Read(ref _oversize);
    public long SendErrors => Volatile.Read(ref _sendErrors);
    public long TcpConnections => Volatile.Read(ref _tcpConnections);
    public long TcpRefused => Volatile.Read(ref _tcpRefused);

    /// <summary>Rendezvous indications sent (one the kernel refuses is a send error too).</summary>
    public long Indications => Volatile.Read(ref _indications);

    /// <summary>Adds one batch's tally (indexed by <see cref="ReflectorOutcome"/>) and clears it.</summary>
    public void Add(Span<int> tally)
    {
        AddIfAny(ref _textAnswers, ref tally[(int)ReflectorOutcome.Text]);
        AddIfAny(ref _stunAnswers, ref tally[(int)ReflectorOutcome.StunSuccess]);
        AddIfAny(ref _stunErrors, ref tally[(int)ReflectorOutcome.StunError]);
        AddIfAny(ref _malformed, ref tally[(int)ReflectorOutcome.Malformed]);
        AddIfAny(ref _ignored, ref tally[(int)ReflectorOutcome.Ignored]);
        AddIfAny(ref _rateLimited, ref tally[(int)ReflectorOutcome.RateLimited]);
        AddIfAny(ref _oversize, ref tally[(int)ReflectorOutcome.Oversize]);
    }

    public const int TallyLength = (int)ReflectorOutcome.Oversize + 1;

    private static void AddIfAny(ref long counter, ref int value)
    {
        if (value != 0)
        {
            Interlocked.Add(ref counter, value);
            value = 0;
        }
    }

    public void Add(ReflectorOutcome outcome)
    {
        Span<int> tally = stackalloc int[TallyLength];
        tally[(int)outcome] = 1;
        Add(tally);
    }

    public void AddSendErrors(int count) => Interlocked.Add(ref _sendErrors, count);

    public void AddIndications(int count) => Interlocked.Add(ref _indications, count);

    public void AddTcpConnection() => Interlocked.Increment(ref _tcpConnections);

    public void AddTcpRefused() => Interlocked.Increment(ref _tcpRefused);

    /// <summary>Registers every counter: answered by kind first, then why the rest were not, then
    /// rendezvous (all zero with --no-rendezvous, <paramref name="rendezvous"/> null).</summary>
    public void AddTo(MetricSet metrics, RendezvousTable? rendezvous = null)
    {
        metrics.AddCounterFamily("answered", "Requests answered, by kind of answer.", "kind", new[] { "stun", "stun-error", "text" },
            kind => kind switch
            {
                0 => StunAnswers,
                1 => StunErrors,
                _ => TextAnswers,
            });
        metrics.AddCounter("rate-limited", "Requests not answered because their source (or everyone) was over its rate.", () => RateLimited);
        metrics.AddCounter("malformed", "Datagrams that were neither STUN nor answerable as text (truncated, oversize).", () => Malformed);
        metrics.AddCounter("ignored", "STUN messages that need no answer (responses, indications).", () => Ignored);
        metrics.AddCounter("oversize", "Answers not sent because --strict-size forbade a larger answer than the request.", () => Oversize);
        metrics.AddCounter("send-errors", "Answers the kernel refused to send.", () => SendErrors);
        metrics.AddCounter("tcp-connections", "TCP connections accepted.", () => TcpConnections);
        metrics.AddCounter("tcp-refused", "TCP connections closed at once because --max-tcp-connections were open.", () => TcpRefused);
        metrics.AddCounter("rendezvous-registered", "Rendezvous tokens stored, waiting for their peer.", () => rendezvous?.Registered ?? 0);
        metrics.AddCounter("rendezvous-paired", "Rendezvous tokens paired by a second mapping.", () => rendezvous?.Paired ?? 0);
        metrics.AddCounter("rendezvous-indications", "Binding indications sent to the first peer of a pair (one the kernel refuses is a send error too).", () => Indications);
        metrics.AddCounter("rendezvous-refused", "Rendezvous requests from a third mapping of a paired token (403).", () => rendezvous?.Refused ?? 0);
        metrics.AddCounter("rendezvous-table-full", "New rendezvous tokens not stored because --rendezvous-table entries were taken.",
            () => rendezvous?.TableFull ?? 0);
        metrics.AddCounter("rendezvous-expired", "Rendezvous entries removed 60 s after their last request.", () => rendezvous?.Expired ?? 0);
        metrics.AddGauge("rendezvous-entries", "Rendezvous entries held now.", () => rendezvous?.Count ?? 0);
    }

    /// <summary>Registers the DNS-SD counters (all zero without --dns-sd, the arguments null).</summary>
    public static void AddDnsSdTo(MetricSet metrics, WireGuardDirectory? directory, DnsSdZone? zone)
    {
        metrics.AddCounter("dns-sd-accepted", "DNS-SD registrations accepted (new keys and renewals).", () => directory?.Accepted ?? 0);
        metrics.AddCounterFamily("dns-sd-refused", "DNS-SD registrations refused, by reason.", "reason",
            new[] { "clock-skew", "replayed", "bad-mac", "table-full" },
            reason => reason switch
            {
                0 => directory?.RefusedClockSkew ?? 0,
                1 => directory?.RefusedReplayed ?? 0,
                2 => directory?.RefusedBadMac ?? 0,
                _ => directory?.RefusedTableFull ?? 0,
            });
        metrics.AddCounter("dns-sd-lookups", "DNS-SD lookups over STUN (postern-punch register's confirmation).", () => directory?.Lookups ?? 0);
        metrics.AddCounter("dns-sd-lookup-misses", "DNS-SD lookups over STUN for a key with no registration.", () => directory?.LookupMisses ?? 0);
        metrics.AddCounter("dns-sd-expired", "DNS-SD registrations dropped after a few TTLs without renewal.", () => directory?.Expired ?? 0);
        metrics.AddGauge("dns-sd-entries", "DNS-SD registrations held now.", () => directory?.Count ?? 0);
        metrics.AddCounterFamily("dns-queries", "DNS queries answered, by kind of answer.", "answer",
            new[] { "records", "nodata", "nxdomain", "refused", "other" },
            answer => answer switch
            {
                0 => zone?.AnsweredNoError ?? 0,
                1 => zone?.AnsweredNoData ?? 0,
                2 => zone?.AnsweredNxDomain ?? 0,
                3 => zone?.AnsweredRefused ?? 0,
                _ => zone?.AnsweredOther ?? 0,
            });
    }
}
