namespace Postern.Wire.Tests;

/// <summary>The per-packet path allocates nothing in steady state: measured, not hoped for.</summary>
public class HotPathAllocationTests
{
    private const int WarmUpIterations = 200;
    private const int MeasuredIterations = 1000;

    private static readonly byte[] Ipv4Source = [192, 0, 2, 53];
    private static readonly byte[] Ipv4Destination = [198, 51, 100, 7];

    [Fact]
    public void DnsQueryTryReadAndNoDataReplyWrite_AllocateNothing()
    {
        byte[] reply = new byte[512];
        ReadAndReply(reply, WarmUpIterations);

        long before = GC.GetAllocatedBytesForCurrentThread();
        int total = ReadAndReply(reply, MeasuredIterations);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(total > 0);
    }

    [Fact]
    public void WholeReplyPath_AllocatesNothing()
    {
        // A dig query in an IPv4 datagram, read, its name matched, answered, and the answer
        // wrapped in IP and UDP headers: what the appliance does per intercepted query.
        byte[] query = GoldenQueries.AaaaMixedCaseDnssec;
        byte[] incoming = new byte[UdpPacketWriter.HeaderLength(4) + query.Length];
        query.CopyTo(incoming, UdpPacketWriter.HeaderLength(4));
        UdpPacketWriter.WriteHeaders(incoming, 4, Ipv4Destination, Ipv4Source, 40000, 53, query.Length);
        byte[] outgoing = new byte[1500];
        char[] name = new char[DnsReader.MaxNameLength];
        WholePath(incoming, outgoing, name, WarmUpIterations);

        long before = GC.GetAllocatedBytesForCurrentThread();
        int total = WholePath(incoming, outgoing, name, MeasuredIterations);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(total > 0);
    }

    [Fact]
    public void Measurement_SeesAnAllocationInTheSameLoop()
    {
        // The counter must see allocations at all, or the zero above would prove nothing.
        long before = GC.GetAllocatedBytesForCurrentThread();
        int total = 0;
        for (int i = 0; i < MeasuredIterations; i++)
        {
            total += new byte[16].Length;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated >= MeasuredIterations * 16L, $"{allocated} bytes");
        Assert.Equal(MeasuredIterations * 16, total);
    }

    private static int ReadAndReply(byte[] reply, int iterations)
    {
        int total = 0;
        GoldenQuery[] all = GoldenQueries.All;
        for (int i = 0; i < iterations; i++)
        {
            byte[] query = all[i % all.Length].Bytes;
            if (DnsQuery.TryRead(query, out DnsQuery parsed) != DnsQueryError.None)
            {
                return -1;
            }
            total += NoDataReply.Write(query, parsed, includeSoa: (i & 1) == 0, 300, reply);
        }
        return total;
    }

    private static int WholePath(byte[] incoming, byte[] outgoing, char[] name, int iterations)
    {
        int total = 0;
        int replyOffset = UdpPacketWriter.HeaderLength(4);
        for (int i = 0; i < iterations; i++)
        {
            if (UdpPacket.TryRead(incoming, out UdpPacket udp) != UdpPacketError.None)
            {
                return -1;
            }
            ReadOnlySpan<byte> payload = udp.Payload(incoming);
            if (DnsQuery.TryRead(payload, out DnsQuery parsed) != DnsQueryError.None)
            {
                return -1;
            }
            total += DnsReader.ReadLowerCaseName(payload, parsed.QuestionNameOffset, name);
            int length = NoDataReply.Write(payload, parsed, includeSoa: true, 300, outgoing.AsSpan(replyOffset));
            total += UdpPacketWriter.WriteHeaders(outgoing, 4, udp.DestinationAddress(incoming), udp.SourceAddress(incoming),
                udp.DestinationPort, udp.SourcePort, length);
        }
        return total;
    }
}
