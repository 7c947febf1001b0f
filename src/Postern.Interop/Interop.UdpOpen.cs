using System.Runtime.InteropServices;

namespace Postern.Interop;

public static unsafe partial class Interop
{
    // Flags of PosternNative_UdpOpen (native/pal_udpbatch.h).
    public const int UdpOpenReusePort = 1;
    public const int UdpOpenV6Only = 2;

    [LibraryImport(Libraries.PosternNative, EntryPoint = "PosternNative_UdpOpen")]
    public static partial int UdpOpen(int ipVersion, byte* address, ushort port, int flags, int bufferBytes, out int fd, out ushort boundPort);
}
