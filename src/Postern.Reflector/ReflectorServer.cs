using System.Globalization;
using System.Net;
using Postern.Hosting;
using Postern.Interop;

namespace Postern.Reflector;

/// <summary>The whole reflector: for every UDP listener one SO_REUSEPORT socket and one thread per
/// worker, for every TCP listener one accepting socket; with an alternate address, the first UDP
/// listener and the alternate make RFC 5780's four addresses, each worker holding a socket on
/// every one of them.</summary>
public sealed class ReflectorServer : IRole, IDisposable
{
    private readonly List<UdpSocket> _sockets = new();
    private readonly List<UdpWorker> _workers = new();
    private readonly List<StunTcpServer> _tcpServers = new();
    private readonly List<string> _bound = new();

    /// <summary>One socket per UDP listener (an RFC 5780 server has four), indexed by the listener
    /// numbers the workers store in the rendezvous table: an indication leaves from the listener
    /// the first peer used, whichever worker sends it.</summary>
    private readonly List<UdpSocket> _listeners = new();

    public ReflectorServer(ReflectorOptions options)
    {
        string? problem = Validate(options);
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(options));
        }
        Options = options;
        RateLimiter? limiter = options.RateLimit.Enabled ? new RateLimiter(options.RateLimit) : null;
        Rendezvous = options.Rendezvous ? new RendezvousTable(options.RendezvousTableSize) : null;
        if (options.DnsSd is { } dnsSd)
        {
            WireGuard = new WireGuardDirectory(dnsSd.PrivateKey, dnsSd.TableSize, dnsSd.Lifetime);
            DnsSdZone = new DnsSdZone(dnsSd.Zone, dnsSd.TtlSeconds, WireGuard);
        }
        Responder = new ReflectorResponder(options.Software, options.StrictSize, limiter, Rendezvous, WireGuard);
        Counters.AddTo(Metrics, Rendezvous);
        ReflectorCounters.AddDnsSdTo(Metrics, WireGuard, DnsSdZone);
        try
        {
            Bind();
            if (DnsSdZone is not null)
            {
                _dnsSd = new DnsSdServer(options.DnsSd!.Listen, DnsSdZone);
                _bound.AddRange(_dnsSd.Bound);
                Log.Info($"dns-sd: publishing {DnsSdZone.ServiceName} (TTL {options.DnsSd.TtlSeconds} s, up to {options.DnsSd.TableSize} keys); " +
                    $"server key {Convert.ToBase64String(WireGuard!.PublicKey)} (postern-punch register --server-key)");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public ReflectorOptions Options { get; }

    public ReflectorResponder Responder { get; }

    public ReflectorCounters Counters { get; } = new();

    /// <summary>Null with --no-rendezvous.</summary>
    public RendezvousTable? Rendezvous { get; }

    /// <summary>The DNS-SD registrations; null without --dns-sd.</summary>
    public WireGuardDirectory? WireGuard { get; }

    public DnsSdZone? DnsSdZone { get; }

    private DnsSdServer? _dnsSd;

    public MetricSet Metrics { get; } = new("reflector");

    /// <summary>What it serves, for the ready line and systemd's STATUS=.</summary>
    public string Status
    {
        get
        {
            RateLimitOptions rate = Options.RateLimit;
            return $"listening on {string.Join(", ", _bound)}; " +
                (rate.Enabled
                    ? $"rate limit {rate.PerSourceRate}/s burst {rate.PerSourceBurst} per /{rate.Ipv4PrefixLength} and /{rate.Ipv6PrefixLength}, global {(rate.GlobalRate == 0 ? "unlimited" : rate.GlobalRate + "/s")}"
                    : "no rate limit") +
                (Options.StrictSize ? "; strict size" : "") +
                (Options.Rendezvous ? $"; rendezvous table {Options.RendezvousTableSize}" : "; no rendezvous") +
                (Options.DnsSd is { } dnsSd ? $"; dns-sd {dnsSd.Zone}" : "");
        }
    }

    public StunEndpoints? Endpoints { get; private set; }

    /// <summary>What the UDP worker threads have allocated since they started.</summary>
    public long UdpWorkerAllocatedBytes
    {
        get
        {
            long total = 0;
            foreach (UdpWorker worker in _workers)
            {
                total += worker.AllocatedBytes;
            }
            return total;
        }
    }

    /// <summary>What was bound, for the start-up log line.</summary>
    public IReadOnlyList<string> Bound => _bound;

    /// <summary>One sentence on what is wrong with the options, or null.</summary>
    public static string? Validate(ReflectorOptions options)
    {
        if (options.Listen.Count == 0)
        {
            return "nothing to listen on: give at least one --listen address.";
        }
        if (options.Workers < 1 || options.Workers > 256)
        {
            return "--workers must be between 1 and 256.";
        }
        RateLimitOptions rate = options.RateLimit;
        if (rate.Enabled && (rate.PerSourceRate < 1 || rate.PerSourceBurst < 1))
        {
            return "--rate-limit and --rate-burst must be at least 1 (use --no-rate-limit to turn limiting off).";
        }
        if (rate.Ipv4PrefixLength is < 1 or > 32)
        {
            return "--rate-prefix4 must be between 1 and 32.";
        }
        if (rate.Ipv6PrefixLength is < 1 or > 64)
        {
            return "--rate-prefix6 must be between 1 and 64.";
        }
        if (rate.GlobalRate < 0)
        {
            return "--global-rate must be 0 (no global limit) or more.";
        }
        if (options.MaxTcpConnections < 1)
        {
            return "--max-tcp-connections must be at least 1.";
        }
        if (rate.TableSize is < 4 or > (1 << 24))
        {
            return "--rate-table must be between 4 and 16777216 entries.";
        }
        if (options.RendezvousTableSize is < RendezvousTable.MinCapacity or > RendezvousTable.MaxCapacity)
        {
            return "--rendezvous-table must be between 1 and 1048576 entries.";
        }
        if (options.DnsSd is { } dnsSd && DnsSdProblem(dnsSd) is { } dnsSdProblem)
        {
            return dnsSdProblem;
        }
        if (System.Text.Encoding.UTF8.GetByteCount(options.Software) > ReflectorResponder.MaxSoftwareBytes || options.Software.Length >= 128)
        {
            return "--software must be fewer than 128 characters (RFC 8489 section 14.14).";
        }
        if (options.Alternate is { } alternate)
        {
            ListenEndpoint? primary = options.Listen.FirstOrDefault(e => e.Transport == ListenTransport.Udp);
            if (primary is null)
            {
                return "--alternate needs a UDP --listen address to pair with.";
            }
            if (primary.IsWildcard)
            {
                return $"--alternate needs the first UDP --listen address to name the primary IP (not {primary}), as in --listen udp:203.0.113.10:3478.";
            }
            if (primary.Address.AddressFamily != alternate.Address.AddressFamily)
            {
                return "--alternate must be of the same address family as the first UDP --listen address.";
            }
            if (primary.Address.Equals(alternate.Address) || primary.Port == alternate.Port)
            {
                return "--alternate must differ from the first UDP --listen address in both IP address and port.";
            }
        }
        return null;
    }

    private static string? DnsSdProblem(DnsSdOptions dnsSd)
    {
        if (!IsZoneName(dnsSd.Zone))
        {
            return $"--dns-sd '{dnsSd.Zone}' is not a domain name (labels of letters, digits and '-', as in vpn.example.net).";
        }
        if (dnsSd.Listen.Count == 0)
        {
            return "--dns-listen needs at least one udp: or tcp: address.";
        }
        if (dnsSd.PrivateKey.Length != Wire.WireGuardRegister.KeyLength)
        {
            return "--dns-sd-key must hold a WireGuard private key (wg genkey).";
        }
        if (dnsSd.TtlSeconds is < 1 or > DnsSdOptions.MaxTtlSeconds)
        {
            return "--dns-sd-ttl must be between 1 and 3600 seconds.";
        }
        if (dnsSd.TableSize is < 1 or > DnsSdOptions.MaxTableSize)
        {
            return "--dns-sd-table must be between 1 and 1048576 keys.";
        }
        return null;
    }

    /// <summary>A zone the records can live under: 1 to 127 labels of 1 to 63 letters, digits, '-'
    /// and '_' (not starting or ending with '-'), at most 200 characters so that the 56-character
    /// key label and _wireguard._udp still fit in 255.</summary>
    private static bool IsZoneName(string zone)
    {
        if (zone.Length is 0 or > 200)
        {
            return false;
        }
        foreach (string label in zone.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-' ||
                !label.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return false;
            }
        }
        return true;
    }

    private void Bind()
    {
        ListenEndpoint? primary = Options.Alternate is null ? null : Options.Listen.First(e => e.Transport == ListenTransport.Udp);
        foreach (ListenEndpoint endpoint in Options.Listen)
        {
            if (endpoint.Transport == ListenTransport.Tcp)
            {
                var server = new StunTcpServer(endpoint, Responder, Counters, Options);
                _tcpServers.Add(server);
                _bound.Add(server.Endpoint.ToString());
            }
            else if (ReferenceEquals(endpoint, primary))
            {
                BindRfc5780(endpoint, Options.Alternate!);
            }
            else
            {
                ushort port = endpoint.Port;
                int listener = _listeners.Count;
                for (int w = 0; w < Options.Workers; w++)
                {
                    UdpSocket socket = Open(endpoint.Address, port);
                    port = socket.Port; // port 0: every worker joins the first one's port
                    if (w == 0)
                    {
                        _listeners.Add(socket);
                    }
                    _workers.Add(new UdpWorker(socket, null, null, 0, listener, Responder, Counters, Options.LogRequests));
                }
                _bound.Add((endpoint with { Port = port }).ToString());
            }
        }
    }

    private void BindRfc5780(ListenEndpoint primary, IPEndPoint alternate)
    {
        var endpoints = new StunEndpoints(primary.Address, primary.Port, alternate.Address, (ushort)alternate.Port);
        Endpoints = endpoints;
        int first = _listeners.Count;
        for (int w = 0; w < Options.Workers; w++)
        {
            var sockets = new UdpSocket[StunEndpoints.Count];
            for (int i = 0; i < StunEndpoints.Count; i++)
            {
                sockets[i] = Open(endpoints.IPAddressOf(i), endpoints.Port(i));
                if (w == 0)
                {
                    _listeners.Add(sockets[i]);
                }
            }
            for (int i = 0; i < StunEndpoints.Count; i++)
            {
                _workers.Add(new UdpWorker(sockets[i], sockets, endpoints, i, first, Responder, Counters, Options.LogRequests));
            }
        }
        for (int i = 0; i < StunEndpoints.Count; i++)
        {
            _bound.Add("udp:" + ListenEndpoint.Format(endpoints.IPAddressOf(i), endpoints.Port(i)) + (i == 0 ? " (RFC 5780 primary)" : " (RFC 5780)"));
        }
    }

    private UdpSocket Open(IPAddress address, ushort port)
    {
        int error = UdpSocket.TryOpen(address, port, reusePort: true, Options.UdpBufferBytes, out UdpSocket? socket);
        if (error != 0)
        {
            throw new IOException($"cannot bind udp:{ListenEndpoint.Format(address, port)}: {Errno.Describe(error)}");
        }
        _sockets.Add(socket!);
        return socket!;
    }

    public void Start()
    {
        for (int i = 0; i < _workers.Count; i++)
        {
            _workers[i].Start(string.Create(CultureInfo.InvariantCulture, $"udp-worker-{i}"), _listeners.ToArray());
        }
        foreach (StunTcpServer server in _tcpServers)
        {
            server.Start();
        }
    }

    /// <summary>Stops the workers, waits for them, and closes every socket.</summary>
    public void Stop() => Dispose();

    public void Dispose()
    {
        foreach (UdpWorker worker in _workers)
        {
            worker.Stop();
        }
        foreach (UdpWorker worker in _workers)
        {
            worker.Join();
        }
        foreach (StunTcpServer server in _tcpServers)
        {
            server.Dispose();
        }
        _dnsSd?.Dispose();
        _dnsSd = null;
        foreach (UdpSocket socket in _sockets)
        {
            socket.Dispose();
        }
        _workers.Clear();
        _tcpServers.Clear();
        _sockets.Clear();
        _listeners.Clear();
    }
}
