using Postern.Interop;

namespace Postern.Netfilter;

/// <summary>What a role does with a batch of queued packets: it sets one verdict per packet
/// (each starts as NF_ACCEPT) and may send replies of its own.</summary>
public interface IQueueBatchHandler
{
    void Handle(ReadOnlySpan<byte> buffer, ReadOnlySpan<NfqPacket> packets, Span<byte> verdicts);
}
