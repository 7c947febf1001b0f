namespace Postern.Wire;

/// <summary>STUN message types (RFC 8489 section 5): a 12-bit method and a 2-bit class (C1, C0)
/// interleaved in the 14 low bits of the first 16 bits of the header.</summary>
public static class StunMessageType
{
    public const ushort MethodBinding = 0x001;

    public const int ClassRequest = 0b00;
    public const int ClassIndication = 0b01;
    public const int ClassSuccessResponse = 0b10;
    public const int ClassErrorResponse = 0b11;

    public const ushort BindingRequest = 0x0001;
    public const ushort BindingIndication = 0x0011;
    public const ushort BindingSuccessResponse = 0x0101;
    public const ushort BindingErrorResponse = 0x0111;

    // RFC 8489 section 5, figure 3: M11..M7, C1, M6..M4, C0, M3..M0.
    public static int ClassOf(ushort type) => ((type >> 7) & 0b10) | ((type >> 4) & 0b01);

    public static ushort MethodOf(ushort type) => (ushort)((type & 0x000F) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0F80));

    public static ushort Compose(ushort method, int @class) =>
        (ushort)((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) |
                 ((@class & 0b01) << 4) | ((@class & 0b10) << 7));
}
