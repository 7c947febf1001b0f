using Postern.Hosting;
using Postern.Wire;

namespace Postern.Map;

/// <summary>What was asked of the gateway and how it answered, per protocol.</summary>
public sealed class GatewayCounters
{
    private static readonly string[] s_natPmpResults = Enumerable.Range(1, 5).Select(r => NatPmp.ResultName((ushort)r)).Append("other").ToArray();
    private static readonly string[] s_pcpResults = Enumerable.Range(1, 13).Select(r => Pcp.ResultName((byte)r)).Append("other").ToArray();

    private static readonly string[] s_upnpErrors = UpnpSoap.KnownErrors.Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append("other").ToArray();

    private readonly long[] _requests = new long[3];
    private readonly long[] _granted = new long[3];
    private readonly long[] _renewals = new long[3];
    private readonly long[] _epochResets = new long[3];
    private readonly long[] _timeouts = new long[3];
    private readonly long[] _unreachable = new long[3];
    private readonly long[] _deleted = new long[3];
    private readonly long[] _upnpRefused = new long[s_upnpErrors.Length];
    private long _upnpSearches;
    private long _upnpDiscoveries;
    private long _upnpErrors;
    private long _upnpIgnored;
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

    /// <summary>SSDP M-SEARCH rounds sent (IGD:2 and IGD:1 each).</summary>
    public long UpnpSearches => Volatile.Read(ref _upnpSearches);

    /// <summary>IGDs found: an SSDP answer whose description named a WAN connection service.</summary>
    public long UpnpDiscoveries => Volatile.Read(ref _upnpDiscoveries);

    /// <summary>UPnP exchanges that failed without a UPnPError: no HTTP answer, another status,
    /// a body too large or not XML, a description without a usable service.</summary>
    public long UpnpErrors => Volatile.Read(ref _upnpErrors);

    /// <summary>SSDP datagrams that were no IGD search answer.</summary>
    public long UpnpIgnored => Volatile.Read(ref _upnpIgnored);

    public long UpnpRefused(int code) => Volatile.Read(ref _upnpRefused[UpnpIndex(code)]);

    public void AddUpnpSearch() => Interlocked.Increment(ref _upnpSearches);
    public void AddUpnpDiscovery() => Interlocked.Increment(ref _upnpDiscoveries);
    public void AddUpnpError() => Interlocked.Increment(ref _upnpErrors);
    public void AddUpnpIgnored() => Interlocked.Increment(ref _upnpIgnored);
    public void AddUpnpRefused(int code) => Interlocked.Increment(ref _upnpRefused[UpnpIndex(code)]);

    private static int UpnpIndex(int code) => Array.IndexOf(UpnpSoap.KnownErrors, code) is int i and >= 0 ? i : s_upnpErrors.Length - 1;

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
        metrics.AddCounter("upnp-searches", "UPnP SSDP M-SEARCH rounds sent.", () => UpnpSearches);
        metrics.AddCounter("upnp-discoveries", "UPnP IGDs found (an SSDP answer whose description names a WAN connection service).", () => UpnpDiscoveries);
        metrics.AddCounter("upnp-requests", "UPnP AddPortMapping requests sent.", () => Requests(GatewayProtocol.Upnp));
        metrics.AddCounter("upnp-granted", "UPnP mappings added (renewals included).", () => Granted(GatewayProtocol.Upnp));
        metrics.AddCounter("upnp-renewals", "UPnP mappings added again at half their lease.", () => Renewals(GatewayProtocol.Upnp));
        metrics.AddCounter("upnp-deleted", "UPnP mappings deleted on stop (DeletePortMapping answered).", () => Deleted(GatewayProtocol.Upnp));
        metrics.AddCounter("upnp-errors", "UPnP exchanges that failed without a UPnPError (no answer, bad HTTP, malformed XML).", () => UpnpErrors);
        metrics.AddCounter("upnp-ignored", "SSDP datagrams that were no IGD search answer.", () => UpnpIgnored);
        metrics.AddCounterFamily("upnp-refused", "UPnP actions refused, by UPnPError code.", "code", s_upnpErrors, i => Volatile.Read(ref _upnpRefused[i]));
        metrics.AddCounter("gateway-ignored", "Datagrams from the gateway that were no answer to the request sent (ignored).", () => Ignored);
    }
}
