using System.Runtime.InteropServices;
using Postern.Interop;

namespace Postern.Netfilter;

/// <summary>The receive/verdict loop of one queue, on one thread: a batch of packets arrives with
/// one system call into a pinned buffer allocated once, the handler decides, and every packet's
/// verdict leaves in one netlink datagram. Nothing is allocated per packet.</summary>
public sealed unsafe class NfqueueLoop
{
    private readonly NfqueueBinding _binding;
    private readonly IQueueBatchHandler _handler;
    private readonly NfqueueOptions _options;
    private readonly byte[] _buffer;
    private readonly NfqPacket[] _packets;
    private readonly uint[] _ids;
    private readonly byte[] _verdicts;
    private long _received;
    private long _batches;
    private long _receiveErrors;
    private long _verdictErrors;
    private int _overruns;
    private int _lastError;

    public NfqueueLoop(NfqueueBinding binding, IQueueBatchHandler handler, NfqueueOptions options)
    {
        _binding = binding;
        _handler = handler;
        _options = options;
        _buffer = GC.AllocateArray<byte>(options.SlotSize * options.BatchSize, pinned: true);
        _packets = GC.AllocateArray<NfqPacket>(options.BatchSize, pinned: true);
        _ids = GC.AllocateArray<uint>(options.BatchSize, pinned: true);
        _verdicts = GC.AllocateArray<byte>(options.BatchSize, pinned: true);
    }

    public ushort QueueNumber => _binding.QueueNumber;
    public long Received => Volatile.Read(ref _received);
    public long Batches => Volatile.Read(ref _batches);
    public long ReceiveErrors => Volatile.Read(ref _receiveErrors);
    public long VerdictErrors => Volatile.Read(ref _verdictErrors);

    /// <summary>Times the netlink socket overran (ENOBUFS): the kernel could not hand packets over
    /// fast enough, and fail-open decided for them.</summary>
    public int Overruns => Volatile.Read(ref _overruns);

    public int LastError => Volatile.Read(ref _lastError);

    /// <summary>Runs until <paramref name="stop"/> is cancelled, then keeps going until the queue
    /// is empty (the caller removes the rules first), so no packet is left without a verdict.</summary>
    public void Run(CancellationToken stop)
    {
        bool draining = false;
        while (true)
        {
            if (!draining && stop.IsCancellationRequested)
            {
                draining = true;
            }
            int count = ReceiveBatch(draining ? 50 : _options.PollTimeoutMs);
            if (count == 0 && draining)
            {
                return;
            }
            if (count > 0)
            {
                HandleBatch(count);
            }
        }
    }

    private int ReceiveBatch(int timeoutMs)
    {
        int count;
        int error;
        fixed (byte* buffer = _buffer)
        fixed (NfqPacket* packets = _packets)
        {
            error = Interop.Interop.NfqReceive(_binding.Handle, buffer, _buffer.Length, _options.SlotSize, packets,
                _packets.Length, timeoutMs, out count, ref _overruns);
        }
        if (error != 0)
        {
            _receiveErrors++;
            Volatile.Write(ref _lastError, error);
            // A persistent error must not spin a core.
            Thread.Sleep(10);
            return 0;
        }
        return count;
    }

    private void HandleBatch(int count)
    {
        Span<byte> verdicts = _verdicts.AsSpan(0, count);
        verdicts.Fill(Interop.Interop.NF_ACCEPT);
        ReadOnlySpan<NfqPacket> packets = _packets.AsSpan(0, count);
        try
        {
            _handler.Handle(_buffer, packets, verdicts);
        }
        catch (Exception)
        {
            // Fail open: whatever went wrong, every packet of the batch is let through.
            verdicts.Fill(Interop.Interop.NF_ACCEPT);
        }

        for (int i = 0; i < count; i++)
        {
            _ids[i] = packets[i].PacketId;
        }
        int error;
        fixed (uint* ids = _ids)
        fixed (byte* verdictBytes = _verdicts)
        {
            error = Interop.Interop.NfqVerdictBatch(_binding.Handle, ids, verdictBytes, count);
        }
        if (error != 0)
        {
            _verdictErrors++;
            Volatile.Write(ref _lastError, error);
        }
        _received += count;
        _batches++;
    }
}
