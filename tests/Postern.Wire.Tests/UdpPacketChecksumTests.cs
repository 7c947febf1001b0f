using System.Buffers.Binary;

namespace Postern.Wire.Tests;

/// <summary>UDP checksums as the kernel's UDP layer checks them (found by `make fuzz`: postern-aaaa
/// answered queries whose checksum was wrong, which the server's kernel would have dropped).</summary>
public class UdpPacketChecksumTests
{
    /// <summary>A kernel packet with its UDP checksum completed, as NFQUEUE hands it over: the
    /// captures hold only the pseudo-header seed of CHECKSUM_PARTIAL, and a queue bound without
    /// NFQA_CFG_F_GSO gets the checksum filled in (skb_checksum_help) before the copy.</summary>
    private static byte[] Completed(int version)
    {
        byte[] packet = (byte[])(version == 4 ? KernelPackets.Ipv4 : KernelPackets.Ipv6).Clone();
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(version == 4 ? 26 : 46),
            version == 4 ? KernelPackets.Ipv4UdpChecksum : KernelPackets.Ipv6UdpChecksum);
        return packet;
    }

    private static UdpPacket Read(byte[] packet)
    {
        Assert.Equal(UdpPacketError.None, UdpPacket.TryRead(packet, out UdpPacket udp));
        return udp;
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void KernelPacket_HasAValidChecksum_OnceItIsCompleted(int version)
    {
        byte[] packet = Completed(version);

        Assert.True(Read(packet).HasValidChecksum(packet));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void KernelPacket_WithOnlyThePseudoHeaderSeed_IsWrong(int version)
    {
        byte[] packet = version == 4 ? KernelPackets.Ipv4 : KernelPackets.Ipv6;

        Assert.False(Read(packet).HasValidChecksum(packet));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void EveryFlippedBitOfTheSegment_MakesTheChecksumWrong(int version)
    {
        byte[] original = Completed(version);
        int udpOffset = version == 4 ? 20 : 40;
        for (int i = udpOffset; i < original.Length; i++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                byte[] packet = (byte[])original.Clone();
                packet[i] ^= (byte)(1 << bit);
                if (i == udpOffset + 4 || i == udpOffset + 5)
                {
                    continue; // the length: TryRead refuses most of these itself
                }
                if (UdpPacket.TryRead(packet, out UdpPacket udp) == UdpPacketError.None)
                {
                    Assert.False(udp.HasValidChecksum(packet), $"byte {i} bit {bit}");
                }
            }
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void AWrongAddress_MakesTheChecksumWrong(int version)
    {
        byte[] packet = Completed(version);
        packet[version == 4 ? 12 : 8] ^= 0x40; // the source address is in the pseudo-header

        Assert.False(Read(packet).HasValidChecksum(packet));
    }

    [Fact]
    public void Zero_IsNoChecksumInIpv4()
    {
        byte[] packet = Completed(4);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(26), 0);

        Assert.True(Read(packet).HasValidChecksum(packet));
    }

    [Fact]
    public void Zero_IsNotAllowedInIpv6()
    {
        byte[] packet = Completed(6);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(46), 0);

        Assert.False(Read(packet).HasValidChecksum(packet));
    }

    [Fact]
    public void BytesPastTheUdpLength_AreNotPartOfTheChecksum()
    {
        // The kernel trims an IP payload longer than the UDP length before it checks the sum.
        byte[] packet = [.. Completed(4), 0xAA, 0xBB];
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);

        Assert.True(Read(packet).HasValidChecksum(packet));
    }
}
