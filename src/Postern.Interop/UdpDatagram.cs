using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Postern.Interop;

/// <summary>Mirror of <c>PosternUdpDatagram</c> (native/pal_types.h): one datagram of a batch,
/// whose payload lies at <see cref="Offset"/> in the caller's buffer. Addresses are 16 bytes, IPv4
/// in its mapped form with <see cref="Family"/> 4.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct UdpDatagram
{
    public const byte FlagTruncated = 1;
    public const byte FlagHasLocal = 2;

    public int Offset;
    public int Length;
    public Address16 Address;
    public Address16 LocalAddress;
    public uint ScopeId;
    public uint LocalIfIndex;
    public ushort Port;
    public byte Family;
    public byte Flags;
    public int Error;

    public readonly bool IsTruncated => (Flags & FlagTruncated) != 0;

    public readonly bool HasLocal => (Flags & FlagHasLocal) != 0;

    /// <summary>Sixteen address bytes inline, as in the C struct.</summary>
    [InlineArray(16)]
    public struct Address16
    {
        private byte _element0;
    }
}
