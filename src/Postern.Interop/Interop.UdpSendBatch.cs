using System.Runtime.InteropServices;

namespace Postern.Interop;

public static unsafe partial class Interop
{
    [LibraryImport(Libraries.PosternNative, EntryPoint = "PosternNative_UdpSendBatch")]
    public static partial int UdpSendBatch(int fd, int socketIpVersion, byte* buffer, int bufferLength, UdpDatagram* datagrams, int count, out int sentCount);
}
