using System.Runtime.InteropServices;

namespace Postern.Interop;

public static unsafe partial class Interop
{
    // Verdicts keep their C names (linux/netfilter.h).
    public const byte NF_DROP = 0;
    public const byte NF_ACCEPT = 1;

    [LibraryImport(Libraries.PosternNative, EntryPoint = "PosternNative_NfqOpen")]
    public static partial int NfqOpen(ushort queueNumber, uint queueMaxLength, uint copyRange, int receiveBufferBytes, out nint handle);

    [LibraryImport(Libraries.PosternNative, EntryPoint = "PosternNative_NfqReceive")]
    public static partial int NfqReceive(nint handle, byte* buffer, int bufferLength, int slotSize, NfqPacket* packets, int maxPackets, int timeoutMs, out int packetCount, ref NfqCounters counters);

    [LibraryImport(Libraries.PosternNative, EntryPoint = "PosternNative_NfqVerdictBatch")]
    public static partial int NfqVerdictBatch(nint handle, uint* packetIds, byte* verdicts, int count, out int sentCount);

    // Which struct PosternNative_StructLayout describes (PosternLayout* in native/pal_types.h).
    public const int LayoutNfqPacket = 0;
    public const int LayoutRawDatagram = 1;
    public const int LayoutUdpDatagram = 2;
    public const int LayoutNfqCounters = 3;

    /// <summary>The native size and field offsets of a struct that crosses the boundary, for the
    /// tests that check the mirrors.</summary>
    [LibraryImport(Libraries.PosternNative, EntryPoint = "PosternNative_StructLayout")]
    public static partial int StructLayout(int which, out int size, int* offsets, int max, out int fieldCount);

    [LibraryImport(Libraries.PosternNative, EntryPoint = "PosternNative_NfqClose")]
    public static partial void NfqClose(nint handle);
}
