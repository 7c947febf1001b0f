using Postern.Interop;
using Postern.Netfilter;
using Postern.Wire;

namespace Postern.Aaaa;

/// <summary>One worker's batch handler: decides each packet, writes the replies for a batch into
/// one pinned buffer, sends them per family with one sendmmsg, and drops only the queries whose
/// reply went out. A query whose reply could not be sent is accepted, so it still reaches the
/// server. No allocation per packet.</summary>
public sealed unsafe class AaaaResponder : IQueueBatchHandler
{
    private readonly AaaaPolicy _policy;
    private readonly RawSocket? _ipv4;
    private readonly RawSocket? _ipv6;
    private readonly byte[] _replies;
    private readonly RawDatagram[] _datagrams4;
    private readonly RawDatagram[] _datagrams6;
    private readonly int[] _index4;
    private readonly int[] _index6;

    public AaaaResponder(AaaaPolicy policy, RawSocket? ipv4, RawSocket? ipv6, int batchSize)
    {
        _policy = policy;
        _ipv4 = ipv4;
        _ipv6 = ipv6;
        _replies = GC.AllocateArray<byte>(batchSize * ReplyPacket.MaxLength, pinned: true);
        _datagrams4 = GC.AllocateArray<RawDatagram>(batchSize, pinned: true);
        _datagrams6 = GC.AllocateArray<RawDatagram>(batchSize, pinned: true);
        _index4 = new int[batchSize];
        _index6 = new int[batchSize];
    }

    public AaaaCounters Counters { get; } = new();

    public void Handle(ReadOnlySpan<byte> buffer, ReadOnlySpan<NfqPacket> packets, Span<byte> verdicts)
    {
        int count4 = 0;
        int count6 = 0;
        int batch = Math.Min(packets.Length, _datagrams4.Length);
        for (int i = 0; i < packets.Length; i++)
        {
            ref readonly NfqPacket meta = ref packets[i];
            if (i >= batch || meta.PayloadLength <= 0 || meta.PayloadOffset < 0 || meta.PayloadOffset + meta.PayloadLength > buffer.Length)
            {
                Counters.CountPassed(PassReason.Malformed);
                continue;
            }
            ReadOnlySpan<byte> packet = buffer.Slice(meta.PayloadOffset, meta.PayloadLength);
            if (!_policy.ShouldAnswer(packet, meta.IsTruncated, out UdpPacket udp, out DnsQuery query, out PassReason reason))
            {
                Counters.CountPassed(reason);
                continue;
            }
            RawSocket? socket = udp.IpVersion == 4 ? _ipv4 : _ipv6;
            if (socket is null)
            {
                Counters.CountPassed(PassReason.NotUdp);
                continue;
            }

            int offset = i * ReplyPacket.MaxLength;
            int length = ReplyPacket.Write(packet, udp, query, _policy.Options, _replies.AsSpan(offset, ReplyPacket.MaxLength));
            if (length < 0)
            {
                Counters.CountPassed(PassReason.Malformed);
                continue;
            }

            if (udp.IpVersion == 4)
            {
                _datagrams4[count4] = new RawDatagram { Offset = offset, Length = length };
                _index4[count4++] = i;
            }
            else
            {
                // A link-local client is reached through the interface its query came in on.
                ReadOnlySpan<byte> client = udp.SourceAddress(packet);
                uint scope = client[0] == 0xFE && (client[1] & 0xC0) == 0x80 ? meta.InIfIndex : 0;
                _datagrams6[count6] = new RawDatagram { Offset = offset, Length = length, ScopeId = scope };
                _index6[count6++] = i;
            }
        }

        Send(_ipv4, _datagrams4, _index4, count4, verdicts);
        Send(_ipv6, _datagrams6, _index6, count6, verdicts);
    }

    private void Send(RawSocket? socket, RawDatagram[] datagrams, int[] indexes, int count, Span<byte> verdicts)
    {
        if (count == 0 || socket is null)
        {
            return;
        }
        int error;
        fixed (byte* replies = _replies)
        fixed (RawDatagram* batch = datagrams)
        {
            error = Interop.Interop.RawSendBatch(socket.Fd, replies, _replies.Length, batch, count, out _);
        }
        // Every answered query's NF_DROP first, then the counting: if anything throws after a
        // reply went, the verdicts already say which queries were answered (NfqueueLoop keeps them).
        for (int i = 0; i < count; i++)
        {
            if (error == 0 && datagrams[i].Error == 0)
            {
                verdicts[indexes[i]] = Interop.Interop.NF_DROP;
            }
        }
        for (int i = 0; i < count; i++)
        {
            int datagramError = error != 0 ? error : datagrams[i].Error;
            if (datagramError == 0)
            {
                Counters.CountAnswered();
            }
            else
            {
                Counters.CountSendError(datagramError);
                Counters.CountPassed(PassReason.SendError);
            }
        }
    }
}
