using System.Net;

namespace Postern.Punch;

/// <summary>What the reflector told us: our own mapping, the peer's, the peer's announced
/// addresses and its POSTERN-INFO, and whether we were the first to arrive.</summary>
public sealed record RendezvousResult(IPEndPoint Mapped, IPEndPoint Peer, IReadOnlyList<IPEndPoint> PeerLocals, PeerInfo PeerInfo,
    bool First, TimeSpan ServerRoundTrip, TimeSpan Waited);
