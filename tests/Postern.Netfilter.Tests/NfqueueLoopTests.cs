using Postern.Interop;

namespace Postern.Netfilter.Tests;

/// <summary>The queue loop's fault paths, on a scripted channel: every packet it is handed gets
/// exactly one verdict, whatever the handler or the verdict send does.</summary>
public sealed class NfqueueLoopTests
{
    private static readonly NfqueueOptions s_options = new() { BatchSize = 8, CopyRange = 256 };

    [Fact]
    public void A_handler_that_throws_after_answering_drops_what_it_answered_and_accepts_the_rest()
    {
        var channel = new ScriptedChannel(batch: 4);
        var loop = new NfqueueLoop(channel, 7, new AnswersThenThrows(answered: [0, 2]), s_options);

        RunToEnd(loop);

        // Packets 0 and 2 were answered: accepting them too would answer their queries twice.
        Assert.Equal(new[] { (100u, Interop.Interop.NF_DROP), (101u, Interop.Interop.NF_ACCEPT), (102u, Interop.Interop.NF_DROP), (103u, Interop.Interop.NF_ACCEPT) },
            channel.Verdicts.ToArray());
        Assert.Equal(1, loop.HandlerErrors);
        Assert.Equal(4, loop.Received);
    }

    [Fact]
    public void A_verdict_send_short_of_buffers_is_retried_from_the_first_verdict_that_did_not_go()
    {
        var channel = new ScriptedChannel(batch: 4);
        // The first datagram (two verdicts) goes, then ENOBUFS; then EAGAIN; then the rest goes.
        channel.SendResults.Enqueue((Errno.ENOBUFS, 2));
        channel.SendResults.Enqueue((Errno.EAGAIN, 0));
        var loop = new NfqueueLoop(channel, 7, new AnswersThenThrows(answered: [], throws: false), s_options);

        RunToEnd(loop);

        Assert.Equal(new uint[] { 100, 101, 102, 103 }, channel.Verdicts.Select(v => v.Id).ToArray());
        Assert.Equal(2, loop.VerdictRetries);
        Assert.Equal(0, loop.VerdictsLost);
        Assert.Equal(0, loop.VerdictErrors);
    }

    [Fact]
    public void Verdicts_that_cannot_be_sent_after_the_bounded_retries_are_counted_lost()
    {
        var channel = new ScriptedChannel(batch: 4);
        for (int i = 0; i < 100; i++)
        {
            channel.SendResults.Enqueue((Errno.ENOBUFS, i == 0 ? 1 : 0));
        }
        var loop = new NfqueueLoop(channel, 7, new AnswersThenThrows(answered: [], throws: false), s_options);

        RunToEnd(loop);

        Assert.Equal(NfqueueLoop.MaxVerdictAttempts, channel.SendCalls);
        Assert.Equal(NfqueueLoop.MaxVerdictAttempts - 1, loop.VerdictRetries);
        Assert.Equal(3, loop.VerdictsLost);
        Assert.Equal(1, loop.VerdictErrors);
        Assert.Equal(Errno.ENOBUFS, loop.LastError);
    }

    [Fact]
    public void Another_verdict_error_is_not_retried_and_its_verdicts_are_counted_lost()
    {
        var channel = new ScriptedChannel(batch: 4);
        channel.SendResults.Enqueue((Errno.EINVAL, 0));
        var loop = new NfqueueLoop(channel, 7, new AnswersThenThrows(answered: [], throws: false), s_options);

        RunToEnd(loop);

        Assert.Equal(1, channel.SendCalls);
        Assert.Equal(0, loop.VerdictRetries);
        Assert.Equal(4, loop.VerdictsLost);
    }

    [Fact]
    public void What_the_shim_counts_is_exposed_by_the_loop()
    {
        var channel = new ScriptedChannel(batch: 1)
        {
            Counted = new NfqCounters { Overruns = 1, Truncated = 2, Unparseable = 3, Unrecovered = 4, StartupAccepted = 5 },
        };
        var loop = new NfqueueLoop(channel, 7, new AnswersThenThrows(answered: [], throws: false), s_options);

        RunToEnd(loop);

        Assert.Equal((1, 2L, 3L, 4L, 5L), (loop.Overruns, loop.Truncated, loop.Unparseable, loop.Unrecovered, loop.StartupAccepted));
    }

