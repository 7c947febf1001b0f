using System.Net;
using System.Net.Sockets;
using Postern.Interop;
using Postern.Testing;
using Xunit.Abstractions;

namespace Postern.Netfilter.Tests;

/// <summary>The shim against a real kernel queue, in a namespace of the test's own with one
/// NFQUEUE rule on its loopback (UDP to 127.0.0.1:9): every packet message the shim reads gets a
/// verdict, the ones cut short and the ones that arrive while the queue is being configured
/// included. The queue's own counters (/proc) tell whether a packet was left waiting.</summary>
public sealed unsafe class NfqueueKernelTests(ITestOutputHelper output)
{
    private const ushort Queue = 7;

    [RootFact]
    public void A_message_cut_short_by_a_small_slot_is_counted_and_still_gets_a_verdict()
    {
        using Netns netns = QueuedLoopback("nfqcut");
        InNamespace.Run(netns, () =>
        {
            using NfqueueBinding binding = NfqueueBinding.Open(Queue, new NfqueueOptions { CopyRange = 2048 });
            using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            sender.SendTo(new byte[1000], new IPEndPoint(IPAddress.Loopback, 9));

            // A 256-byte slot cannot hold a 1,000-byte packet's message: the kernel cuts it (MSG_TRUNC).
            const int slot = 256;
            byte[] buffer = GC.AllocateArray<byte>(slot * 4, pinned: true);
            NfqPacket[] packets = GC.AllocateArray<NfqPacket>(4, pinned: true);
            var counters = new NfqCounters();
            int count;
            fixed (byte* bytes = buffer)
            fixed (NfqPacket* descriptors = packets)
            {
                Assert.Equal(0, Interop.Interop.NfqReceive(binding.Handle, bytes, buffer.Length, slot, descriptors, packets.Length, 2000, out count, ref counters));
            }

            Assert.Equal(1, counters.Truncated);
            Assert.Equal(1, count);
            Assert.Equal(0, packets[0].PayloadLength); // no payload: a role lets it through
            Assert.Equal(1, InNamespace.QueueStats(Queue).Waiting);

            uint* ids = stackalloc uint[] { packets[0].PacketId };
            byte* verdicts = stackalloc byte[] { Interop.Interop.NF_ACCEPT };
            Assert.Equal(0, Interop.Interop.NfqVerdictBatch(binding.Handle, ids, verdicts, 1, out int sent));
            Assert.Equal(1, sent);
            Assert.Equal(0, InNamespace.QueueStats(Queue).Waiting);
        });
    }

