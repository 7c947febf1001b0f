namespace Postern.Wire;

/// <summary>A PCP MAP answer's fields (RFC 6887 sections 7.2, 11.1).</summary>
public readonly record struct PcpResponse
{
    public byte Result { get; init; }
    public uint Lifetime { get; init; }
    public uint Epoch { get; init; }
    public ushort InternalPort { get; init; }
    public ushort ExternalPort { get; init; }
    public Address16 ExternalAddress16 { get; init; }
}
