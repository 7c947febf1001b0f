using System.Net;
using Postern.Wire;

namespace Postern.Socks;

/// <summary>Everything postern-socks is told on its command line.</summary>
public sealed record SocksOptions
{
    public const ushort DefaultPort = 1080;

    public static readonly IReadOnlyList<IPEndPoint> DefaultListen = new[] { new IPEndPoint(IPAddress.IPv6Any, DefaultPort) };

    public IReadOnlyList<IPEndPoint> Listen { get; init; } = DefaultListen;

    /// <summary>RFC 1929 users ("user:password" lines); null for no authentication.</summary>
    public string? UsersFile { get; init; }

    /// <summary>BND.ADDR of UDP ASSOCIATE replies when the host is behind 1:1 NAT; null: the
    /// address the client connected to.</summary>
    public IPAddress? PublicAddress { get; init; }

    /// <summary>Client prefixes served; empty: everyone.</summary>
    public IReadOnlyList<AddressPrefix> Allow { get; init; } = Array.Empty<AddressPrefix>();

    public int MaxConnections { get; init; } = 1024;

    public int MaxAssociations { get; init; } = 1024;

    /// <summary>Per user name, or per client address without authentication.</summary>
    public int MaxAssociationsPerUser { get; init; } = 64;

    /// <summary>An association with no datagram either way for this long ends (TCP and all).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest payload relayed; longer datagrams are dropped and counted.</summary>
    public int MaxDatagram { get; init; } = 8192;

    /// <summary>Threads that move relayed datagrams; associations are spread over them.</summary>
    public int RelayThreads { get; init; } = Math.Min(Environment.ProcessorCount, 4);

    /// <summary>Time for a client to finish the handshake, and for CONNECT to reach its target.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public int UdpBufferBytes { get; init; } = 1 << 20;
}
