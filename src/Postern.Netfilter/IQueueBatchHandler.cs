using Postern.Interop;

namespace Postern.Netfilter;

/// <summary>What a role does with a batch of queued packets: it sets one verdict per packet
/// (each starts as NF_ACCEPT) and may send replies of its own. A verdict it has set stands even if
/// it throws later in the batch (every other packet is then accepted), so it sets NF_DROP only
/// when that is final: for a packet it answers, once the reply has gone.</summary>
public interface IQueueBatchHandler
{
    void Handle(ReadOnlySpan<byte> buffer, ReadOnlySpan<NfqPacket> packets, Span<byte> verdicts);
}
