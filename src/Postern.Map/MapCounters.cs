using Postern.Hosting;

namespace Postern.Map;

/// <summary>What postern-map did; the keepalive thread and the hook thread add to it.</summary>
public sealed class MapCounters
{
    private static readonly string[] s_hookFailures = { "exit-status", "timeout", "start" };

    private readonly long[] _hookFailures = new long[s_hookFailures.Length];
    private long _keepalives;
    private long _keepalivesLost;
    private long _checks;
    private long _changes;
    private long _hookRuns;
    private long _malformed;
    private long _errorResponses;
    private long _socketErrors;
    private long _reconnects;

    public long Keepalives => Volatile.Read(ref _keepalives);
    public long KeepalivesLost => Volatile.Read(ref _keepalivesLost);
    public long Checks => Volatile.Read(ref _checks);
    public long MappingChanges => Volatile.Read(ref _changes);
    public long HookRuns => Volatile.Read(ref _hookRuns);
    public long Malformed => Volatile.Read(ref _malformed);
    public long ErrorResponses => Volatile.Read(ref _errorResponses);
    public long SocketErrors => Volatile.Read(ref _socketErrors);
    public long Reconnects => Volatile.Read(ref _reconnects);

    public long HookFailures(HookFailure failure) => Volatile.Read(ref _hookFailures[(int)failure]);

    public void AddKeepalive(bool answered)
    {
        Interlocked.Increment(ref _keepalives);
        if (!answered)
        {
            Interlocked.Increment(ref _keepalivesLost);
        }
    }

    public void AddCheck() => Interlocked.Increment(ref _checks);
    public void AddChange() => Interlocked.Increment(ref _changes);
    public void AddHookRun() => Interlocked.Increment(ref _hookRuns);
    public void AddHookFailure(HookFailure failure) => Interlocked.Increment(ref _hookFailures[(int)failure]);
    public void AddMalformed() => Interlocked.Increment(ref _malformed);
    public void AddErrorResponse() => Interlocked.Increment(ref _errorResponses);
    public void AddSocketError() => Interlocked.Increment(ref _socketErrors);
    public void AddReconnect() => Interlocked.Increment(ref _reconnects);

    public void AddTo(MetricSet metrics, Func<long> publicPort, Func<long> inbound)
    {
        metrics.AddCounter("keepalives", "Binding requests sent on the kept path to keep the mapping alive.", () => Keepalives);
        metrics.AddCounter("keepalives-lost", "Keepalives that got no answer (each starts a full check).", () => KeepalivesLost);
        metrics.AddCounter("checks", "Full checks: every server asked, the NAT's mapping and filtering judged.", () => Checks);
        metrics.AddCounter("mapping-changes", "Times the public endpoint was learned or changed.", () => MappingChanges);
        metrics.AddCounter("hook-runs", "Hook runs started.", () => HookRuns);
        metrics.AddCounterFamily("hook-failures", "Hook runs that failed, by reason (never fatal).", "reason", s_hookFailures,
            i => HookFailures((HookFailure)i));
        metrics.AddCounter("stun-malformed", "Datagrams or stream messages on STUN sockets that were no well-formed answer (ignored).", () => Malformed);
        metrics.AddCounter("stun-error-responses", "STUN error answers (ignored; another server is tried).", () => ErrorResponses);
        metrics.AddCounter("socket-errors", "Errors on STUN sockets (ICMP unreachable, a reset, a refused connection).", () => SocketErrors);
        metrics.AddCounter("reconnects", "TCP STUN connections made again after the kept one failed.", () => Reconnects);
        metrics.AddGauge("public-port", "The public port of the current mapping; 0 while none is known.", publicPort);
        metrics.AddGauge("inbound", "Whether a host never contacted can reach the port: 1 verified open, 0 filtered, -1 not verified.", inbound);
    }
}
