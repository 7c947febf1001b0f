using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Postern.Hosting;
using Postern.Netfilter;
using Postern.Wire;

namespace Postern.Map;

/// <summary>The whole role: learns the NAT's mapping of the bound port from STUN servers, keeps
/// it alive with a Binding request on the kept path every --keepalive, checks it fully (every
/// server, the NAT's mapping and filtering) every --check keepalives and after any lost
/// keepalive, and runs the hook whenever the public endpoint changes. Ready (Start returns) once
/// the first mapping is known; a mapping that depends on the destination (a symmetric NAT) fails
/// the start unless --keep-trying.</summary>
public sealed class MapService : IRole, IDisposable
{
    private readonly HookRunner? _hook;
    private readonly ManualResetEventSlim _stop = new(false);
    private readonly object _gate = new();
    private IPEndPoint[] _servers = Array.Empty<IPEndPoint>();
    private Thread? _thread;
    private UdpStunChannel? _udp;
    private TcpStunChannel? _tcp;
    private Mapping? _current;
    private Mapping? _announced;
    private NatMapping _mapping;
    private NatFiltering _filtering;
    private string _lastProblem = "no check yet";
    private readonly RuleSet? _rules;
    private bool _rulesInstalled;
    private GatewayClient? _gateway;
    private GatewayGrant? _grant;
    private bool _gatewayBehindNat;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    public MapService(MapOptions options)
    {
        if (options.Validate() is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }
        Options = options;
        GatewayCounters.AddTo(Metrics);
        Counters.AddTo(Metrics, () => Current?.Public.Port ?? 0, () => Filtering switch
        {
            NatFiltering.Open => 1,
            NatFiltering.Filtered => 0,
            _ => -1,
        });
        if (options.ForwardTo is not null)
        {
            RuleSet rules = ForwardRules.For(options, new Iptables(options.Iptables));
            _rules = rules;
            Metrics.AddCounter("rules-repaired", "--forward-to rules found missing (removed by someone else) and reinstalled by a check.",
                () => rules.Reinstalled);
        }
        if (options.Hook is { } hook)
        {
            _hook = new HookRunner(hook, options.HookTimeout, Counters);
        }
    }

    /// <summary>The iptables commands --forward-to would run, for --dry-run (none without it).</summary>
    public static IEnumerable<string> DescribeRules(MapOptions options) =>
        ForwardRules.For(options, new Iptables(options.Iptables)).Describe();

    /// <summary>--cleanup: removes every rule tagged for this transport and port (what a killed
    /// instance left behind); returns how many went.</summary>
    public static int Cleanup(MapOptions options) => ForwardRules.For(options, new Iptables(options.Iptables)).RemoveStale();

    public MapOptions Options { get; }

    public MapCounters Counters { get; } = new();

    public GatewayCounters GatewayCounters { get; } = new();

    /// <summary>The gateway's grant currently held (PCP or NAT-PMP), null when none.</summary>
    public GatewayGrant? Grant
    {
        get
        {
            lock (_gate)
            {
                return _grant;
            }
        }
    }

    public MetricSet Metrics { get; } = new("map");

    public Mapping? Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    public NatMapping NatMapping
    {
        get
        {
            lock (_gate)
            {
                return _mapping;
            }
        }
    }

    public NatFiltering Filtering
    {
        get
        {
            lock (_gate)
            {
                return _filtering;
            }
        }
    }

    private string ProtocolName => Options.Protocol == MapProtocol.Udp ? "udp" : "tcp";

    public string Status
    {
        get
        {
            lock (_gate)
            {
                if (_current is not { } current)
                {
                    return $"{ProtocolName} port {Options.Bind.Port}: no mapping yet ({_lastProblem})";
                }
                if (_grant is { } grant && !_gatewayBehindNat)
                {
                    return string.Create(CultureInfo.InvariantCulture,
                        $"{current}; mapped by the gateway {HostEndpoint.Format(grant.Server ?? _gateway!.Gateway)} over {grant.ProtocolName}, lifetime {grant.Lifetime.TotalSeconds} s, renewed at half");
                }
                return $"{current}; mapping {MapPolicy.Describe(_mapping)}, inbound {MapPolicy.Describe(_filtering)}" +
                       (MapPolicy.IsUsable(_mapping) ? "" : "; others cannot reach it, retrying") +
                       string.Create(CultureInfo.InvariantCulture, $"; keepalive every {Options.Keepalive.TotalSeconds} s");
            }
        }
    }

