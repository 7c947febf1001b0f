namespace Postern.Reflector;

/// <summary>Limits on answers, so that the reflector is a poor amplifier: every source (an IPv4
/// /32 or an IPv6 /64 by default; sources are easy to forge, a victim's address is what a flood
/// carries) gets <see cref="PerSourceRate"/> answers a second with bursts of
/// <see cref="PerSourceBurst"/>, and all sources together at most <see cref="GlobalRate"/>.</summary>
public sealed record RateLimitOptions
{
    public bool Enabled { get; init; } = true;
    public int PerSourceRate { get; init; } = 20;
    public int PerSourceBurst { get; init; } = 40;
    public int Ipv4PrefixLength { get; init; } = 32;
    public int Ipv6PrefixLength { get; init; } = 64;

    /// <summary>Answers per second over all sources; 0 for no global limit.</summary>
    public int GlobalRate { get; init; } = 20000;

    /// <summary>Sources tracked at once. A source that falls out of the table starts again with a
    /// full bucket, which is what it would have after being idle.</summary>
    public int TableSize { get; init; } = 65536;
}
