using System.Buffers.Binary;

namespace Postern.Wire;

/// <summary>The legacy reflector's answer, byte for byte what a Python reflector writes with
/// <c>"Your address is %s\n" % (addr,)</c>: the repr of the address tuple that
/// <c>socket.recvfrom</c> returns, <c>('203.0.113.7', 40060)</c> for IPv4 and
/// <c>('2001:db8::1', 40060, 0, 0)</c> (host, port, flowinfo, scope id) for IPv6. Existing
/// hole-punch scripts parse that with a regular expression, so the format is frozen.</summary>
public static class LegacyReflectorText
{
    /// <summary>The longest answer: an IPv6 address with an embedded IPv4 one (45 characters),
    /// a 5-digit port, a 10-digit scope ID.</summary>
    public const int MaxLength = 96;

    private static ReadOnlySpan<byte> Prefix => "Your address is ('"u8;
    private static ReadOnlySpan<byte> Hex => "0123456789abcdef"u8;

    /// <summary>Writes the answer for a peer at <paramref name="address"/> (4 bytes, or 16 for
    /// IPv6; an IPv4-mapped address is written as the IPv4 address it stands for, as a Python
    /// server on an IPv4 socket would see it) and returns its length, or -1 when
    /// <paramref name="destination"/> is too small.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> address, ushort port, uint scopeId = 0)
    {
        if (destination.Length < MaxLength || (address.Length != 4 && address.Length != 16))
        {
            return -1;
        }
        bool ipv4 = address.Length == 4 || IsMapped(address);
        int n = 0;
        Prefix.CopyTo(destination);
        n += Prefix.Length;
        n += ipv4 ? WriteIpv4(destination.Slice(n), address.Slice(address.Length - 4)) : WriteIpv6(destination.Slice(n), address);
        destination[n++] = (byte)'\'';
        destination[n++] = (byte)',';
        destination[n++] = (byte)' ';
        n += WriteDecimal(destination.Slice(n), port);
        if (!ipv4)
        {
            // flowinfo is 0 unless the socket asked for it (IPV6_FLOWINFO), and Python's does not.
            ", 0, "u8.CopyTo(destination.Slice(n));
            n += 5;
            n += WriteDecimal(destination.Slice(n), scopeId);
        }
        destination[n++] = (byte)')';
        destination[n++] = (byte)'\n';
        return n;
    }

    public static bool IsMapped(ReadOnlySpan<byte> address) =>
        address.Length == 16 && BinaryPrimitives.ReadUInt64BigEndian(address) == 0 &&
        BinaryPrimitives.ReadUInt32BigEndian(address.Slice(8)) == 0x0000FFFF;

    private static int WriteIpv4(Span<byte> destination, ReadOnlySpan<byte> address)
    {
        int n = 0;
        for (int i = 0; i < 4; i++)
        {
            if (i != 0)
            {
                destination[n++] = (byte)'.';
            }
            n += WriteDecimal(destination.Slice(n), address[i]);
        }
        return n;
    }

    /// <summary>IPv6 text as glibc's inet_ntop writes it (which Python calls): lower-case hex
    /// without leading zeros, the first longest run of two or more zero groups as "::" (RFC 5952
    /// section 4.2), and the last 32 bits as dotted IPv4 when the address is IPv4-compatible
    /// (::a.b.c.d) or IPv4-mapped (::ffff:a.b.c.d).</summary>
    private static int WriteIpv6(Span<byte> destination, ReadOnlySpan<byte> address)
    {
        Span<ushort> words = stackalloc ushort[8];
        for (int i = 0; i < 8; i++)
        {
            words[i] = BinaryPrimitives.ReadUInt16BigEndian(address.Slice(2 * i));
        }
        int bestBase = -1, bestLength = 0, currentBase = -1, currentLength = 0;
        for (int i = 0; i < 8; i++)
        {
            if (words[i] == 0)
            {
                if (currentBase == -1)
                {
                    currentBase = i;
                    currentLength = 1;
                }
                else
                {
                    currentLength++;
                }
            }
            else if (currentBase != -1)
            {
                if (currentLength > bestLength)
                {
                    (bestBase, bestLength) = (currentBase, currentLength);
                }
                currentBase = -1;
            }
        }
        if (currentBase != -1 && currentLength > bestLength)
        {
            (bestBase, bestLength) = (currentBase, currentLength);
        }
        if (bestLength < 2)
        {
            bestBase = -1;
        }

        int n = 0;
        for (int i = 0; i < 8; i++)
        {
            if (bestBase != -1 && i >= bestBase && i < bestBase + bestLength)
            {
                if (i == bestBase)
                {
                    destination[n++] = (byte)':';
                }
                continue;
            }
            if (i != 0)
            {
                destination[n++] = (byte)':';
            }
            // glibc inet_ntop6: an embedded IPv4 address in the compatible and mapped forms.
            if (i == 6 && bestBase == 0 && (bestLength == 6 || (bestLength == 5 && words[5] == 0xFFFF)))
            {
                n += WriteIpv4(destination.Slice(n), address.Slice(12));
                return n;
            }
            n += WriteHex(destination.Slice(n), words[i]);
        }
        if (bestBase != -1 && bestBase + bestLength == 8)
        {
            destination[n++] = (byte)':';
        }
        return n;
    }

    private static int WriteHex(Span<byte> destination, ushort value)
    {
        int n = 0;
        bool started = false;
        for (int shift = 12; shift >= 0; shift -= 4)
        {
            int digit = (value >> shift) & 0xF;
            if (digit != 0 || started || shift == 0)
            {
                destination[n++] = Hex[digit];
                started = true;
            }
        }
        return n;
    }

    private static int WriteDecimal(Span<byte> destination, uint value)
    {
        Span<byte> digits = stackalloc byte[10];
        int count = 0;
        do
        {
            digits[count++] = (byte)('0' + value % 10);
            value /= 10;
        } while (value != 0);
        for (int i = 0; i < count; i++)
        {
            destination[i] = digits[count - 1 - i];
        }
        return count;
    }
}