    public void Start()
    {
        try
        {
            _servers = Options.Servers.Select(Resolve).ToArray();
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            throw new StartupException("--server: " + e.Message, e);
        }
        if (_rules is not null)
        {
            try
            {
                int stale = _rules.RemoveStale();
                if (stale > 0)
                {
                    Log.Notice($"removed {stale} stale rule(s) tagged {_rules.Tag} (left by an instance that did not stop cleanly)");
                }
            }
            catch (RuleSetException e)
            {
                throw new StartupException(e.Message, e);
            }
        }
        OpenGateway();
        bool usable;
        try
        {
            usable = AskGateway() || FullCheck();
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied or SocketError.AddressNotAvailable)
        {
            CloseChannels();
            throw new StartupException($"--bind: cannot bind {ProtocolName} {HostEndpoint.Format(Options.Bind)}: {e.Message}", e);
        }
        catch (SocketException e)
        {
            CloseChannels();
            throw new StartupException($"{ProtocolName} port {Options.Bind.Port}: cannot reach the STUN servers: {e.Message}", e);
        }
        if (!usable && !Options.KeepTrying)
        {
            CloseChannels();
            throw new StartupException(_lastProblem + " (--keep-trying goes on and re-checks)");
        }
        if (_rules is not null)
        {
            try
            {
                // After the first check, whose inbound test must reach postern-map, not the service.
                _rulesInstalled = true;
                _rules.Install();
            }
            catch (RuleSetException e)
            {
                _rulesInstalled = false;
                CloseChannels();
                throw new StartupException(e.Message, e);
            }
            Log.Info($"forwarding: new {ProtocolName} flows to port {Options.Bind.Port} go to {HostEndpoint.Format(Options.ForwardTo!)} (DNAT, tagged {_rules.Tag})");
        }
        _thread = new Thread(Run) { IsBackground = true, Name = "map-keepalive" };
        _thread.Start();
    }

    public void Stop()
    {
        _stop.Set();
        _thread?.Join();
        _hook?.Dispose();
        CloseChannels();
        RemoveRules();
        DeleteGatewayMapping();
    }

    private void RemoveRules()
    {
        if (_rules is null || !_rulesInstalled)
        {
            return;
        }
        _rulesInstalled = false;
        _rules.Remove();
        if (_rules.RemoveFailure is { } failure)
        {
            Log.Error($"rules tagged {_rules.Tag} left behind ({failure}); postern-map --cleanup with the same options removes them");
        }
    }

    /// <summary>Puts back a --forward-to rule someone else removed (a firewall reload).</summary>
    private void RepairRules()
    {
        if (_rules is null || !_rulesInstalled)
        {
            return;
        }
        RuleRepair repair = _rules.Repair();
        if (repair.Describe() is { } line)
        {
            Log.Warning(line);
        }
    }

