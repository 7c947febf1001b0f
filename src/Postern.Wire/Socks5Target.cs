namespace Postern.Wire;

/// <summary>An address field of RFC 1928 section 5 as it lies in a message: the type, where the
/// address bytes (4 or 16) or the name's bytes are, the port, and how long the field was. Offsets
/// are into the span that was read, so nothing is copied and no string is made.</summary>
public readonly record struct Socks5Target(byte AddressType, int AddressOffset, int AddressLength, ushort Port, int FieldLength)
{
    public bool IsDomain => AddressType == Socks5.AddressDomain;
}
