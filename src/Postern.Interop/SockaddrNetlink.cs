using System.Runtime.InteropServices;

namespace Postern.Interop;

/// <summary>struct sockaddr_nl (linux/netlink.h), which Tmds.LibC does not carry: 12 bytes on
/// every architecture.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct SockaddrNetlink
{
    public ushort Family;
    public ushort Padding;
    public uint PortId;
    public uint Groups;
}
