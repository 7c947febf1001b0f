using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Postern.Hosting;
using Postern.Interop;
using Postern.Wire;

namespace Postern.Socks;

/// <summary>One thread moving the datagrams of many associations: epoll over their sockets, a
/// batch in with recvmmsg, a batch out with sendmmsg, nothing allocated per datagram. Both ways
/// are zero-copy: a client's datagram goes out from the receive buffer past its SOCKS header, and
/// a remote's answer is received HeaderRoom bytes into its slot so that its header is written in
/// front of it in place (the previous slot's payload, at most --max-datagram bytes, never reaches
/// that far). Other threads hand it work (add, remove, a resolved name) through a queue and an
/// eventfd; only this thread touches an association once it is added.</summary>
public sealed unsafe class UdpRelay : IDisposable
{
    public const int BatchSize = 32;

    /// <summary>Room in front of every receive slot for the header of an answer.</summary>
    private const int HeaderRoom = 24;

    /// <summary>The longest header a client may put in front of its payload (a 255-byte name).</summary>
    private const int MaxClientHeader = 3 + Socks5.MaxAddressLength;

    private const int SweepMilliseconds = 500;

    private readonly Epoll _epoll;
    private readonly SocksCounters _counters;
    private readonly int _maxDatagram;
    private readonly long _idleTicks;
    private readonly int _slotSize;
    private readonly ConcurrentQueue<Action> _work = new();
    private readonly List<UdpAssociation?> _slots = new();
    private readonly Stack<int> _free = new();
    private volatile bool _stopping;

    /// <summary>Set under <see cref="_gate"/> once the thread has ended (or was never started
    /// and the relay is disposed): from then on posted work runs at once on the caller's thread,
    /// since nothing would ever take it from the queue, and nothing touches the epoll.</summary>
    private bool _stopped;

    private readonly object _gate = new();
    private Thread? _thread;
    private long _allocatedBytes;

    public UdpRelay(SocksCounters counters, int maxDatagram, TimeSpan idleTimeout)
    {
        int error = Epoll.Open(out Epoll? epoll);
        if (error != 0)
        {
            throw new IOException("cannot open an epoll instance: " + Errno.Describe(error));
        }
        _epoll = epoll!;
        _counters = counters;
        _maxDatagram = maxDatagram;
        _idleTicks = (long)(idleTimeout.TotalSeconds * Stopwatch.Frequency);
        _slotSize = (maxDatagram + MaxClientHeader + 7) & ~7;
    }

    /// <summary>Bytes the relay thread allocated after its buffers were set up: zero while it
    /// only relays (a test checks), a little for each association added or name resolved.</summary>
    public long AllocatedBytes => Volatile.Read(ref _allocatedBytes);

