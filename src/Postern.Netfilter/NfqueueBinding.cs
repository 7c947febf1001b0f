using Postern.Interop;

namespace Postern.Netfilter;

/// <summary>One bound NFQUEUE queue (fail-open, packet copy mode). Binding fails with a clear
/// message when the queue is taken or the capability is missing.</summary>
public sealed unsafe class NfqueueBinding : IDisposable, IQueueChannel
{
    private nint _handle;

    private NfqueueBinding(ushort queueNumber, nint handle)
    {
        QueueNumber = queueNumber;
        _handle = handle;
    }

    public ushort QueueNumber { get; }

    internal nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(NfqueueBinding));

    public static NfqueueBinding Open(ushort queueNumber, NfqueueOptions options)
    {
        int error = Interop.Interop.NfqOpen(queueNumber, options.QueueMaxLength, options.CopyRange, options.ReceiveBufferBytes, out nint handle);
        if (error != 0)
        {
            throw NfqueueException.ForOpen(queueNumber, error);
        }
        return new NfqueueBinding(queueNumber, handle);
    }

    int IQueueChannel.Receive(Span<byte> buffer, int slotSize, Span<NfqPacket> packets, int timeoutMs, out int count, ref NfqCounters counters)
    {
        fixed (byte* bytes = buffer)
        fixed (NfqPacket* descriptors = packets)
        {
            return Interop.Interop.NfqReceive(Handle, bytes, buffer.Length, slotSize, descriptors, packets.Length, timeoutMs, out count, ref counters);
        }
    }

    int IQueueChannel.Verdict(ReadOnlySpan<uint> packetIds, ReadOnlySpan<byte> verdicts, out int sent)
    {
        if (packetIds.Length != verdicts.Length)
        {
            throw new ArgumentException("one verdict per packet id", nameof(verdicts));
        }
        fixed (uint* ids = packetIds)
        fixed (byte* values = verdicts)
        {
            return Interop.Interop.NfqVerdictBatch(Handle, ids, values, packetIds.Length, out sent);
        }
    }

    public void Dispose()
    {
        nint handle = Interlocked.Exchange(ref _handle, 0);
        if (handle != 0)
        {
            Interop.Interop.NfqClose(handle);
        }
    }
}
