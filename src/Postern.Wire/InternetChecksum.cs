using System.Buffers.Binary;

namespace Postern.Wire;

/// <summary>The Internet checksum (RFC 1071) and the UDP pseudo-header sums of RFC 768 (IPv4) and
/// RFC 8200 section 8.1 (IPv6).</summary>
public static class InternetChecksum
{
    public const byte ProtocolUdp = 17;

    /// <summary>Adds the 16-bit big-endian words of <paramref name="data"/> to a running sum; an odd
    /// last byte counts as its word's high byte.</summary>
    public static ulong Add(ulong sum, ReadOnlySpan<byte> data)
    {
        int i = 0;
        for (; i + 4 <= data.Length; i += 4)
        {
            sum += BinaryPrimitives.ReadUInt32BigEndian(data.Slice(i));
        }
        for (; i + 2 <= data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data.Slice(i));
        }
        if (i < data.Length)
        {
            sum += (ulong)data[i] << 8;
        }
        return sum;
    }

    /// <summary>Folds a running sum to 16 bits and complements it.</summary>
    public static ushort Finish(ulong sum)
    {
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)~sum;
    }

    public static ushort Compute(ReadOnlySpan<byte> data) => Finish(Add(0, data));

    /// <summary>The UDP checksum over the pseudo-header (source, destination, protocol, length) and
    /// the whole segment, whose checksum field must be zero. A computed 0 is sent as 0xFFFF
    /// (RFC 768; in IPv6 a zero checksum is not allowed at all).</summary>
    public static ushort Udp(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, ReadOnlySpan<byte> segment)
    {
        ulong sum = Add(0, source);
        sum = Add(sum, destination);
        sum += ProtocolUdp;
        sum += (uint)segment.Length;
        sum = Add(sum, segment);
        ushort result = Finish(sum);
        return result == 0 ? (ushort)0xFFFF : result;
    }
}
