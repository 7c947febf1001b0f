namespace Postern.Punch;

/// <summary>POSTERN-INFO (docs/punch-protocol.md): what a peer tells the other through the
/// reflector about itself: its mapping behaviour and whether its last announced address is a
/// relay it holds.</summary>
public readonly record struct PeerInfo(NatBehaviour Mapping, bool LastLocalIsRelay)
{
    public const int Length = 8;
    public const byte Version = 1;

    public void Write(Span<byte> destination)
    {
        destination.Slice(0, Length).Clear();
        destination[0] = Version;
        destination[1] = (byte)Mapping;
        destination[2] = (byte)(LastLocalIsRelay ? 1 : 0);
    }

    /// <summary>An absent, short or other-version value reads as "nothing known".</summary>
    public static PeerInfo Read(ReadOnlySpan<byte> value)
    {
        if (value.Length < Length || value[0] != Version || value[1] > (byte)NatBehaviour.AddressAndPortDependent)
        {
            return default;
        }
        return new PeerInfo((NatBehaviour)value[1], (value[2] & 1) != 0);
    }
}
