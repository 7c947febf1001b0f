using Postern.Hosting;

namespace Postern.Socks;

/// <summary>What the server did. The relay threads add a batch's worth at a time.</summary>
public sealed class SocksCounters
{
    private static readonly int s_refusals = Enum.GetValues<Refusal>().Length;
    private static readonly int s_drops = Enum.GetValues<UdpDrop>().Length;

    private readonly long[] _refused = new long[s_refusals];
    private readonly long[] _dropped = new long[s_drops];
    private long _connections;
    private long _connects;
    private long _associations;
    private long _associationsIdle;
    private long _toRemote;
    private long _toClient;
    private long _icmpErrors;
    private long _localErrors;
    private long _sendErrors;
    private long _aborted;
    private long _reloads;
    private long _reloadFailures;

    public long Connections => Volatile.Read(ref _connections);
    public long Connects => Volatile.Read(ref _connects);
    public long Associations => Volatile.Read(ref _associations);
    public long AssociationsIdle => Volatile.Read(ref _associationsIdle);
    public long RelayedToRemote => Volatile.Read(ref _toRemote);
    public long RelayedToClient => Volatile.Read(ref _toClient);
    public long IcmpErrors => Volatile.Read(ref _icmpErrors);
    public long LocalErrors => Volatile.Read(ref _localErrors);
    public long SendErrors => Volatile.Read(ref _sendErrors);
    public long Aborted => Volatile.Read(ref _aborted);
    public long Reloads => Volatile.Read(ref _reloads);
    public long ReloadFailures => Volatile.Read(ref _reloadFailures);

    public long Refused(Refusal refusal) => Volatile.Read(ref _refused[(int)refusal]);

    public long Dropped(UdpDrop drop) => Volatile.Read(ref _dropped[(int)drop]);

    public void AddConnection() => Interlocked.Increment(ref _connections);
    public void AddConnect() => Interlocked.Increment(ref _connects);
    public void AddAborted() => Interlocked.Increment(ref _aborted);
    public void AddAssociation() => Interlocked.Increment(ref _associations);
    public void AddAssociationIdle() => Interlocked.Increment(ref _associationsIdle);
    public void AddRefused(Refusal refusal) => Interlocked.Increment(ref _refused[(int)refusal]);
    public void AddReload(bool ok) => Interlocked.Increment(ref ok ? ref _reloads : ref _reloadFailures);

    /// <summary>One batch's tally: relayed each way, drops (indexed by <see cref="UdpDrop"/>, cleared here).</summary>
    public void AddBatch(int toRemote, int toClient, Span<int> drops, int sendErrors)
    {
        if (toRemote != 0)
        {
            Interlocked.Add(ref _toRemote, toRemote);
        }
        if (toClient != 0)
        {
            Interlocked.Add(ref _toClient, toClient);
        }
        if (sendErrors != 0)
        {
            Interlocked.Add(ref _sendErrors, sendErrors);
        }
        for (int i = 0; i < drops.Length; i++)
        {
            if (drops[i] != 0)
            {
                Interlocked.Add(ref _dropped[i], drops[i]);
                drops[i] = 0;
            }
        }
    }

    public void AddErrors(int icmp, int local)
    {
        if (icmp != 0)
        {
            Interlocked.Add(ref _icmpErrors, icmp);
        }
        if (local != 0)
        {
            Interlocked.Add(ref _localErrors, local);
        }
    }

    public static int DropKinds => s_drops;

    public void AddTo(MetricSet metrics, SocksPolicy policy, Func<long> openConnections)
    {
        metrics.AddCounter("connections", "TCP connections accepted.", () => Connections);
        metrics.AddCounter("connects", "CONNECT requests that reached their target.", () => Connects);
        metrics.AddCounter("associations", "UDP associations set up.", () => Associations);
        metrics.AddCounter("aborted", "Connections that ended (a reset, a close mid-handshake, a stop) before any outcome: " +
            "connections = refused + connects + associations + aborted.", () => Aborted);
        metrics.AddCounter("associations-idle", "UDP associations ended by the idle timeout (their TCP connection closed with them).", () => AssociationsIdle);
        string[] refusals = Enum.GetValues<Refusal>().Select(SocksPolicy.NameOf).ToArray();
        metrics.AddCounterFamily("refused", "Clients turned away, by reason (each with its reply code).", "reason", refusals,
            i => Refused((Refusal)i));
        metrics.AddCounterFamily("udp-relayed", "Datagrams relayed, by direction.", "direction", new[] { "to-remote", "to-client" },
            i => i == 0 ? RelayedToRemote : RelayedToClient);
        string[] drops = Enum.GetValues<UdpDrop>().Select(NameOf).ToArray();
        metrics.AddCounterFamily("udp-dropped", "Datagrams on associations not relayed, by reason.", "reason", drops, i => Dropped((UdpDrop)i));
        metrics.AddCounter("icmp-errors", "ICMP errors read from relay sockets (IP_RECVERR): counted, never fatal.", () => IcmpErrors);
        metrics.AddCounter("local-errors", "Other errors read from relay sockets' error queues.", () => LocalErrors);
        metrics.AddCounter("udp-send-errors", "Relayed datagrams the kernel refused to send.", () => SendErrors);
        metrics.AddCounter("users-reloads", "Users files reread on SIGHUP.", () => Reloads);
        metrics.AddCounter("users-reload-failures", "SIGHUP rereads that failed (the old users stay).", () => ReloadFailures);
        metrics.AddGauge("open-connections", "TCP connections open now.", openConnections);
        metrics.AddGauge("open-associations", "UDP associations open now.", () => policy.Associations);
    }

    public static string NameOf(UdpDrop drop) => drop switch
    {
        UdpDrop.NotClient => "not-client",
        UdpDrop.WrongPort => "wrong-port",
        UdpDrop.Malformed => "malformed",
        UdpDrop.Fragment => "fragment",
        UdpDrop.AddressType => "address-type",
        UdpDrop.TooLarge => "too-large",
        UdpDrop.BeforeClient => "before-client",
        UdpDrop.NamePending => "name-pending",
        UdpDrop.NameFailed => "name-failed",
        UdpDrop.Unroutable => "unroutable",
        _ => "other",
    };
}
