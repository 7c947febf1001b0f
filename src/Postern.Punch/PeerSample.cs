namespace Postern.Punch;

/// <summary>One look at a WireGuard peer, as `wg show IFACE transfer` and `latest-handshakes`
/// print it: when it was taken (<see cref="At"/>, monotonic, from the hand-off), the bytes
/// received from the peer, and its latest handshake and the wall clock then, in Unix seconds
/// (<see cref="LatestHandshake"/> 0: no handshake yet).</summary>
public readonly record struct PeerSample(TimeSpan At, long RxBytes, long LatestHandshake, long Now);
