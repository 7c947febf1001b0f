using System.Buffers.Binary;

namespace Postern.Wire.Tests;

public class InternetChecksumTests
{
    // RFC 1071 section 3, "Numerical Examples": the bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2,
    // so the checksum is its complement, 220d.
    private static readonly byte[] Rfc1071Example = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];

    [Fact]
    public void Add_Rfc1071Example_FoldsToDdf2()
    {
        ulong sum = InternetChecksum.Add(0, Rfc1071Example);

        Assert.Equal(0xddf2, (ushort)~InternetChecksum.Finish(sum));
    }

    [Fact]
    public void Compute_Rfc1071Example_Is220d()
    {
        Assert.Equal(0x220d, InternetChecksum.Compute(Rfc1071Example));
    }

    [Fact]
    public void Compute_Rfc1071ExampleInAnyWordOrder_IsTheSame()
    {
        // RFC 1071 section 2(B): the sum is commutative and associative over 16-bit words.
        byte[] swapped = [0xf6, 0xf7, 0xf4, 0xf5, 0xf2, 0x03, 0x00, 0x01];

        Assert.Equal(0x220d, InternetChecksum.Compute(swapped));
    }

    [Fact]
    public void Add_InPieces_EqualsAddAtOnce()
    {
        ulong sum = InternetChecksum.Add(InternetChecksum.Add(0, Rfc1071Example.AsSpan(0, 2)), Rfc1071Example.AsSpan(2));

        Assert.Equal(0x220d, InternetChecksum.Finish(sum));
    }

    [Fact]
    public void Compute_OddLength_PadsLastByteAsHighByte()
    {
        Assert.Equal(0xfeff, InternetChecksum.Compute([0x01]));
        Assert.Equal(InternetChecksum.Compute([0x12, 0x34, 0x56, 0x78, 0x9a, 0x00]), InternetChecksum.Compute([0x12, 0x34, 0x56, 0x78, 0x9a]));
        Assert.Equal(ReferenceChecksum.Compute([0x12, 0x34, 0x56, 0x78, 0x9a]), InternetChecksum.Compute([0x12, 0x34, 0x56, 0x78, 0x9a]));
    }

    [Fact]
    public void Compute_Empty_IsAllOnes()
    {
        Assert.Equal(0xffff, InternetChecksum.Compute([]));
    }

    [Theory]
    [InlineData(0x0000UL, 0xffff)]
    [InlineData(0xffffUL, 0x0000)]
    [InlineData(0x12345UL, 0xdcb9)]        // 0x2345 + 1 = 0x2346, complemented
    [InlineData(0x1_fffe_0001UL, 0xfffe)] // folds twice: 0x0001 + 0x1fffe = 0x1ffff -> 0x10000 -> 0x0001
    public void Finish_FoldsCarriesAndComplements(ulong sum, int expected)
    {
        Assert.Equal((ushort)expected, InternetChecksum.Finish(sum));
    }

    [Fact]
    public void Compute_IpHeaderFromTheKernel_VerifiesToZero()
    {
        ReadOnlySpan<byte> header = KernelPackets.Ipv4.AsSpan(0, 20);
        byte[] zeroed = header.ToArray();
        zeroed[10] = 0;
        zeroed[11] = 0;

        Assert.Equal(0, InternetChecksum.Compute(header));
        Assert.Equal(0x8331, InternetChecksum.Compute(zeroed));
    }

    [Fact]
    public void Compute_WellKnownIpv4Header_IsB861()
    {
        // The worked example of the IPv4 header checksum (Wikipedia, "Internet checksum"):
        // 4500 0073 0000 4000 4011 [b861] c0a8 0001 c0a8 00c7.
        byte[] header = Convert.FromHexString("450000730000400040110000c0a80001c0a800c7");

        Assert.Equal(0xb861, InternetChecksum.Compute(header));
    }

    [Fact]
    public void Udp_KernelIpv4Packet_MatchesIndependentChecksum()
    {
        byte[] segment = KernelPackets.Ipv4.AsSpan(20).ToArray();
        byte[] zeroed = (byte[])segment.Clone();
        zeroed[6] = 0;
        zeroed[7] = 0;

        ushort checksum = InternetChecksum.Udp(KernelPackets.Ipv4.AsSpan(12, 4), KernelPackets.Ipv4.AsSpan(16, 4), zeroed);

        Assert.Equal(KernelPackets.Ipv4UdpChecksum, checksum);
        // What the offload would have written: the checksum of the segment seeded with the
        // kernel's pseudo-header sum. The kernel's pseudo-header and ours must agree.
        Assert.Equal(checksum, InternetChecksum.Compute(segment));
    }

    [Fact]
    public void Udp_KernelIpv6Packet_MatchesIndependentChecksum()
    {
        byte[] segment = KernelPackets.Ipv6.AsSpan(40).ToArray();
        byte[] zeroed = (byte[])segment.Clone();
        zeroed[6] = 0;
        zeroed[7] = 0;

        ushort checksum = InternetChecksum.Udp(KernelPackets.Ipv6.AsSpan(8, 16), KernelPackets.Ipv6.AsSpan(24, 16), zeroed);

        Assert.Equal(KernelPackets.Ipv6UdpChecksum, checksum);
        Assert.Equal(checksum, InternetChecksum.Compute(segment));
    }

    [Fact]
    public void Udp_SegmentWithChecksumFilledIn_SumsToZero()
    {
        foreach ((byte[] packet, int ipHeaderLength, int addressLength) in new[] { (KernelPackets.Ipv4, 20, 4), (KernelPackets.Ipv6, 40, 16) })
        {
            ReadOnlySpan<byte> source = packet.AsSpan(ipHeaderLength - 2 * addressLength, addressLength);
            ReadOnlySpan<byte> destination = packet.AsSpan(ipHeaderLength - addressLength, addressLength);
            byte[] segment = packet.AsSpan(ipHeaderLength).ToArray();
            segment[6] = 0;
            segment[7] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(6), InternetChecksum.Udp(source, destination, segment));

            // Both the library's own sum and the plain reference fold to zero.
            ulong sum = InternetChecksum.Add(InternetChecksum.Add(InternetChecksum.Add(0, source), destination), segment);
            sum += InternetChecksum.ProtocolUdp + (ulong)segment.Length;
            Assert.Equal(0, InternetChecksum.Finish(sum));
            Assert.Equal(0, ReferenceChecksum.Udp(source, destination, segment));
        }
    }

    [Fact]
    public void Udp_ComputedZero_IsSentAsAllOnes()
    {
        // Put the checksum of a segment into its last payload word: the sum then comes to 0xffff
        // and the checksum to 0, which RFC 768 sends as 0xffff (0 means "no checksum").
        byte[] source = [10, 0, 0, 1];
        byte[] destination = [10, 0, 0, 2];
        byte[] segment = [0x00, 0x35, 0x9c, 0x40, 0x00, 0x0c, 0x00, 0x00, 0xab, 0xcd, 0x00, 0x00];
        ushort first = InternetChecksum.Udp(source, destination, segment);
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(10), first);

        Assert.Equal(0, ReferenceChecksum.Udp(source, destination, segment));
        Assert.Equal(0xffff, InternetChecksum.Udp(source, destination, segment));

        // And 0xffff in the field verifies like 0 would.
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(6), 0xffff);
        Assert.Equal(0, ReferenceChecksum.Udp(source, destination, segment));
    }
}
