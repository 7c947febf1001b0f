using System.Runtime.InteropServices;

namespace Postern.Interop;

public static unsafe partial class Interop
{
    [LibraryImport(Libraries.PosternNative, EntryPoint = "PosternNative_RawOpen")]
    public static partial int RawOpen(int ipVersion, uint mark, int sendBufferBytes, out int fd);

    [LibraryImport(Libraries.PosternNative, EntryPoint = "PosternNative_RawSendBatch")]
    public static partial int RawSendBatch(int fd, byte* buffer, int bufferLength, RawDatagram* datagrams, int count, out int sentCount);

    [LibraryImport(Libraries.PosternNative, EntryPoint = "PosternNative_Close")]
    public static partial int Close(int fd);
}
