namespace Postern.Punch;

/// <summary>`postern-punch keep`, validated: connect --wireguard's options (<see cref="Connect"/>,
/// whose <see cref="ConnectOptions.WireGuard"/> is set and carries --wg-keepalive) and how long
/// the peer may send nothing before the path is stale and punched again.</summary>
public sealed record KeepOptions
{
    public required ConnectOptions Connect { get; init; }

    /// <summary>--stale: no rx from the peer for this long is a dead path.</summary>
    public required TimeSpan Stale { get; init; }

    /// <summary>--state: where the next round's number is kept across restarts, else null.</summary>
    public KeepState? State { get; init; }

    /// <summary>How often wg is asked: a fifth of <see cref="Stale"/>, 1 s to 5 s, so a dead path
    /// is noticed within --stale plus a fifth.</summary>
    public TimeSpan SampleInterval => TimeSpan.FromTicks(Math.Clamp(Stale.Ticks / 5, TimeSpan.TicksPerSecond, 5 * TimeSpan.TicksPerSecond));
}
