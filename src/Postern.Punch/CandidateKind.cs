namespace Postern.Punch;

/// <summary>Where a candidate address came from, best first: the order in which a confirmed path
/// is preferred (the local network, then the public mappings, then a birthday port found by
/// probing, then the relay).</summary>
public enum CandidateKind
{
    Lan,
    Direct,
    Birthday,
    Relay,
}
