namespace Postern.Punch;

/// <summary>How a held path is kept (RFC 7675): a consent check (a keepalive probe) every
/// <see cref="Keepalive"/>, jittered by a fifth, and the path declared lost after
/// <see cref="ConsentTimeout"/> without an authenticated answer. A relayed path also goes on
/// probing the peer's direct candidates (<see cref="DirectUpgrade"/>), first
/// <see cref="UpgradeInterval"/> apart, doubling up to <see cref="UpgradeMaxInterval"/>.</summary>
public sealed record HoldSettings
{
    public const int MaxKeepaliveSeconds = 25;

    public TimeSpan Keepalive { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan ConsentTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The first pause between two rounds of direct probes on a relayed path.</summary>
    public TimeSpan UpgradeInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest pause between two rounds of direct probes: under the 30 s a Linux NAT
    /// keeps an unanswered UDP mapping, so the mapping the peer was told stays open meanwhile.</summary>
    public TimeSpan UpgradeMaxInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long, after the move to a direct path, datagrams still arriving over the
    /// relay are passed on (they were in flight) before the relay's association is closed.</summary>
    public TimeSpan RelayGrace { get; init; } = TimeSpan.FromSeconds(2);
}
