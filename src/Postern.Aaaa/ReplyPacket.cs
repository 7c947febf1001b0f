using Postern.Wire;

namespace Postern.Aaaa;

/// <summary>The whole IP packet that answers a query: from the address and port the client asked
/// (so it is right in every chain, a forwarded query included), to the client.</summary>
public static class ReplyPacket
{
    /// <summary>Room for the largest reply: IPv6 and UDP headers, a question of the longest name,
    /// the SOA and the OPT record.</summary>
    public const int MaxLength = 512;

    public static int Write(ReadOnlySpan<byte> packet, in UdpPacket udp, in DnsQuery query, AaaaOptions options, Span<byte> destination)
    {
        int headerLength = UdpPacketWriter.HeaderLength(udp.IpVersion);
        if (destination.Length < headerLength)
        {
            return -1;
        }
        int dnsLength = NoDataReply.Write(udp.Payload(packet), query, options.IncludeSoa, options.NegativeTtl, destination.Slice(headerLength));
        if (dnsLength < 0)
        {
            return -1;
        }
        return UdpPacketWriter.WriteHeaders(destination, udp.IpVersion, udp.DestinationAddress(packet), udp.SourceAddress(packet),
            udp.DestinationPort, udp.SourcePort, dnsLength);
    }
}
