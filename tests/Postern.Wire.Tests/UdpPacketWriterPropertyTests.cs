using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;

namespace Postern.Wire.Tests;

/// <summary>Whatever UdpPacketWriter writes, UdpPacket reads back, and its checksums verify.</summary>
public class UdpPacketWriterPropertyTests
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(1000);

    [Fact]
    public void WriteHeadersThenTryRead_RoundTripsPortsAddressesAndPayload()
    {
        Check.One(Config, Prop.ForAll(WireGenerators.Packet.ToArbitrary(), (PacketSpec spec) =>
        {
            byte[] packet = WireGenerators.Build(spec);

            Assert.Equal(UdpPacketError.None, UdpPacket.TryRead(packet, out UdpPacket udp));

            Assert.Equal(spec.Version, udp.IpVersion);
            Assert.Equal(spec.Source, udp.SourceAddress(packet).ToArray());
            Assert.Equal(spec.Destination, udp.DestinationAddress(packet).ToArray());
            Assert.Equal(spec.SourcePort, udp.SourcePort);
            Assert.Equal(spec.DestinationPort, udp.DestinationPort);
            Assert.Equal(spec.Payload, udp.Payload(packet).ToArray());
            Assert.Equal(packet.Length, udp.PayloadOffset + udp.PayloadLength);
        }));
    }

    [Fact]
    public void WriteHeaders_ChecksumsVerifyAgainstReference()
    {
        Check.One(Config, Prop.ForAll(WireGenerators.Packet.ToArbitrary(), (PacketSpec spec) =>
        {
            byte[] packet = WireGenerators.Build(spec);
            int udpOffset = spec.Version == 4 ? UdpPacket.Ipv4HeaderLength : UdpPacket.Ipv6HeaderLength;
            ReadOnlySpan<byte> segment = packet.AsSpan(udpOffset);

            // The sum over pseudo-header and segment, checksum included, folds to zero.
            Assert.Equal(0, ReferenceChecksum.Udp(spec.Source, spec.Destination, segment));
            Assert.NotEqual(0, BinaryPrimitives.ReadUInt16BigEndian(segment.Slice(6)));
            if (spec.Version == 4)
            {
                Assert.Equal(0, ReferenceChecksum.Compute(packet.AsSpan(0, UdpPacket.Ipv4HeaderLength)));
            }
        }));
    }

    [Fact]
    public void Compute_EqualsPlainRfc1071AndAddSplitsAtEvenOffsets()
    {
        Gen<(byte[] Data, int Split)> inputs =
            from data in WireGenerators.Bytes(0, 200)
            from split in Gen.Choose(0, data.Length / 2)
            select (data, split * 2);

        Check.One(Config, Prop.ForAll(inputs.ToArbitrary(), input =>
        {
            (byte[] data, int split) = input;

            Assert.Equal(ReferenceChecksum.Compute(data), InternetChecksum.Compute(data));
            ulong inPieces = InternetChecksum.Add(InternetChecksum.Add(0, data.AsSpan(0, split)), data.AsSpan(split));
            Assert.Equal(InternetChecksum.Compute(data), InternetChecksum.Finish(inPieces));
        }));
    }
}
