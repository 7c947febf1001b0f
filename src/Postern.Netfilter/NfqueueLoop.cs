using Postern.Interop;

namespace Postern.Netfilter;

/// <summary>The receive/verdict loop of one queue, on one thread: a batch of packets arrives with
/// one system call into a pinned buffer allocated once, the handler decides, and every packet's
/// verdict leaves in one netlink datagram. Nothing is allocated per packet. Every packet the loop
/// is handed gets a verdict: a handler that throws lets through what it had not answered, and a
/// verdict send that fails for lack of buffers is retried (bounded) before it is counted lost.</summary>
public sealed class NfqueueLoop
{
    /// <summary>Tries for one batch's verdicts when the kernel is short of buffers (ENOBUFS or
    /// EAGAIN), a few milliseconds apart; past that the rest of the batch is counted lost.</summary>
    internal const int MaxVerdictAttempts = 5;

    /// <summary>The verdict a handler that implements <see cref="IHeldVerdicts"/> sets for a
    /// packet whose verdict it will give later: the batch sends none for it.</summary>
    public const byte Held = 2;

    private readonly IQueueChannel _channel;
    private readonly IQueueBatchHandler _handler;
    private readonly NfqueueOptions _options;
    private readonly byte[] _buffer;
    private readonly NfqPacket[] _packets;
    private readonly uint[] _ids;
    private readonly byte[] _verdicts;
    private readonly IHeldVerdicts? _held;
    private readonly uint[] _dueIds;
    private readonly byte[] _dueVerdicts;
    private long _heldVerdicts;
    private NfqCounters _counters;
    private long _received;
    private long _batches;
    private long _receiveErrors;
    private long _verdictErrors;
    private long _verdictRetries;
    private long _verdictsLost;
    private long _handlerErrors;
    private int _lastError;

    public NfqueueLoop(NfqueueBinding binding, IQueueBatchHandler handler, NfqueueOptions options)
        : this(binding, binding.QueueNumber, handler, options)
    {
    }

    internal NfqueueLoop(IQueueChannel channel, ushort queueNumber, IQueueBatchHandler handler, NfqueueOptions options)
    {
        _channel = channel;
        QueueNumber = queueNumber;
        _handler = handler;
        _options = options;
        _buffer = GC.AllocateArray<byte>(options.SlotSize * options.BatchSize, pinned: true);
        _packets = GC.AllocateArray<NfqPacket>(options.BatchSize, pinned: true);
        _ids = GC.AllocateArray<uint>(options.BatchSize, pinned: true);
        _verdicts = GC.AllocateArray<byte>(options.BatchSize, pinned: true);
        _held = handler as IHeldVerdicts;
        _dueIds = GC.AllocateArray<uint>(options.BatchSize, pinned: true);
        _dueVerdicts = GC.AllocateArray<byte>(options.BatchSize, pinned: true);
    }

    public ushort QueueNumber { get; }
    public long Received => Volatile.Read(ref _received);
    public long Batches => Volatile.Read(ref _batches);
    public long ReceiveErrors => Volatile.Read(ref _receiveErrors);

    /// <summary>Verdict sends that failed for good (after the retries, or with another error).</summary>
    public long VerdictErrors => Volatile.Read(ref _verdictErrors);

    /// <summary>Verdict sends tried again after ENOBUFS or EAGAIN.</summary>
    public long VerdictRetries => Volatile.Read(ref _verdictRetries);

    /// <summary>Packets whose verdict could not be sent: the kernel holds them until the queue
    /// is unbound (then drops them).</summary>
    public long VerdictsLost => Volatile.Read(ref _verdictsLost);

    /// <summary>Batches whose handler threw: their unanswered packets were let through.</summary>
    public long HandlerErrors => Volatile.Read(ref _handlerErrors);

    /// <summary>Times the netlink socket overran (ENOBUFS): the kernel could not hand packets over
    /// fast enough, and fail-open decided for them.</summary>
    public int Overruns => (int)Volatile.Read(ref _counters.Overruns);

    /// <summary>Netlink messages cut short (MSG_TRUNC, or a length past the datagram); those with
    /// a readable packet id were let through.</summary>
    public long Truncated => Volatile.Read(ref _counters.Truncated);

    /// <summary>Packet messages whose attributes did not parse; those with a readable packet id
    /// were let through.</summary>
    public long Unparseable => Volatile.Read(ref _counters.Unparseable);

    /// <summary>Cut-short or unparseable packet messages without a readable packet id: no verdict
    /// was possible.</summary>
    public long Unrecovered => Volatile.Read(ref _counters.Unrecovered);

    /// <summary>Packets read while the queue was being configured, accepted at once.</summary>
    public long StartupAccepted => Volatile.Read(ref _counters.StartupAccepted);

    public int LastError => Volatile.Read(ref _lastError);

