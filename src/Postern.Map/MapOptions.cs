using System.Net;

namespace Postern.Map;

/// <summary>Everything postern-map is told on its command line.</summary>
public sealed record MapOptions
{
    public const int DefaultServerPort = 3478;
    public const int MaxKeepaliveSeconds = 3600;
    public const int MaxCheckEvery = 10_000;
    public const int MaxHookTimeoutSeconds = 3600;
    public const int MinLeaseSeconds = 2;
    public const int MaxLeaseSeconds = 86400;

    public MapProtocol Protocol { get; init; } = MapProtocol.Udp;

    /// <summary>The local port to keep mapped, with the address to bind it on (Any when only a
    /// port was given).</summary>
    public IPEndPoint Bind { get; init; } = new(IPAddress.Any, 0);

    /// <summary>STUN servers (HOST, PORT), tried in order: the first that answers is kept.</summary>
    public IReadOnlyList<(string Host, int Port)> Servers { get; init; } = Array.Empty<(string, int)>();

    /// <summary>Run with NATMap's six arguments whenever the public address or port changes; null for none.</summary>
    public string? Hook { get; init; }

    public TimeSpan HookTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A Binding request on the kept path this often, so that the mapping never idles
    /// out (UDP NATs forget a mapping after 30 s or less).</summary>
    public TimeSpan Keepalive { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>A full check (every server, the NAT's behaviour) every this many keepalives.</summary>
    public int CheckEvery { get; init; } = 10;

    /// <summary>How long one STUN transaction waits for its answer (with retransmissions over UDP).</summary>
    public TimeSpan StunTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Where --forward-to sends new inbound connections to the kept port (a DNAT rule);
    /// null for none: the local service listens on the kept port itself.</summary>
    public IPEndPoint? ForwardTo { get; init; }

    /// <summary>The iptables program for IPv4 (ip6tables is found beside it).</summary>
    public string Iptables { get; init; } = "iptables";

    /// <summary>Go on (and re-check) behind a NAT whose mapping depends on the destination, or
    /// when no server answers yet, instead of exiting with status 1.</summary>
    public bool KeepTrying { get; init; }

    /// <summary>Who is asked for a mapping before STUN, in order (PCP, then NAT-PMP, then UPnP IGD
    /// when --upnp is given); empty for STUN only.</summary>
    public IReadOnlyList<GatewayProtocol> GatewayProtocols { get; init; } = new[] { GatewayProtocol.Pcp, GatewayProtocol.NatPmp };

    /// <summary>--upnp: UPnP IGD is asked after the other gateway protocols (and alone with
    /// --gateway-protocols none).</summary>
    public bool Upnp => GatewayProtocols.Contains(GatewayProtocol.Upnp);

    /// <summary>The gateway to ask; null for the IPv4 default route's gateway.</summary>
    public IPAddress? Gateway { get; init; }

    /// <summary>The lifetime asked of the gateway; renewed at half what it grants.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(7200);

    /// <summary>One sentence on what is wrong, or null.</summary>
    public string? Validate()
    {
        if (Bind.Port is < 1 or > 65535)
        {
            return $"--bind: port {Bind.Port} is out of range (1 to 65535)";
        }
        if (Servers.Count == 0 && GatewayProtocols.Count == 0)
        {
            return "--server: at least one STUN server is needed (HOST[:PORT]) when no gateway protocol is asked";
        }
        if (Upnp && Bind.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return "--upnp: an IGD maps IPv4 ports, and --bind is IPv6";
        }
        if (Upnp && IPAddress.IsLoopback(Bind.Address))
        {
            return "--upnp: no gateway maps a loopback --bind";
        }
        if (Lease < TimeSpan.FromSeconds(MinLeaseSeconds) || Lease > TimeSpan.FromSeconds(MaxLeaseSeconds))
        {
            return $"--lease: {Lease.TotalSeconds:0} is out of range ({MinLeaseSeconds} to {MaxLeaseSeconds} seconds)";
        }
        if (Gateway is { } gateway && (gateway.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork ||
                                       gateway.Equals(IPAddress.Any) || gateway.Equals(IPAddress.Broadcast)))
        {
            return $"--gateway: {gateway} is not a unicast IPv4 address (NAT-PMP and PCP are asked of the IPv4 gateway)";
        }
        if (Keepalive < TimeSpan.FromSeconds(1) || Keepalive > TimeSpan.FromSeconds(MaxKeepaliveSeconds))
        {
            return $"--keepalive: {Keepalive.TotalSeconds:0} is out of range (1 to {MaxKeepaliveSeconds} seconds)";
        }
        if (CheckEvery is < 1 or > MaxCheckEvery)
        {
            return $"--check: {CheckEvery} is out of range (1 to {MaxCheckEvery} keepalives)";
        }
        if (HookTimeout < TimeSpan.FromSeconds(1) || HookTimeout > TimeSpan.FromSeconds(MaxHookTimeoutSeconds))
        {
            return $"--hook-timeout: {HookTimeout.TotalSeconds:0} is out of range (1 to {MaxHookTimeoutSeconds} seconds)";
        }
        if (StunTimeout < TimeSpan.FromSeconds(1) || StunTimeout > TimeSpan.FromSeconds(60))
        {
            return $"--stun-timeout: {StunTimeout.TotalSeconds:0} is out of range (1 to 60 seconds)";
        }
        if (ForwardTo is { } target)
        {
            if (target.Port is < 1 or > 65535)
            {
                return $"--forward-to: port {target.Port} is out of range (1 to 65535)";
            }
            if (target.AddressFamily != Bind.AddressFamily)
            {
                return $"--forward-to: {target} is not of --bind's address family";
            }
            if (IPAddress.IsLoopback(target.Address))
            {
                return $"--forward-to: {target.Address} is a loopback address, which DNAT from outside cannot reach; name an address of this host or of a host routed through it";
            }
        }
        if (Hook is { } hook && hook.Trim().Length == 0)
        {
            return "--hook: the command is empty";
        }
        return null;
    }
}
