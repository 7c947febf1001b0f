using Postern.Hosting;
using Postern.Wire;

namespace Postern.Map;

/// <summary>What was asked of the gateway and how it answered, per protocol.</summary>
public sealed class GatewayCounters
{
    private static readonly string[] s_natPmpResults = Enumerable.Range(1, 5).Select(r => NatPmp.ResultName((ushort)r)).Append("other").ToArray();
    private static readonly string[] s_pcpResults = Enumerable.Range(1, 13).Select(r => Pcp.ResultName((byte)r)).Append("other").ToArray();

    private readonly long[] _requests = new long[2];
    private readonly long[] _granted = new long[2];
    private readonly long[] _renewals = new long[2];
    private readonly long[] _epochResets = new long[2];
    private readonly long[] _timeouts = new long[2];
    private readonly long[] _unreachable = new long[2];
    private readonly long[] _deleted = new long[2];
    private readonly long[] _natPmpRefused = new long[s_natPmpResults.Length];
    private readonly long[] _pcpRefused = new long[s_pcpResults.Length];
    private long _ignored;

    public long Requests(GatewayProtocol protocol) => Volatile.Read(ref _requests[(int)protocol]);
    public long Granted(GatewayProtocol protocol) => Volatile.Read(ref _granted[(int)protocol]);
    public long Renewals(GatewayProtocol protocol) => Volatile.Read(ref _renewals[(int)protocol]);
    public long EpochResets(GatewayProtocol protocol) => Volatile.Read(ref _epochResets[(int)protocol]);
    public long Timeouts(GatewayProtocol protocol) => Volatile.Read(ref _timeouts[(int)protocol]);

    /// <summary>Requests answered with ICMP port unreachable: nothing listens on the gateway's 5351.</summary>
    public long Unreachable(GatewayProtocol protocol) => Volatile.Read(ref _unreachable[(int)protocol]);

    /// <summary>Mappings deleted on stop, the deletion confirmed by the gateway.</summary>
    public long Deleted(GatewayProtocol protocol) => Volatile.Read(ref _deleted[(int)protocol]);

    /// <summary>Datagrams from the gateway that were no answer to the request (truncated, malformed,
    /// another opcode, nonce or port): ignored.</summary>
    public long Ignored => Volatile.Read(ref _ignored);

    public long NatPmpRefused(ushort result) => Volatile.Read(ref _natPmpRefused[NatPmpIndex(result)]);
    public long PcpRefused(byte result) => Volatile.Read(ref _pcpRefused[PcpIndex(result)]);

    public void AddRequest(GatewayProtocol protocol) => Interlocked.Increment(ref _requests[(int)protocol]);
    public void AddGranted(GatewayProtocol protocol, bool renewal)
    {
        Interlocked.Increment(ref _granted[(int)protocol]);
        if (renewal)
        {
            Interlocked.Increment(ref _renewals[(int)protocol]);
        }
    }
    public void AddEpochReset(GatewayProtocol protocol) => Interlocked.Increment(ref _epochResets[(int)protocol]);
    public void AddTimeout(GatewayProtocol protocol) => Interlocked.Increment(ref _timeouts[(int)protocol]);
    public void AddUnreachable(GatewayProtocol protocol) => Interlocked.Increment(ref _unreachable[(int)protocol]);
    public void AddDeleted(GatewayProtocol protocol) => Interlocked.Increment(ref _deleted[(int)protocol]);
    public void AddIgnored() => Interlocked.Increment(ref _ignored);
    public void AddNatPmpRefused(ushort result) => Interlocked.Increment(ref _natPmpRefused[NatPmpIndex(result)]);
    public void AddPcpRefused(byte result) => Interlocked.Increment(ref _pcpRefused[PcpIndex(result)]);

    private static int NatPmpIndex(ushort result) => result is >= 1 and <= 5 ? result - 1 : s_natPmpResults.Length - 1;
    private static int PcpIndex(byte result) => result is >= 1 and <= 13 ? result - 1 : s_pcpResults.Length - 1;

    public void AddTo(MetricSet metrics)
    {
        foreach ((GatewayProtocol protocol, string name) in new[] { (GatewayProtocol.Pcp, "pcp"), (GatewayProtocol.NatPmp, "natpmp") })
        {
            metrics.AddCounter(name + "-requests", $"{name} mapping requests sent (each retransmission not counted).", () => Requests(protocol));
            metrics.AddCounter(name + "-granted", $"{name} mappings granted by the gateway (renewals included).", () => Granted(protocol));
            metrics.AddCounter(name + "-renewals", $"{name} mappings renewed at half their lifetime.", () => Renewals(protocol));
            metrics.AddCounter(name + "-epoch-resets", $"{name} answers whose epoch showed the gateway lost its mappings (mapped again).", () => EpochResets(protocol));
            metrics.AddCounter(name + "-timeouts", $"{name} requests the gateway never answered.", () => Timeouts(protocol));
            metrics.AddCounter(name + "-unreachable", $"{name} requests answered with ICMP port unreachable (no server on the gateway's 5351; STUN at once).",
                () => Unreachable(protocol));
            metrics.AddCounter(name + "-deleted", $"{name} mappings deleted on stop (lifetime 0, confirmed by the gateway).", () => Deleted(protocol));
        }
        metrics.AddCounterFamily("natpmp-refused", "NAT-PMP requests refused, by result code.", "result", s_natPmpResults, i => Volatile.Read(ref _natPmpRefused[i]));
        metrics.AddCounterFamily("pcp-refused", "PCP requests refused, by result code.", "result", s_pcpResults, i => Volatile.Read(ref _pcpRefused[i]));
        metrics.AddCounter("gateway-ignored", "Datagrams from the gateway that were no answer to the request sent (ignored).", () => Ignored);
    }
}