    /// <summary>Held verdicts sent later (when due, or at the stop).</summary>
    public long HeldVerdicts => Volatile.Read(ref _heldVerdicts);

    /// <summary>Runs until <paramref name="stop"/> is cancelled, then keeps going until the queue
    /// is empty (the caller removes the rules first), so no packet is left without a verdict.
    /// A receive waits at most <see cref="NfqueueOptions.PollTimeoutMs"/>, so the loop sees the
    /// cancellation that soon (or sooner, when a held verdict falls due); held verdicts are sent
    /// as they fall due, and every one still held when the queue is empty at the stop is sent
    /// before the loop returns. The caller joins it (<see cref="QueueWorkers.JoinAll"/>) before it
    /// frees the binding.</summary>
    public void Run(CancellationToken stop)
    {
        bool draining = false;
        while (true)
        {
            if (!draining && stop.IsCancellationRequested)
            {
                draining = true;
            }
            int count = ReceiveBatch(ReceiveTimeout(draining ? 50 : _options.PollTimeoutMs));
            if (count > 0)
            {
                HandleBatch(count);
            }
            if (_held is not null)
            {
                SendDue(releaseAll: count == 0 && draining);
            }
            if (count == 0 && draining)
            {
                return;
            }
        }
    }

    /// <summary>The receive waits no longer than until the next held verdict is due (at least
    /// 1 ms: the shim takes 0 for no timeout at all).</summary>
    private int ReceiveTimeout(int timeoutMs)
    {
        int due = _held?.MillisecondsUntilDue() ?? -1;
        return due < 0 ? timeoutMs : Math.Clamp(due, 1, timeoutMs);
    }

    private void SendDue(bool releaseAll)
    {
        while (true)
        {
            int taken;
            try
            {
                taken = _held!.TakeDue(releaseAll, _dueIds, _dueVerdicts);
            }
            catch (Exception)
            {
                // The handler lost track of what it held: nothing to send for them here, and the
                // kernel lets them through when the queue is unbound (--queue-bypass does not
                // cover packets already queued, so this is counted).
                _handlerErrors++;
                return;
            }
            if (taken <= 0)
            {
                return;
            }
            for (int i = 0; i < taken; i++)
            {
                if (_dueVerdicts[i] != Interop.Interop.NF_DROP)
                {
                    _dueVerdicts[i] = Interop.Interop.NF_ACCEPT;
                }
            }
            SendVerdicts(_dueIds, _dueVerdicts, taken);
            _heldVerdicts += taken;
            if (taken < _dueIds.Length)
            {
                return;
            }
        }
    }

    private int ReceiveBatch(int timeoutMs)
    {
        int error = _channel.Receive(_buffer, _options.SlotSize, _packets, timeoutMs, out int count, ref _counters);
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
            // Fail open, but only for what the handler had not answered: a packet it set to
            // NF_DROP had its reply sent already, and letting it through too would answer its
            // query twice (once here, once by the real server). A held one stays held: the
            // handler recorded it before it set the verdict, and gives its verdict later.
            _handlerErrors++;
            for (int i = 0; i < verdicts.Length; i++)
            {
                if (verdicts[i] != Interop.Interop.NF_DROP && (verdicts[i] != Held || _held is null))
                {
                    verdicts[i] = Interop.Interop.NF_ACCEPT;
                }
            }
        }

        int now = 0;
        for (int i = 0; i < count; i++)
        {
            byte verdict = verdicts[i];
            if (verdict == Held && _held is not null)
            {
                continue;
            }
            _ids[now] = packets[i].PacketId;
            verdicts[now++] = verdict == Interop.Interop.NF_DROP ? Interop.Interop.NF_DROP : Interop.Interop.NF_ACCEPT;
        }
        SendVerdicts(_ids, _verdicts, now);
        _received += count;
        _batches++;
    }

    /// <summary>Sends the batch's verdicts; after ENOBUFS or EAGAIN the rest (from the first that
    /// did not go) is tried again, a little later, a bounded number of times.</summary>
    private void SendVerdicts(uint[] ids, byte[] verdicts, int count)
    {
        if (count == 0)
        {
            return;
        }
        int done = 0;
        for (int attempt = 1; ; attempt++)
        {
            int error = _channel.Verdict(ids.AsSpan(done, count - done), verdicts.AsSpan(done, count - done), out int sent);
            done += Math.Clamp(sent, 0, count - done);
            if (error == 0 && done == count)
            {
                return;
            }
            if (error != 0)
            {
                Volatile.Write(ref _lastError, error);
            }
            if ((error == Errno.ENOBUFS || error == Errno.EAGAIN) && attempt < MaxVerdictAttempts)
            {
                _verdictRetries++;
                Thread.Sleep(attempt);
                continue;
            }
            _verdictErrors++;
            _verdictsLost += count - done;
            return;
        }
    }
}