    [RootFact]
    public void Packets_that_arrive_while_the_queue_is_being_bound_are_neither_lost_nor_left_waiting()
    {
        using Netns netns = QueuedLoopback("nfqstart");
        const int rounds = 150;
        long acceptedAtStartup = 0;
        var stuck = new List<string>();
        using var stop = new CancellationTokenSource();
        using var listening = new ManualResetEventSlim();
        var flooding = new ManualResetEventSlim(true);
        // Set by the flooder once it has seen the pause: no datagram is in flight after that.
        var paused = new ManualResetEventSlim(false);
        long sent = 0;
        long received = 0;
        // 1 while the binder is inside NfqueueBinding.Open, and the datagrams whose send overlapped it.
        int opening = 0;
        long sentWhileOpening = 0;

        // The server of the queued port, and a flood to it as fast as one thread sends.
        Thread listener = InNamespace.Start(netns, token =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 8 << 20, ReceiveTimeout = 200 };
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 9));
            listening.Set();
            byte[] datagram = new byte[64];
            while (true)
            {
                try
                {
                    socket.Receive(datagram);
                    Interlocked.Increment(ref received);
                }
                catch (SocketException) when (token.IsCancellationRequested)
                {
                    return;
                }
                catch (SocketException)
                {
                }
            }
        }, stop.Token);
        Thread flooder = InNamespace.Start(netns, token =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { Blocking = false };
            var target = new IPEndPoint(IPAddress.Loopback, 9);
            byte[] payload = new byte[32];
            while (!token.IsCancellationRequested)
            {
                // Reset before the check: whoever sees "paused" knows that the check after the
                // last send found the flood stopped.
                paused.Reset();
                if (!flooding.IsSet)
                {
                    paused.Set();
                    Thread.Sleep(1);
                    continue;
                }
                try
                {
                    // A local datagram meets the NFQUEUE rule inside sendto: its fate is decided
                    // between the two reads of the flag.
                    bool before = Volatile.Read(ref opening) != 0;
                    socket.SendTo(payload, target);
                    Interlocked.Increment(ref sent);
                    if (before || Volatile.Read(ref opening) != 0)
                    {
                        Interlocked.Increment(ref sentWhileOpening);
                    }
                }
                catch (SocketException)
                {
                }
            }
        }, stop.Token);

        long receiveBufferErrors = 0;
        long kernelDropped = 0;
        long overruns = 0;
        long queued = 0;
        long read = 0;
        var unread = new List<string>();
        try
        {
            Assert.True(listening.Wait(TimeSpan.FromSeconds(10)));
            InNamespace.Run(netns, () =>
            {
                var options = new NfqueueOptions { CopyRange = 256, BatchSize = 64 };
                byte[] buffer = GC.AllocateArray<byte>(options.SlotSize * options.BatchSize, pinned: true);
                NfqPacket[] packets = GC.AllocateArray<NfqPacket>(options.BatchSize, pinned: true);
                uint[] ids = GC.AllocateArray<uint>(options.BatchSize, pinned: true);
                byte[] verdicts = GC.AllocateArray<byte>(options.BatchSize, pinned: true);
                Array.Fill(verdicts, Interop.Interop.NF_ACCEPT);
                for (int round = 0; round < rounds; round++)
                {
                    flooding.Set();
                    Thread.Sleep(2);
                    // Bound while the flood runs: packets reach the queue as it is bound and
                    // configured, and the shim reads some while it waits for the acknowledgement.
                    Volatile.Write(ref opening, 1);
                    NfqueueBinding opened = NfqueueBinding.Open(Queue, options);
                    Volatile.Write(ref opening, 0);
                    using NfqueueBinding binding = opened;
                    flooding.Reset();
                    // The flood must be still before the last read: a datagram queued after it
                    // would be dropped by the unbind at the end of the round, which is not what
                    // this test is about (the bind is).
                    Assert.True(paused.Wait(TimeSpan.FromSeconds(10)));
                    Thread.Sleep(5);
                    var counters = new NfqCounters();
                    long readThisRound = 0;
                    fixed (byte* bytes = buffer)
                    fixed (NfqPacket* descriptors = packets)
                    fixed (uint* idPointer = ids)
                    fixed (byte* verdictPointer = verdicts)
                    {
                        while (true)
                        {
                            Assert.Equal(0, Interop.Interop.NfqReceive(binding.Handle, bytes, buffer.Length, options.SlotSize, descriptors,
                                packets.Length, 50, out int count, ref counters));
                            if (count == 0)
                            {
                                break;
                            }
                            readThisRound += count;
                            for (int i = 0; i < count; i++)
                            {
                                ids[i] = packets[i].PacketId;
                            }
                            Assert.Equal(0, Interop.Interop.NfqVerdictBatch(binding.Handle, idPointer, verdictPointer, count, out _));
                        }
                    }
                    acceptedAtStartup += counters.StartupAccepted;
                    readThisRound += counters.StartupAccepted;
                    overruns += counters.Overruns;
                    Assert.Equal(0, counters.Unrecovered);
                    // Everything read has had its verdict: a packet still waiting was read and lost.
                    QueueKernelStats queue = InNamespace.QueueStats(Queue);
                    kernelDropped += queue.QueueDropped + queue.UserDropped;
                    // The kernel numbered every packet it put in this fresh queue: each must have
                    // been read, during start-up or after. (Fail-open: a packet the full socket
                    // refused is numbered and let through, which the socket's overrun reports.)
                    queued += queue.IdSequence;
                    read += readThisRound;
                    if (counters.Overruns == 0 ? queue.IdSequence != readThisRound : queue.IdSequence < readThisRound)
                    {
                        unread.Add($"round {round}: {queue.IdSequence} queued, {readThisRound} read ({counters.StartupAccepted} during start-up)");
                    }
                    long waiting = queue.Waiting;
                    if (waiting != 0)
                    {
                        stuck.Add($"round {round}: {waiting} waiting");
                    }
                }
            });
            // Until the listener has read what is still in its socket.
            for (long last = -1; last != Interlocked.Read(ref received);)
            {
                last = Interlocked.Read(ref received);
                Thread.Sleep(300);
            }
            // Read after the drain: a datagram accepted late can still overflow the listener's
            // buffer, or the loopback backlog of a loaded machine (lo's rx_dropped: 24 of 78061
            // once, with other builds running), after the last verdict.
            InNamespace.Run(netns, () => receiveBufferErrors = UdpReceiveBufferErrors() + LoopbackReceiveDrops());
        }
        finally
        {
            stop.Cancel();
            flooding.Set();
            flooder.Join();
            listener.Join();
        }

        long lost = sent - received - receiveBufferErrors;
        output.WriteLine($"{rounds} binds under a flood of {sent} datagrams: {received} received, {receiveBufferErrors} dropped by the " +
                         $"listener's full buffer or the loopback backlog, {lost} lost; {sentWhileOpening} sent while a bind was in progress; " +
                         $"{queued} queued and {read} read ({acceptedAtStartup} accepted during start-up); " +
                         $"queue counters: {kernelDropped} dropped (queue or user), {overruns} netlink overruns");
        Assert.True(stuck.Count == 0, $"packets read during start-up were left without a verdict: {string.Join("; ", stuck)}");
        Assert.True(unread.Count == 0, $"packets the kernel queued were never read: {string.Join("; ", unread)}");
        // The kernel's own window: the bind creates the queue instance (visible to packets at
        // once) and only then, in the same message, sets the copy mode; a packet queued between
        // the two finds copy mode "none" and is dropped (nfqnl_enqueue_packet: -EINVAL, which
        // --queue-bypass does not cover, no counter sees, and no id is given to). No user-space
        // order closes it while a rule already feeds the queue, which is why postern-aaaa binds
        // before it inserts its rules. It lasts as long as the kernel takes between the two steps,
        // which on a loaded machine can include a preemption: 224 over 150 binds once in CI's
        // path, where "at most one per bind" had been assumed. So the loss is bounded by what was
        // sent while a bind was in progress, never a count per bind; everything the kernel did
        // queue is checked exactly above (read, and nothing left waiting).
        Assert.True(lost - kernelDropped <= sentWhileOpening,
            $"{lost} of {sent} datagrams were lost ({kernelDropped} by the queue's counters), more than the {sentWhileOpening} " +
            "sent while a bind was in progress (the kernel's copy-mode window is inside the bind)");
    }

    /// <summary>Packets the loopback device of the calling thread's namespace dropped on receive
    /// (a full per-CPU backlog): the drop column of lo's line in /proc/thread-self/net/dev.</summary>
    private static long LoopbackReceiveDrops()
    {
        string line = File.ReadAllLines("/proc/thread-self/net/dev").Single(l => l.TrimStart().StartsWith("lo:", StringComparison.Ordinal));
        string[] fields = line.Substring(line.IndexOf(':', StringComparison.Ordinal) + 1).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(fields[3], System.Globalization.CultureInfo.InvariantCulture); // bytes packets errs drop ...
    }

    /// <summary>RcvbufErrors of the calling thread's namespace (/proc/thread-self/net/snmp).</summary>
    private static long UdpReceiveBufferErrors()
    {
        string[] udp = File.ReadAllLines("/proc/thread-self/net/snmp").Where(line => line.StartsWith("Udp: ", StringComparison.Ordinal)).ToArray();
        string[] names = udp[0].Split(' ');
        string[] values = udp[1].Split(' ');
        return long.Parse(values[Array.IndexOf(names, "RcvbufErrors")], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A namespace whose UDP to 127.0.0.1:9 goes to the queue (fail open when no one is
    /// bound); deleting the namespace deletes the rule.</summary>
    private static Netns QueuedLoopback(string role)
    {
        Netns netns = Netns.Create(role);
        try
        {
            netns.Check("iptables", "-A", "OUTPUT", "-o", "lo", "-p", "udp", "--dport", "9", "-j", "NFQUEUE",
                "--queue-num", Queue.ToString(System.Globalization.CultureInfo.InvariantCulture), "--queue-bypass");
        }
        catch
        {
            netns.Dispose();
            throw;
        }
        return netns;
    }
}
