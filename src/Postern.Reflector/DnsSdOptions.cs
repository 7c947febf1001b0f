namespace Postern.Reflector;

/// <summary>postern-reflector --dns-sd: publish the WireGuard endpoints peers register
/// (docs/punch-protocol.md, "DNS-SD registration") as wgsd-style DNS-SD records under
/// <see cref="Zone"/>, served on <see cref="Listen"/>.</summary>
public sealed record DnsSdOptions
{
    public const int DefaultTtlSeconds = 30;
    public const int DefaultTableSize = 1024;
    public const int MaxTableSize = 1 << 20;
    public const int MaxTtlSeconds = 3600;

    /// <summary>A registration not renewed for this many TTLs is dropped.</summary>
    public const int LifetimeInTtls = 4;

    /// <summary>How far a registration's timestamp may be from the reflector's clock.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>The zone, without a trailing dot, lower case (vpn.example.net).</summary>
    public required string Zone { get; init; }

    public IReadOnlyList<ListenEndpoint> Listen { get; init; } = Defaults;

    /// <summary>The reflector's X25519 private key (32 bytes, from --dns-sd-key).</summary>
    public required byte[] PrivateKey { get; init; }

    public int TtlSeconds { get; init; } = DefaultTtlSeconds;

    public int TableSize { get; init; } = DefaultTableSize;

    public TimeSpan Lifetime => TimeSpan.FromSeconds((double)TtlSeconds * LifetimeInTtls);

    public static IReadOnlyList<ListenEndpoint> Defaults { get; } = new[]
    {
        new ListenEndpoint(ListenTransport.Udp, System.Net.IPAddress.IPv6Any, 53),
        new ListenEndpoint(ListenTransport.Tcp, System.Net.IPAddress.IPv6Any, 53),
    };
}
