using Postern.Wire;

namespace Postern.Aaaa.Tests;

/// <summary>The per-packet decision and reply allocate nothing in steady state, with every option
/// that adds work per packet switched on: measured, not hoped for.</summary>
public class HotPathAllocationTests
{
    private const int WarmUpIterations = 300;
    private const int MeasuredIterations = 1000;

    private static AddressPrefix Prefix(string text)
    {
        Assert.True(AddressPrefix.TryParse(text, out AddressPrefix? prefix), text);
        return prefix!;
    }

    /// <summary>Packets that take every branch: answered (v4, v6), passed early (A), passed by
    /// client, by domain after reading the name, and answered after the name was read and not
    /// matched.</summary>
    private static readonly byte[][] Stream =
    [
        QueryPackets.Wrap(4, DigQueries.AaaaOtherDomain),
        QueryPackets.Wrap(6, DigQueries.AaaaOtherDomain),
        QueryPackets.Wrap(4, DigQueries.A),
        QueryPackets.Wrap(4, DigQueries.Aaaa, "203.0.113.9"),
        QueryPackets.Wrap(6, DigQueries.AaaaMixedCaseSubdomain),
        QueryPackets.Wrap(6, DigQueries.AaaaSiblingDomain),
        QueryPackets.Wrap(4, DigQueries.Https),
        QueryPackets.Wrap(6, DigQueries.AaaaNoEdns),
    ];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ShouldAnswerAndReplyPacketWrite_AllocateNothing(bool withExceptions)
    {
        var options = new AaaaOptions { QueryTypes = [DnsType.AAAA, DnsType.HTTPS] };
        if (withExceptions)
        {
            options = options with
            {
                ExceptDomains = new DomainSet(["example.com", "corp.internal"]),
                ExceptClients = [Prefix("203.0.113.0/24"), Prefix("2001:db8:99::/48")],
            };
        }
        var policy = new AaaaPolicy(options, new FakeRouteState(hasDefaultRoute: false));
        byte[] reply = new byte[ReplyPacket.MaxLength];
        Run(policy, reply, WarmUpIterations);

        long before = GC.GetAllocatedBytesForCurrentThread();
        (int answered, int passed, long bytes) = Run(policy, reply, MeasuredIterations);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        // The loop did the work it is measured for: both answers and passes, replies written.
        Assert.True(answered > 0 && passed > 0 && bytes > answered * 40L, $"{answered} answered, {passed} passed, {bytes} bytes");
        if (withExceptions)
        {
            // Three of the eight are answered: example.org twice and www.notexample.com.
            Assert.Equal(MeasuredIterations * 3 / Stream.Length, answered);
        }
    }

    [Fact]
    public void Measurement_SeesAnAllocationInTheSameLoop()
    {
        // The counter must see allocations at all, or the zeros above would prove nothing.
        long before = GC.GetAllocatedBytesForCurrentThread();
        int total = 0;
        for (int i = 0; i < MeasuredIterations; i++)
        {
            total += new DomainSet([]).Count + 1;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated >= MeasuredIterations * 16L, $"{allocated} bytes");
        Assert.Equal(MeasuredIterations, total);
    }

    private static (int Answered, int Passed, long Bytes) Run(AaaaPolicy policy, byte[] reply, int iterations)
    {
        int answered = 0;
        int passed = 0;
        long bytes = 0;
        for (int i = 0; i < iterations; i++)
        {
            byte[] packet = Stream[i % Stream.Length];
            if (!policy.ShouldAnswer(packet, false, out UdpPacket udp, out DnsQuery query, out _))
            {
                passed++;
                continue;
            }
            int length = ReplyPacket.Write(packet, udp, query, policy.Options, reply);
            if (length > 0)
            {
                answered++;
                bytes += length;
            }
        }
        return (answered, passed, bytes);
    }
}
