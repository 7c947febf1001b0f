using System.Runtime.InteropServices;

namespace Postern.Interop;

public static unsafe partial class Interop
{
    [LibraryImport(Libraries.PosternNative, EntryPoint = "PosternNative_UdpReceiveBatch")]
    public static partial int UdpReceiveBatch(int fd, byte* buffer, int bufferLength, int slotSize, UdpDatagram* datagrams, int maxDatagrams, int timeoutMs, out int count);
}