    public void Start(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Registers an association's sockets (from any thread).</summary>
    public void Add(UdpAssociation association) => Post(() =>
    {
        if (association.IsClosed)
        {
            return;
        }
        if (_stopped)
        {
            // The relay has stopped: nothing will ever serve it; its sockets close now.
            association.End(idle: false);
            return;
        }
        int slot = _free.Count > 0 ? _free.Pop() : AddSlot();
        _slots[slot] = association;
        association.Slot = slot;
        association.LastActivity = Stopwatch.GetTimestamp();
        _epoll.Add(association.Client.Fd, (ulong)slot << 1);
        _epoll.Add(association.Remote.Fd, ((ulong)slot << 1) | 1);
    });

    /// <summary>Ends an association whose TCP connection closed (from any thread).</summary>
    public void Remove(UdpAssociation association) => Post(() => End(association, idle: false));

    private int AddSlot()
    {
        _slots.Add(null);
        return _slots.Count - 1;
    }

    private void Post(Action work)
    {
        lock (_gate)
        {
            if (!_stopped)
            {
                _work.Enqueue(work);
                _epoll.Wake();
                return;
            }
            // A session that ends after the relay (the daemon stopping): its association is
            // ended here rather than left with its sockets open.
            RunWork(work);
        }
    }

    private static void RunWork(Action work)
    {
        try
        {
            work();
        }
        catch (Exception e)
        {
            // A relay thread that threw would take the whole daemon down with it.
            Log.Error("udp relay: adding or ending an association failed: " + e.Message);
        }
    }

    private void End(UdpAssociation association, bool idle)
    {
        if (association.IsClosed)
        {
            return;
        }
        if (association.Slot >= 0)
        {
            _epoll.Remove(association.Client.Fd);
            _epoll.Remove(association.Remote.Fd);
            _slots[association.Slot] = null;
            _free.Push(association.Slot);
            association.Slot = -1;
        }
        association.End(idle);
    }

    private void Run()
    {
        byte[] buffer = GC.AllocateArray<byte>(HeaderRoom + BatchSize * _slotSize, pinned: true);
        byte[] held = GC.AllocateArray<byte>(_maxDatagram, pinned: true);
        UdpDatagram[] received = GC.AllocateArray<UdpDatagram>(BatchSize, pinned: true);
        UdpDatagram[] outgoing = GC.AllocateArray<UdpDatagram>(BatchSize, pinned: true);
        Span<ulong> ready = stackalloc ulong[64];
        int[] drops = new int[SocksCounters.DropKinds];
        long nextSweep = Stopwatch.GetTimestamp();
        long baseline = GC.GetAllocatedBytesForCurrentThread();
        long outside = 0; // what adding associations and resolving names allocated

        fixed (byte* bufferPointer = buffer)
        fixed (byte* heldPointer = held)
        fixed (UdpDatagram* receivedPointer = received)
        fixed (UdpDatagram* outgoingPointer = outgoing)
        {
            var batch = new Batch(bufferPointer, buffer, receivedPointer, received, outgoingPointer, outgoing, heldPointer, held);
            while (!_stopping)
            {
                int error = _epoll.Wait(ready, SweepMilliseconds, out int count);
                if (error != 0)
                {
                    Log.Error("udp relay: epoll_wait failed: " + Errno.Describe(error));
                    Thread.Sleep(100);
                    continue;
                }
                long before = GC.GetAllocatedBytesForCurrentThread();
                while (_work.TryDequeue(out Action? work))
                {
                    RunWork(work);
                }
                outside += GC.GetAllocatedBytesForCurrentThread() - before;
                for (int i = 0; i < count; i++)
                {
                    ulong token = ready[i];
                    if (token == Epoll.WakeToken)
                    {
                        continue;
                    }
                    int slot = (int)(token >> 1);
                    UdpAssociation? association = slot < _slots.Count ? _slots[slot] : null;
                    if (association is null)
                    {
                        continue;
                    }
                    try
                    {
                        if ((token & 1) == 0)
                        {
                            before = GC.GetAllocatedBytesForCurrentThread();
                            bool learned = association.ClientPort == 0;
                            FromClient(association, ref batch, drops);
                            if (learned || association.NameCount != 0)
                            {
                                // Learning a port logs once; a name lookup starts a task: both once
                                // per association or name, not per datagram.
                                outside += GC.GetAllocatedBytesForCurrentThread() - before;
                            }
                        }
                        else
                        {
                            FromRemote(association, ref batch, drops);
                        }
                    }
                    catch (Exception e)
                    {
                        // One association's failure ends that association, never the daemon.
                        Log.Error("udp relay: an association failed and is ended: " + e.Message);
                        End(association, idle: false);
                    }
                }
                long now = Stopwatch.GetTimestamp();
                if (now >= nextSweep)
                {
                    before = GC.GetAllocatedBytesForCurrentThread();
                    try
                    {
                        Sweep(now);
                    }
                    catch (Exception e)
                    {
                        Log.Error("udp relay: the idle sweep failed: " + e.Message);
                    }
                    outside += GC.GetAllocatedBytesForCurrentThread() - before;
                    nextSweep = now + Stopwatch.Frequency * SweepMilliseconds / 1000;
                }
                Volatile.Write(ref _allocatedBytes, GC.GetAllocatedBytesForCurrentThread() - baseline - outside);
            }
        }
        Drain();
    }

    /// <summary>The relay thread's pinned buffers.</summary>
    private readonly ref struct Batch
    {
        public Batch(byte* pointer, byte[] buffer, UdpDatagram* received, UdpDatagram[] receivedArray, UdpDatagram* outgoing,
            UdpDatagram[] outgoingArray, byte* held, byte[] heldArray)
        {
            Pointer = pointer;
            Buffer = buffer;
            Received = received;
            ReceivedArray = receivedArray;
            Outgoing = outgoing;
            OutgoingArray = outgoingArray;
            Held = held;
            HeldArray = heldArray;
        }

        public byte* Pointer { get; }
        public byte[] Buffer { get; }
        public UdpDatagram* Received { get; }
        public UdpDatagram[] ReceivedArray { get; }
        public UdpDatagram* Outgoing { get; }
        public UdpDatagram[] OutgoingArray { get; }
        public byte* Held { get; }
        public byte[] HeldArray { get; }
    }

    /// <summary>Receives one batch into the slots after HeaderRoom; an ICMP error that was pending
    /// in place of a datagram is read from the error queue and the receive tried again.</summary>
    private int Receive(UdpSocket socket, ref Batch batch)
    {
        for (int attempt = 0; attempt < 3; attempt++)
        {
            int error = Interop.Interop.UdpReceiveBatch(socket.Fd, batch.Pointer + HeaderRoom, BatchSize * _slotSize, _slotSize,
                batch.Received, BatchSize, 0, out int count);
            if (error == 0 && count > 0)
            {
                return count;
            }
            // Nothing (epoll saw POLLERR: the error queue holds something) or the pending error.
            DrainErrors(socket);
            if (error == 0 || !ErrorQueue.IsIcmpErrno(error))
            {
                return 0;
            }
        }
        return 0;
    }

    private void DrainErrors(UdpSocket socket)
    {
        ErrorQueue.Drain(socket.Fd, out int icmp, out int other);
        _counters.AddErrors(icmp, other);
    }

    private void FromClient(UdpAssociation association, ref Batch batch, Span<int> drops)
    {
        int count = Receive(association.Client, ref batch);
        if (count == 0)
        {
            return;
        }
        association.LastActivity = Stopwatch.GetTimestamp();
        int pending = 0;
        ReadOnlySpan<byte> client = association.ClientAddress;
        for (int i = 0; i < count; i++)
        {
            ref UdpDatagram datagram = ref batch.ReceivedArray[i];
            if (!((ReadOnlySpan<byte>)datagram.Address).SequenceEqual(client))
            {
                drops[(int)UdpDrop.NotClient]++;
                continue;
            }
            if (association.ClientPort == 0)
            {
                association.ClientPort = datagram.Port;
                Log.Debug($"udp association {association.Client.Port}: the client sends from port {datagram.Port}");
            }
            else if (datagram.Port != association.ClientPort)
            {
                drops[(int)UdpDrop.WrongPort]++;
                continue;
            }
            if (datagram.IsTruncated)
            {
                drops[(int)UdpDrop.TooLarge]++;
                continue;
            }
            int start = HeaderRoom + datagram.Offset;
            ReadOnlySpan<byte> message = batch.Buffer.AsSpan(start, datagram.Length);
            Socks5ReadStatus status = Socks5.ReadUdpHeader(message, out Socks5Target target, out int payloadOffset);
            if (status != Socks5ReadStatus.Ok)
            {
                drops[(int)DropFor(status)]++;
                continue;
            }
            int payloadLength = datagram.Length - payloadOffset;
            if (payloadLength > _maxDatagram)
            {
                drops[(int)UdpDrop.TooLarge]++;
                continue;
            }
            ref UdpDatagram send = ref batch.OutgoingArray[pending];
            send = default;
            Span<byte> destination = send.Address;
            if (target.AddressType == Socks5.AddressIpv4)
            {
                destination[10] = 0xFF;
                destination[11] = 0xFF;
                message.Slice(target.AddressOffset, 4).CopyTo(destination.Slice(12));
                send.Family = 4;
            }
            else if (target.AddressType == Socks5.AddressIpv6)
            {
                message.Slice(target.AddressOffset, 16).CopyTo(destination);
                send.Family = (byte)(IsMapped(destination) ? 4 : 6);
            }
            else
            {
                UdpDrop? drop = Resolve(association, message.Slice(target.AddressOffset, target.AddressLength), destination,
                    out byte family, message.Slice(payloadOffset), target.Port);
                if (drop is { } reason)
                {
                    drops[(int)reason]++;
                    continue;
                }
                send.Family = family;
            }
            if (target.Port == 0 || (send.Family == 6 && association.Remote.IpVersion == 4))
            {
                drops[(int)UdpDrop.Unroutable]++;
                continue;
            }
            send.Port = target.Port;
            send.Offset = start + payloadOffset;
            send.Length = payloadLength;
            pending++;
        }
        int failed = Send(association.Remote, ref batch, pending);
        _counters.AddBatch(pending - failed, 0, drops, failed);
    }

    private void FromRemote(UdpAssociation association, ref Batch batch, Span<int> drops)
    {
        int count = Receive(association.Remote, ref batch);
        if (count == 0)
        {
            return;
        }
        association.LastActivity = Stopwatch.GetTimestamp();
        if (association.ClientPort == 0)
        {
            drops[(int)UdpDrop.BeforeClient] += count;
            _counters.AddBatch(0, 0, drops, 0);
            return;
        }
        int pending = 0;
        for (int i = 0; i < count; i++)
        {
            ref UdpDatagram datagram = ref batch.ReceivedArray[i];
            if (datagram.IsTruncated || datagram.Length > _maxDatagram)
            {
                drops[(int)UdpDrop.TooLarge]++;
                continue;
            }
            ReadOnlySpan<byte> source = datagram.Address;
            if (datagram.Family == 4)
            {
                source = source.Slice(12, 4);
            }
            int headerLength = Socks5.UdpHeaderLength(source.Length);
            int start = HeaderRoom + datagram.Offset - headerLength;
            Socks5.WriteUdpHeader(batch.Buffer.AsSpan(start, headerLength), source, datagram.Port);
            ref UdpDatagram send = ref batch.OutgoingArray[pending++];
            send = default;
            association.ClientAddress.CopyTo(send.Address);
            send.Family = association.ClientFamily;
            send.Port = association.ClientPort;
            send.Offset = start;
            send.Length = headerLength + datagram.Length;
        }
        int failed = Send(association.Client, ref batch, pending);
        _counters.AddBatch(0, pending - failed, drops, failed);
    }

    /// <summary>Sends the prepared batch; a datagram refused only because an ICMP error was
    /// pending on the socket (sendmmsg reports it in place of sending) is sent again once the
    /// error queue is read. Returns how many could not be sent.</summary>
    private int Send(UdpSocket socket, ref Batch batch, int pending)
    {
        if (pending == 0)
        {
            return 0;
        }
        Interop.Interop.UdpSendBatch(socket.Fd, socket.IpVersion, batch.Pointer, batch.Buffer.Length, batch.Outgoing, pending, out int sent);
        if (sent == pending)
        {
            return 0;
        }
        int again = 0;
        for (int i = 0; i < pending; i++)
        {
            ref UdpDatagram datagram = ref batch.OutgoingArray[i];
            if (datagram.Error != 0 && ErrorQueue.IsIcmpErrno(datagram.Error))
            {
                batch.OutgoingArray[again++] = datagram;
            }
        }
        int failed = pending - sent - again;
        if (again > 0)
        {
            DrainErrors(socket);
            Interop.Interop.UdpSendBatch(socket.Fd, socket.IpVersion, batch.Pointer, batch.Buffer.Length, batch.Outgoing, again, out int resent);
            failed += again - resent;
        }
        return failed;
    }

    private static bool IsMapped(ReadOnlySpan<byte> address) =>
        address.Slice(0, 10).IndexOfAnyExcept((byte)0) < 0 && address[10] == 0xFF && address[11] == 0xFF;

    private static UdpDrop DropFor(Socks5ReadStatus status) => status switch
    {
        Socks5ReadStatus.Fragment => UdpDrop.Fragment,
        Socks5ReadStatus.AddressType => UdpDrop.AddressType,
        _ => UdpDrop.Malformed,
    };

    /// <summary>A destination given by name: from the association's cache, or (for a name not
    /// seen before, while the cache has room) looked up on the thread pool, the datagram held and
    /// sent by this thread when the answer comes.</summary>
    private UdpDrop? Resolve(UdpAssociation association, ReadOnlySpan<byte> name, Span<byte> destination, out byte family,
        ReadOnlySpan<byte> payload, ushort port)
    {
        family = 0;
        long now = Stopwatch.GetTimestamp();
        for (int i = 0; i < association.NameCount; i++)
        {
            UdpAssociation.NameEntry entry = association.Names[i];
            if (!name.SequenceEqual(entry.Name))
            {
                continue;
            }
            if (entry.State == 0)
            {
                return UdpDrop.NamePending;
            }
            if (now >= entry.Expires)
            {
                StartLookup(association, entry, payload, port);
                return UdpDrop.NamePending;
            }
            if (entry.State == 2)
            {
                return UdpDrop.NameFailed;
            }
            entry.Address.CopyTo(destination);
            family = entry.Family;
            return null;
        }
        if (association.NameCount == UdpAssociation.MaxNames)
        {
            return UdpDrop.NameFailed;
        }
        var added = new UdpAssociation.NameEntry { Name = name.ToArray() };
        association.Names[association.NameCount++] = added;
        StartLookup(association, added, payload, port);
        return UdpDrop.NamePending;
    }

    private void StartLookup(UdpAssociation association, UdpAssociation.NameEntry entry, ReadOnlySpan<byte> payload, ushort port)
    {
        entry.State = 0;
        byte[] held = payload.ToArray();
        string name = System.Text.Encoding.ASCII.GetString(entry.Name);
        bool remoteIpv4Only = association.Remote.IpVersion == 4;
        NameLookup.Start(name, remoteIpv4Only, found => Post(() => Resolved(association, entry, found, held, port)));
    }

    /// <summary>On the relay thread: the lookup's answer is cached and the held datagram sent.</summary>
    private void Resolved(UdpAssociation association, UdpAssociation.NameEntry entry, IPAddress? address, byte[] held, ushort port)
    {
        // The held datagram was counted as name-pending when it came; it is not counted again.
        entry.Expires = Stopwatch.GetTimestamp() + 60 * Stopwatch.Frequency;
        if (address is null)
        {
            entry.State = 2;
            return;
        }
        IPAddress mapped = address.AddressFamily == AddressFamily.InterNetwork ? address.MapToIPv6() : address;
        mapped.TryWriteBytes(entry.Address, out _);
        entry.Family = (byte)(mapped.IsIPv4MappedToIPv6 ? 4 : 6);
        entry.State = 1;
        if (association.IsClosed || port == 0)
        {
            return;
        }
        var datagram = new UdpDatagram { Port = port, Family = entry.Family, Length = held.Length };
        entry.Address.CopyTo((Span<byte>)datagram.Address);
        fixed (byte* pointer = held)
        {
            Interop.Interop.UdpSendBatch(association.Remote.Fd, association.Remote.IpVersion, pointer, held.Length, &datagram, 1, out _);
        }
    }

    /// <summary>Ends associations idle for longer than --idle-timeout (their sessions close the TCP connection).</summary>
    private void Sweep(long now)
    {
        for (int slot = 0; slot < _slots.Count; slot++)
        {
            UdpAssociation? association = _slots[slot];
            if (association is not null && now - association.LastActivity > _idleTicks)
            {
                _counters.AddAssociationIdle();
                End(association, idle: true);
            }
        }
    }

    public void Stop() => _stopping = true;

    public void Join() => _thread?.Join();

    /// <summary>Ends every association and runs the work still queued (an add of an
    /// association now ends it), then marks the relay stopped; on the relay thread as it leaves,
    /// or in Dispose when the thread never ran.</summary>
    private void Drain()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }
            _stopped = true;
            // By index: End empties the slot, and a List's enumerator fails once its list is
            // written to (the test host's "Collection was modified" crash at a stop).
            for (int slot = 0; slot < _slots.Count; slot++)
            {
                if (_slots[slot] is { } association)
                {
                    End(association, idle: false);
                }
            }
            while (_work.TryDequeue(out Action? work))
            {
                RunWork(work);
            }
        }
    }

    public void Dispose()
    {
        Stop();
        _epoll.Wake();
        Join();
        Drain();
        _epoll.Dispose();
    }
}
