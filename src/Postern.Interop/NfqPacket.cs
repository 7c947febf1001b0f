using System.Runtime.InteropServices;

namespace Postern.Interop;

/// <summary>Mirror of <c>PosternNfqPacket</c> (native/pal_types.h): one queued packet whose payload
/// lies in the caller's receive buffer.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct NfqPacket
{
    public uint PacketId;
    public uint Mark;
    public uint InIfIndex;
    public uint OutIfIndex;
    public int PayloadOffset;
    public int PayloadLength;
    public uint OriginalLength;
    public ushort HwProtocol;
    public byte Hook;
    public byte Padding;

    public readonly bool IsTruncated => OriginalLength > (uint)PayloadLength;
}