    private IPEndPoint Resolve((string Host, int Port) server)
    {
        AddressFamily family = Options.Bind.AddressFamily;
        IPAddress[] addresses = IPAddress.TryParse(server.Host, out IPAddress? literal) ? new[] { literal } : Dns.GetHostAddresses(server.Host);
        foreach (IPAddress address in addresses)
        {
            if (address.AddressFamily == family)
            {
                return new IPEndPoint(address, server.Port);
            }
        }
        throw new IOException($"{server.Host} has no {(family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4")} address (the family of --bind)");
    }

    /// <summary>STUN keeps the mapping when the gateway granted none, and also when the gateway
    /// is itself behind another NAT (its external address is private).</summary>
    private bool StunActive
    {
        get
        {
            lock (_gate)
            {
                return _grant is null || _gatewayBehindNat;
            }
        }
    }

    private void Run()
    {
        int keepalives = 0;
        TimeSpan nextKeepalive = _clock.Elapsed + Options.Keepalive;
        while (true)
        {
            TimeSpan due = StunActive ? nextKeepalive : TimeSpan.MaxValue;
            if (Grant is { } held && held.RenewAt < due)
            {
                due = held.RenewAt;
            }
            TimeSpan wait = due == TimeSpan.MaxValue ? Options.Keepalive : due - _clock.Elapsed;
            if (_stop.Wait(wait < TimeSpan.Zero ? TimeSpan.Zero : wait))
            {
                break;
            }
            try
            {
                if (Grant is { } grant && _clock.Elapsed >= grant.RenewAt)
                {
                    RenewGateway();
                }
                if (!StunActive || _clock.Elapsed < nextKeepalive)
                {
                    continue;
                }
                nextKeepalive = _clock.Elapsed + Options.Keepalive;
                bool full = ++keepalives % Options.CheckEvery == 0;
                if (Grant is null && _gateway is not null && (full || _servers.Length == 0) && AskGateway())
                {
                    continue;
                }
                if (_servers.Length == 0)
                {
                    continue;
                }
                if (!Keepalive() || full)
                {
                    FullCheck();
                    RepairRules();
                }
            }
            catch (SocketException e)
            {
                // The port was taken meanwhile, an address went away: logged, retried next time.
                Counters.AddSocketError();
                Log.Warning($"check failed: {e.Message}; retrying in {Options.Keepalive.TotalSeconds} s");
                CloseChannels();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Whatever else goes wrong in one round must not end the service: the next
                // keepalive starts again from fresh sockets.
                Log.Error($"check failed unexpectedly: {e.GetType().Name}: {e.Message}; retrying in {Options.Keepalive.TotalSeconds} s");
                CloseChannels();
            }
        }
    }

    /// <summary>Finds the gateway to ask (--gateway, else the IPv4 default route's), unless no
    /// gateway protocol is allowed or --bind is IPv6 (NAT-PMP and PCP are asked over IPv4 here).</summary>
    private void OpenGateway()
    {
        if (Options.GatewayProtocols.Count == 0)
        {
            return;
        }
        if (Options.Bind.AddressFamily != AddressFamily.InterNetwork)
        {
            Log.Info("gateway: not asked for an IPv6 --bind (PCP over IPv6 is not built); STUN only");
            return;
        }
        if (IPAddress.IsLoopback(Options.Bind.Address))
        {
            // No gateway maps a loopback port; asking the default route's would send off the host.
            Log.Info("gateway: not asked for a loopback --bind; STUN only");
            return;
        }
        IPAddress? gateway = Options.Gateway ?? DefaultRoute.Gateway();
        if (gateway is null)
        {
            Log.Info("gateway: no IPv4 default route (and no --gateway); STUN only");
            return;
        }
        try
        {
            _gateway = new GatewayClient(gateway, Options.Protocol, Options.Bind, Options.GatewayProtocols, GatewayCounters);
        }
        catch (SocketException e)
        {
            Log.Warning($"gateway: cannot ask {gateway}: {e.Message}; STUN only");
        }
    }

    private uint LeaseSeconds => (uint)Options.Lease.TotalSeconds;

    /// <summary>Asks the gateway for a mapping; true when it granted one whose external address is
    /// public (then STUN is not needed). A grant whose external address is private (the gateway is
    /// behind another NAT) is held and renewed, and STUN still learns the public endpoint.</summary>
    private bool AskGateway()
    {
        if (_gateway is null)
        {
            return false;
        }
        GatewayGrant? grant = _gateway.Map(LeaseSeconds);
        if (grant is null)
        {
            Log.Info($"gateway: {HostEndpoint.Format(_gateway.Gateway)} granted no {ProtocolName} mapping of port {Options.Bind.Port}" +
                     (_gateway.LastUnreachable ? " (no server there)" : "") + (_servers.Length > 0 ? "; STUN instead" : ""));
            lock (_gate)
            {
                _grant = null;
                _gatewayBehindNat = false;
            }
            return false;
        }
        return TakeGrant(grant, renewal: false);
    }

    /// <summary>Renews the held grant at half its lifetime; a refused or unanswered renewal falls
    /// back to STUN at once.</summary>
    private void RenewGateway()
    {
        GatewayGrant? before = Grant;
        GatewayGrant? grant = _gateway!.Map(LeaseSeconds);
        if (grant is null)
        {
            Log.Warning($"gateway: renewal of {ProtocolName} port {Options.Bind.Port} failed" + (_servers.Length > 0 ? "; STUN instead" : "; retrying"));
            lock (_gate)
            {
                _grant = null;
                _gatewayBehindNat = false;
            }
            if (_servers.Length > 0)
            {
                FullCheck();
            }
            return;
        }
        bool renewal = !_gateway.LastEpochReset && before is not null;
        Log.Info(string.Create(CultureInfo.InvariantCulture,
            $"gateway: {grant.ProtocolName} {(renewal ? "renewed" : "mapped again")}: {ProtocolName} {HostEndpoint.Format(grant.External)} for {grant.Lifetime.TotalSeconds} s"));
        TakeGrant(grant, renewal);
    }

    private bool TakeGrant(GatewayGrant grant, bool renewal)
    {
        bool behindNat = !IsPublic(grant.External.Address);
        bool wasBehindNat;
        lock (_gate)
        {
            wasBehindNat = _gatewayBehindNat;
            _grant = grant;
            _gatewayBehindNat = behindNat;
        }
        if (!renewal)
        {
            Log.Notice(string.Create(CultureInfo.InvariantCulture,
                $"gateway: {grant.ProtocolName} mapped {ProtocolName} {HostEndpoint.Format(grant.External)} -> {_gateway!.ClientAddress}:{Options.Bind.Port} " +
                $"for {grant.Lifetime.TotalSeconds} s (asked {LeaseSeconds} s) by {HostEndpoint.Format(grant.Server ?? _gateway.Gateway)}"));
        }
        if (behindNat)
        {
            if (!wasBehindNat)
            {
                Log.Notice($"gateway: its external address {grant.External.Address} is not public: the gateway is behind another NAT; " +
                           "the mapping is kept and STUN learns the public endpoint");
            }
            return false;
        }
        var mapping = new Mapping(Options.Protocol, grant.External, new IPEndPoint(_gateway!.ClientAddress, Options.Bind.Port));
        // Stale STUN state goes: the gateway's mapping is explicit, open to every host.
        CloseChannels();
        return Take(mapping, grant.Server ?? _gateway.Gateway, NatMapping.EndpointIndependent, NatFiltering.Open, null, null);
    }

    /// <summary>Whether an external address is on the Internet: not RFC 1918, shared (RFC 6598),
    /// loopback, link-local or unspecified. The documentation ranges count as public (they are
    /// the labs' Internet).</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            return !address.IsIPv6LinkLocal && !address.IsIPv6UniqueLocal && !IPAddress.IsLoopback(address) && !address.Equals(IPAddress.IPv6Any);
        }
        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        return !(b[0] == 0 || b[0] == 10 || b[0] == 127 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
                 (b[0] == 169 && b[1] == 254) || (b[0] == 100 && (b[1] & 0xc0) == 64) || b[0] >= 224);
    }

    /// <summary>On stop: lifetime 0 for the held grant (RFC 6886 section 3.4, RFC 6887 section 15).</summary>
    private void DeleteGatewayMapping()
    {
        if (_gateway is null)
        {
            return;
        }
        if (Grant is { } grant)
        {
            bool deleted = _gateway.Delete();
            lock (_gate)
            {
                _grant = null;
            }
            if (deleted)
            {
                Log.Info($"gateway: {grant.ProtocolName} mapping {ProtocolName} {HostEndpoint.Format(grant.External)} deleted");
            }
            else
            {
                Log.Warning($"gateway: {grant.ProtocolName} mapping {ProtocolName} {HostEndpoint.Format(grant.External)} not confirmed deleted; it lapses after its lifetime");
            }
        }
        _gateway.Dispose();
        _gateway = null;
    }

    /// <summary>One Binding request on the kept path; false when it needs a full check (no path,
    /// no answer, an error, another public endpoint).</summary>
    private bool Keepalive()
    {
        StunAnswer? answer = null;
        if (Options.Protocol == MapProtocol.Udp && _udp is { } udp)
        {
            answer = udp.Binding(Counters, Options.StunTimeout);
        }
        else if (Options.Protocol == MapProtocol.Tcp && _tcp is { } tcp)
        {
            try
            {
                answer = tcp.Binding(Counters, Options.StunTimeout);
            }
            catch (IOException e)
            {
                Log.Warning("keepalive: " + e.Message);
                CloseChannels();
            }
        }
        else
        {
            return false;
        }
        Counters.AddKeepalive(answer is not null);
        if (answer is not { } found)
        {
            Log.Warning($"keepalive: no answer from {_udp?.Remote.ToString() ?? _tcp?.Remote.ToString() ?? "the server"}; checking again");
            return false;
        }
        return Current is { } current && current.Public.Equals(found.Mapped.ToIPEndPoint());
    }

    /// <summary>Asks the servers in order until one answers on a kept path, judges the NAT, and
    /// takes the mapping (running the hook when it changed). True when a usable mapping is known.</summary>
    private bool FullCheck()
    {
        Counters.AddCheck();
        if (_servers.Length == 0)
        {
            lock (_gate)
            {
                _lastProblem = $"the gateway granted no mapping of {ProtocolName} port {Options.Bind.Port} and no --server is given";
            }
            return false;
        }
        StunAnswer? first = null;
        int index = 0;
        for (; index < _servers.Length && first is null; index++)
        {
            first = AskKept(_servers[index]);
        }
        if (first is not { } answer)
        {
            lock (_gate)
            {
                _lastProblem = $"no STUN server answered from {ProtocolName} port {Options.Bind.Port} " +
                               $"({string.Join(", ", _servers.Select(HostEndpoint.Format))})";
            }
            if (_thread is not null || Options.KeepTrying)
            {
                // Otherwise the failure is the start's one error line.
                Log.Warning(_lastProblem);
            }
            return false;
        }
        IPEndPoint primary = _servers[index - 1];
        IPEndPoint mapped = answer.Mapped.ToIPEndPoint();
        bool changed = Current is not { } before || !before.Public.Equals(mapped);

        NatFiltering filtering = Filtering;
        // With the DNAT rule in place the other address's answer is a new flow, forwarded to the
        // service: the judgement made before the rule stands.
        if ((changed || filtering == NatFiltering.Unknown) && !_rulesInstalled)
        {
            // Before the mapping test: that one sends to the other IP, which an address-restricted
            // NAT would then let in.
            filtering = VerifyInbound(answer);
        }
        (IPEndPoint? secondServer, StunAddress? second) = ObserveElsewhere(primary, answer);
        NatMapping behaviour = MapPolicy.JudgeMapping(answer.Mapped, second);
        return Take(new Mapping(Options.Protocol, mapped, answer.Local), primary, behaviour, filtering, secondServer, second);
    }

    /// <summary>A Binding request on the kept path to <paramref name="server"/>, opened (or
    /// connected) first when it is not the kept one.</summary>
    private StunAnswer? AskKept(IPEndPoint server)
    {
        if (Options.Protocol == MapProtocol.Udp)
        {
            if (_udp is null || !_udp.Remote.Equals(server))
            {
                _udp?.Dispose();
                _udp = null;
                try
                {
                    _udp = UdpStunChannel.Open(Options.Bind, server);
                }
                catch (SocketException e) when (e.SocketErrorCode is not (SocketError.AddressAlreadyInUse or SocketError.AccessDenied or SocketError.AddressNotAvailable))
                {
                    // No route to this server: the next one is tried.
                    Counters.AddSocketError();
                    Log.Warning($"udp: cannot reach {HostEndpoint.Format(server)} from port {Options.Bind.Port}: {e.Message}");
                    return null;
                }
            }
            return _udp.Binding(Counters, Options.StunTimeout);
        }
        if (_tcp is null || !_tcp.Remote.Equals(server))
        {
            _tcp?.Dispose();
            _tcp = null;
            try
            {
                _tcp = TcpStunChannel.Connect(Options.Bind, server, Options.StunTimeout);
                Counters.AddReconnect();
            }
            catch (SocketException e) when (e.SocketErrorCode is not (SocketError.AddressAlreadyInUse or SocketError.AccessDenied or SocketError.AddressNotAvailable))
            {
                Counters.AddSocketError();
                Log.Warning($"tcp: cannot connect to {HostEndpoint.Format(server)} from port {Options.Bind.Port}: {e.Message}");
                return null;
            }
        }
        try
        {
            return _tcp.Binding(Counters, Options.StunTimeout);
        }
        catch (IOException e)
        {
            Log.Warning("tcp: " + e.Message);
            _tcp.Dispose();
            _tcp = null;
            return null;
        }
    }

    /// <summary>RFC 5780 section 4.4 test II over UDP: the kept path asks the server to answer
    /// from its other address and port, to which the port never sent; the answer comes in only
    /// when the NAT lets strangers in.</summary>
    private NatFiltering VerifyInbound(StunAnswer answer)
    {
        if (Options.Protocol != MapProtocol.Udp || answer.Other.IsEmpty || _udp is not { } udp)
        {
            return NatFiltering.Unknown;
        }
        try
        {
            using UdpStunChannel listener = UdpStunChannel.Open(Options.Bind, answer.Other.ToIPEndPoint());
            StunAnswer? reply = udp.Binding(Counters, Options.StunTimeout, StunAttribute.ChangeIpFlag | StunAttribute.ChangePortFlag, listener);
            return MapPolicy.JudgeFiltering(askedOther: true, otherAnswered: reply is not null);
        }
        catch (SocketException e)
        {
            // An other address this host cannot route to: nothing was tested.
            Counters.AddSocketError();
            Log.Info($"nat: cannot test inbound from {answer.Other} ({e.Message})");
            return NatFiltering.Unknown;
        }
    }

    /// <summary>The mapping towards another address from the same port: the server's other IP
    /// at the same port (RFC 5780 section 4.3), else the next --server on another IP.</summary>
    private (IPEndPoint? Server, StunAddress? Mapped) ObserveElsewhere(IPEndPoint primary, StunAnswer answer)
    {
        IPEndPoint? target = null;
        if (!answer.Other.IsEmpty)
        {
            target = new IPEndPoint(answer.Other.ToIPEndPoint().Address, primary.Port);
        }
        else
        {
            target = _servers.FirstOrDefault(s => !s.Address.Equals(primary.Address));
        }
        if (target is null)
        {
            return (null, null);
        }
        if (Options.Protocol == MapProtocol.Udp)
        {
            try
            {
                using UdpStunChannel channel = UdpStunChannel.Open(Options.Bind, target);
                return (target, channel.Binding(Counters, Options.StunTimeout)?.Mapped);
            }
            catch (SocketException e)
            {
                Counters.AddSocketError();
                Log.Info($"nat: cannot ask {HostEndpoint.Format(target)} ({e.Message}); mapping behaviour unknown");
                return (target, null);
            }
        }
        try
        {
            using TcpStunChannel channel = TcpStunChannel.Connect(Options.Bind, target, Options.StunTimeout);
            return (target, channel.Binding(Counters, Options.StunTimeout)?.Mapped);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            Log.Info($"tcp: {HostEndpoint.Format(target)} did not answer ({e.Message}); mapping behaviour unknown");
            return (target, null);
        }
    }

    private bool Take(Mapping mapping, IPEndPoint primary, NatMapping behaviour, NatFiltering filtering, IPEndPoint? secondServer, StunAddress? second)
    {
        Mapping? before;
        NatMapping behaviourBefore;
        NatFiltering filteringBefore;
        bool runHook;
        lock (_gate)
        {
            before = _current;
            behaviourBefore = _mapping;
            filteringBefore = _filtering;
            _current = mapping;
            _mapping = behaviour;
            _filtering = filtering;
            runHook = MapPolicy.ShouldRunHook(_announced, mapping, behaviour);
            if (runHook)
            {
                _announced = mapping;
            }
        }
        if (!mapping.SamePublic(before))
        {
            Counters.AddChange();
            Log.Notice(before is null
                ? $"mapping: {mapping} via {HostEndpoint.Format(primary)}"
                : $"mapping changed: {HostEndpoint.Format(before.Public)} -> {HostEndpoint.Format(mapping.Public)} ({mapping.ProtocolName}, private {HostEndpoint.Format(mapping.Private)}) via {HostEndpoint.Format(primary)}");
        }
        if (before is null || behaviour != behaviourBefore || filtering != filteringBefore || !mapping.SamePublic(before))
        {
            string towards = secondServer is null ? "no second address to compare with"
                : $"{HostEndpoint.Format(mapping.Public)} towards {HostEndpoint.Format(primary)}, {second?.ToString() ?? "no answer"} towards {HostEndpoint.Format(secondServer)}";
            Log.Info($"nat: mapping {MapPolicy.Describe(behaviour)} ({towards}); inbound {MapPolicy.Describe(filtering)}" +
                     (filtering == NatFiltering.Unknown && Options.Protocol == MapProtocol.Udp ? " (no server with an RFC 5780 other address)" : "") +
                     (filtering == NatFiltering.Unknown && Options.Protocol == MapProtocol.Tcp ? " (RFC 5780 tests inbound over UDP only)" : ""));
        }
        if (!MapPolicy.IsUsable(behaviour))
        {
            string problem = $"the mapping is address-dependent (a symmetric NAT): {HostEndpoint.Format(mapping.Public)} towards {HostEndpoint.Format(primary)}, " +
                             $"{second} towards {HostEndpoint.Format(secondServer!)}; others cannot reach it";
            lock (_gate)
            {
                _lastProblem = problem;
            }
            if (_thread is not null || Options.KeepTrying)
            {
                Log.Warning(problem);
            }
            return false;
        }
        if (runHook)
        {
            _hook?.Enqueue(mapping);
        }
        return true;
    }

    private void CloseChannels()
    {
        _udp?.Dispose();
        _udp = null;
        _tcp?.Dispose();
        _tcp = null;
    }

    public void Dispose()
    {
        if (_thread is { IsAlive: true })
        {
            Stop();
        }
        _hook?.Dispose();
        CloseChannels();
        _gateway?.Dispose();
    }
}
