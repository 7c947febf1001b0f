using System.Runtime.InteropServices;

namespace Postern.Interop;

public static unsafe partial class Interop
{
    [LibraryImport(Libraries.PosternNative, EntryPoint = "PosternNative_RawSendBatch")]
    public static partial int RawSendBatch(int fd, byte* buffer, int bufferLength, RawDatagram* datagrams, int count, out int sentCount);
}
