using System.Net;

namespace Postern.Punch;

/// <summary>One address of the peer's worth probing (RFC 8445's candidate, reduced to what a
/// pair of hosts needs).</summary>
public readonly record struct Candidate(IPEndPoint EndPoint, CandidateKind Kind)
{
    public override string ToString() => $"{Kind.ToString().ToLowerInvariant()} {Endpoints.Format(EndPoint)}";
}
