using Postern.Interop;

namespace Postern.Netfilter;

/// <summary>The two calls the queue loop makes: receive a batch, send its verdicts.
/// <see cref="NfqueueBinding"/> makes them on a bound kernel queue; tests make them on a script,
/// to drive the loop's fault paths (a verdict send that fails, a handler that throws).</summary>
internal interface IQueueChannel
{
    /// <summary>PosternNative_NfqReceive: 0 or an errno; the shim adds to <paramref name="counters"/>.</summary>
    int Receive(Span<byte> buffer, int slotSize, Span<NfqPacket> packets, int timeoutMs, out int count, ref NfqCounters counters);

    /// <summary>PosternNative_NfqVerdictBatch: 0 or the errno of the first datagram that did not
    /// go; <paramref name="sent"/> verdicts (from the first) went.</summary>
    int Verdict(ReadOnlySpan<uint> packetIds, ReadOnlySpan<byte> verdicts, out int sent);
}
