using Postern.Wire;

namespace Postern.Map;

/// <summary>The decisions of postern-map, as pure functions of what the reflectors said.</summary>
public static class MapPolicy
{
    /// <summary>RFC 5780 section 4.3: the mapping towards the primary address compared with the
    /// mapping towards another address (the alternate IP, or another server).</summary>
    public static NatMapping JudgeMapping(StunAddress primary, StunAddress? other)
    {
        if (primary.IsEmpty || other is not { IsEmpty: false } second)
        {
            return NatMapping.Unknown;
        }
        return primary == second ? NatMapping.EndpointIndependent : NatMapping.AddressDependent;
    }

    /// <summary>RFC 5780 section 4.4, test II: an answer asked of the other address and port
    /// arrived, or did not while the primary answered; without an other address nothing is known.</summary>
    public static NatFiltering JudgeFiltering(bool askedOther, bool otherAnswered) =>
        !askedOther ? NatFiltering.Unknown : otherAnswered ? NatFiltering.Open : NatFiltering.Filtered;

    /// <summary>Whether the mapping is worth keeping and announcing: refused only when it is known
    /// to depend on the destination.</summary>
    public static bool IsUsable(NatMapping mapping) => mapping != NatMapping.AddressDependent;

    /// <summary>The hook runs for the first mapping and whenever the public endpoint changes, and
    /// never for an unusable one.</summary>
    public static bool ShouldRunHook(Mapping? announced, Mapping current, NatMapping behaviour) =>
        IsUsable(behaviour) && !current.SamePublic(announced);

    public static string Describe(NatMapping mapping) => mapping switch
    {
        NatMapping.EndpointIndependent => "endpoint-independent",
        NatMapping.AddressDependent => "address-dependent",
        _ => "unknown",
    };

    public static string Describe(NatFiltering filtering) => filtering switch
    {
        NatFiltering.Open => "open",
        NatFiltering.Filtered => "filtered",
        _ => "not verified",
    };
}
