using System.Net;

namespace Postern.Reflector;

public sealed record ReflectorOptions
{
    public IReadOnlyList<ListenEndpoint> Listen { get; init; } = ListenEndpoint.Defaults;

    /// <summary>RFC 5780's second address and port, paired with the first UDP listener.</summary>
    public IPEndPoint? Alternate { get; init; }

    public int Workers { get; init; } = Environment.ProcessorCount;

    public RateLimitOptions RateLimit { get; init; } = new();

    /// <summary>Never answer with more bytes than the request had (an answer that would be
    /// larger is not sent).</summary>
    public bool StrictSize { get; init; }

    public bool LogRequests { get; init; }

    /// <summary>Pair peers that send the same POSTERN-TOKEN (docs/punch-protocol.md); false for
    /// --no-rendezvous.</summary>
    public bool Rendezvous { get; init; } = true;

    /// <summary>Tokens held at once (--rendezvous-table), a fixed table.</summary>
    public int RendezvousTableSize { get; init; } = RendezvousTable.DefaultCapacity;

    /// <summary>--dns-sd: publish registered WireGuard endpoints over DNS; null when off.</summary>
    public DnsSdOptions? DnsSd { get; init; }

    /// <summary>The SOFTWARE attribute's text (UTF-8, fewer than 128 characters); empty for none.</summary>
    public string Software { get; init; } = "";

    public int MaxTcpConnections { get; init; } = 1024;

    public TimeSpan TcpIdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a TCP client may stay silent before it is taken for a text client.</summary>
    public TimeSpan TcpFirstByteTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Socket buffer size for UDP sockets, in bytes; 0 for the kernel's.</summary>
    public int UdpBufferBytes { get; init; } = 4 << 20;
}
