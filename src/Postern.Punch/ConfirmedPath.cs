using System.Net;

namespace Postern.Punch;

/// <summary>A path whose round trip completed: our probe out through <see cref="Port"/> to
/// <see cref="Peer"/>, the peer's answer back.</summary>
public sealed record ConfirmedPath(PunchPort Port, IPEndPoint Peer, CandidateKind Kind, TimeSpan RoundTrip);