    [Fact]
    public void A_held_verdict_is_left_out_of_its_batch_and_sent_when_due_or_at_the_stop()
    {
        var channel = new ScriptedChannel(batch: 4);
        // Packets 1 and 3 held: 101 falls due at once (dropped), 103 only at the stop (accepted).
        var holder = new HoldsSome();
        var loop = new NfqueueLoop(channel, 7, holder, s_options);

        RunToEnd(loop);

        Assert.Equal(new[] { (100u, Interop.Interop.NF_ACCEPT), (102u, Interop.Interop.NF_ACCEPT), (101u, Interop.Interop.NF_DROP), (103u, Interop.Interop.NF_ACCEPT) },
            channel.Verdicts.ToArray());
        Assert.Equal(2, loop.HeldVerdicts);
        Assert.Equal(new[] { false, true }, holder.Calls.ToArray().Skip(holder.Calls.Count - 2));
    }

    [Fact]
    public void A_held_verdict_stays_held_when_the_handler_throws_later_in_the_batch()
    {
        var channel = new ScriptedChannel(batch: 3);
        var loop = new NfqueueLoop(channel, 7, new HoldsSome(throwAfter: true), s_options);

        RunToEnd(loop);

        // 101 held then the handler threw: it is not accepted with the batch, only sent once, later.
        Assert.Equal(new uint[] { 100, 102, 101 }, channel.Verdicts.Select(v => v.Id).ToArray());
        Assert.Equal(1, loop.HandlerErrors);
    }

    private sealed class HoldsSome(bool throwAfter = false) : IQueueBatchHandler, IHeldVerdicts
    {
        private readonly List<(uint Id, byte Verdict, bool DueNow)> _held = new();

        public List<bool> Calls { get; } = new();

        public void Handle(ReadOnlySpan<byte> buffer, ReadOnlySpan<NfqPacket> packets, Span<byte> verdicts)
        {
            for (int i = 0; i < packets.Length; i++)
            {
                if (i % 2 == 1)
                {
                    _held.Add((packets[i].PacketId, i == 1 ? Interop.Interop.NF_DROP : Interop.Interop.NF_ACCEPT, i == 1));
                    verdicts[i] = NfqueueLoop.Held;
                }
            }
            if (throwAfter)
            {
                throw new InvalidOperationException("failed after holding");
            }
        }

        public int MillisecondsUntilDue() => _held.Count == 0 ? -1 : _held.Exists(h => h.DueNow) ? 0 : 1000;

        public int TakeDue(bool releaseAll, Span<uint> ids, Span<byte> verdicts)
        {
            Calls.Add(releaseAll);
            int n = 0;
            foreach (var held in _held.ToArray())
            {
                if (n < ids.Length && (releaseAll || held.DueNow))
                {
                    ids[n] = held.Id;
                    verdicts[n++] = held.Verdict;
                    _held.Remove(held);
                }
            }
            return n;
        }
    }

    /// <summary>Runs the loop as a stopped service drains: it handles what is queued and ends at
    /// the first empty receive.</summary>
    private static void RunToEnd(NfqueueLoop loop)
    {
        using var stop = new CancellationTokenSource();
        stop.Cancel();
        loop.Run(stop.Token);
    }

    private sealed class AnswersThenThrows(int[] answered, bool throws = true) : IQueueBatchHandler
    {
        public void Handle(ReadOnlySpan<byte> buffer, ReadOnlySpan<NfqPacket> packets, Span<byte> verdicts)
        {
            foreach (int i in answered)
            {
                verdicts[i] = Interop.Interop.NF_DROP;
            }
            if (throws)
            {
                throw new InvalidOperationException("the handler failed after some replies went");
            }
        }
    }

    /// <summary>One batch of packets 100, 101, ..., then nothing; each verdict send takes the next
    /// scripted (errno, sent) result, or sends everything when the script is empty.</summary>
    private sealed class ScriptedChannel(int batch) : IQueueChannel
    {
        private bool _delivered;

        public Queue<(int Error, int Sent)> SendResults { get; } = new();

        public List<(uint Id, byte Verdict)> Verdicts { get; } = new();

        public int SendCalls { get; private set; }

        public NfqCounters Counted { get; init; }

        public int Receive(Span<byte> buffer, int slotSize, Span<NfqPacket> packets, int timeoutMs, out int count, ref NfqCounters counters)
        {
            count = 0;
            if (_delivered)
            {
                return 0;
            }
            _delivered = true;
            counters = Counted;
            for (int i = 0; i < batch; i++)
            {
                packets[i] = new NfqPacket { PacketId = (uint)(100 + i) };
            }
            count = batch;
            return 0;
        }

        public int Verdict(ReadOnlySpan<uint> packetIds, ReadOnlySpan<byte> verdicts, out int sent)
        {
            SendCalls++;
            (int error, sent) = SendResults.Count > 0 ? SendResults.Dequeue() : (0, packetIds.Length);
            for (int i = 0; i < sent; i++)
            {
                Verdicts.Add((packetIds[i], verdicts[i]));
            }
            return error;
        }
    }
}
