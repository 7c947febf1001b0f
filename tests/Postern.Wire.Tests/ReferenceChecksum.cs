using System.Buffers.Binary;

namespace Postern.Wire.Tests;

/// <summary>A deliberately plain RFC 1071 checksum (16-bit words, end-around carry after every
/// addition) and explicit pseudo-headers, to check InternetChecksum against something that shares
/// no code with it.</summary>
public static class ReferenceChecksum
{
    public static ushort Compute(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i < data.Length; i += 2)
        {
            uint word = (uint)data[i] << 8;
            if (i + 1 < data.Length)
            {
                word |= data[i + 1];
            }
            sum += word;
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)~sum;
    }

    /// <summary>RFC 768: source, destination, zero, protocol, UDP length; RFC 8200 section 8.1:
    /// source, destination, 32-bit upper-layer length, three zeros, next header.</summary>
    public static byte[] PseudoHeader(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, int udpLength)
    {
        if (source.Length == 4)
        {
            var pseudo = new byte[12];
            source.CopyTo(pseudo);
            destination.CopyTo(pseudo.AsSpan(4));
            pseudo[9] = 17;
            BinaryPrimitives.WriteUInt16BigEndian(pseudo.AsSpan(10), (ushort)udpLength);
            return pseudo;
        }
        else
        {
            var pseudo = new byte[40];
            source.CopyTo(pseudo);
            destination.CopyTo(pseudo.AsSpan(16));
            BinaryPrimitives.WriteUInt32BigEndian(pseudo.AsSpan(32), (uint)udpLength);
            pseudo[39] = 17;
            return pseudo;
        }
    }

    /// <summary>The checksum over pseudo-header and segment as they stand: 0 when the segment's
    /// checksum field is right, and the checksum to write when that field is zero.</summary>
    public static ushort Udp(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, ReadOnlySpan<byte> segment)
    {
        byte[] pseudo = PseudoHeader(source, destination, segment.Length);
        var all = new byte[pseudo.Length + segment.Length];
        pseudo.CopyTo(all, 0);
        segment.CopyTo(all.AsSpan(pseudo.Length));
        return Compute(all);
    }
}
