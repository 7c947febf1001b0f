using System.Buffers.Binary;

namespace Postern.Aaaa.Tests;

/// <summary>A plain RFC 1071 checksum (16-bit words, end-around carry after every addition) and
/// explicit pseudo-headers, sharing no code with Postern.Wire's InternetChecksum (copied from
/// Postern.Wire.Tests).</summary>
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

    /// <summary>The checksum over RFC 768 / RFC 8200 section 8.1 pseudo-header and segment as they
    /// stand: 0 when the segment's checksum field is right.</summary>
    public static ushort Udp(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, ReadOnlySpan<byte> segment)
    {
        byte[] pseudo;
        if (source.Length == 4)
        {
            pseudo = new byte[12];
            source.CopyTo(pseudo);
            destination.CopyTo(pseudo.AsSpan(4));
            pseudo[9] = 17;
            BinaryPrimitives.WriteUInt16BigEndian(pseudo.AsSpan(10), (ushort)segment.Length);
        }
        else
        {
            pseudo = new byte[40];
            source.CopyTo(pseudo);
            destination.CopyTo(pseudo.AsSpan(16));
            BinaryPrimitives.WriteUInt32BigEndian(pseudo.AsSpan(32), (uint)segment.Length);
            pseudo[39] = 17;
        }
        var all = new byte[pseudo.Length + segment.Length];
        pseudo.CopyTo(all, 0);
        segment.CopyTo(all.AsSpan(pseudo.Length));
        return Compute(all);
    }
}
