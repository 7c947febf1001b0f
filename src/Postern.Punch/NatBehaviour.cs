namespace Postern.Punch;

/// <summary>RFC 4787 section 4.1 (mapping) and 5 (filtering), in its words.</summary>
public enum NatBehaviour : byte
{
    Unknown = 0,
    EndpointIndependent = 1,
    AddressDependent = 2,
    AddressAndPortDependent = 3,
}

public static class NatBehaviourText
{
    public static string Describe(this NatBehaviour behaviour) => behaviour switch
    {
        NatBehaviour.EndpointIndependent => "endpoint-independent",
        NatBehaviour.AddressDependent => "address-dependent",
        NatBehaviour.AddressAndPortDependent => "address-and-port-dependent",
        _ => "unknown",
    };

    /// <summary>A mapping that changes with the destination: what birthday probing is for.</summary>
    public static bool IsSymmetric(this NatBehaviour mapping) =>
        mapping is NatBehaviour.AddressDependent or NatBehaviour.AddressAndPortDependent;
}
