namespace Postern.Wire;

/// <summary>A NAT-PMP answer's fields (RFC 6886 sections 3.2, 3.3); ExternalAddress is the IPv4
/// address in host order, the port fields only of a mapping answer.</summary>
public readonly record struct NatPmpResponse
{
    public ushort Result { get; init; }
    public uint Epoch { get; init; }
    public uint ExternalAddress { get; init; }
    public ushort InternalPort { get; init; }
    public ushort ExternalPort { get; init; }
    public uint Lifetime { get; init; }
}
