using System.Buffers.Binary;

namespace Postern.Wire;

/// <summary>A cursor over one DNS message. Every method returns false on bad input and never
/// throws; names stay where they are in the message.</summary>
public ref struct DnsReader
{
    /// <summary>RFC 1035 section 2.3.4: a name is at most 255 octets on the wire.</summary>
    public const int MaxNameLength = 255;

    /// <summary>Compression pointers followed before a name is called a loop.</summary>
    public const int MaxPointerHops = 16;

    private readonly ReadOnlySpan<byte> _message;
    private int _position;

    public DnsReader(ReadOnlySpan<byte> message, int position = DnsHeader.Length)
    {
        _message = message;
        _position = position;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _message.Length - _position;

    /// <summary>Steps over a name (RFC 1035 section 4.1.4): labels, ending in the root label or in a
    /// compression pointer. Pointers must point backwards but not into the header, and the name
    /// they lead to must be well formed and at most 255 octets.</summary>
    public bool TrySkipName()
    {
        if (!TryMeasureName(_message, _position, out int wireLength, out _))
        {
            return false;
        }
        _position += wireLength;
        return true;
    }

    /// <summary>Measures the name at <paramref name="offset"/>: how many bytes it takes there
    /// (<paramref name="wireLength"/>) and how long it is uncompressed
    /// (<paramref name="nameLength"/>, counting length octets and the root).</summary>
    public static bool TryMeasureName(ReadOnlySpan<byte> message, int offset, out int wireLength, out int nameLength)
    {
        wireLength = 0;
        nameLength = 0;
        int position = offset;
        int hops = 0;
        int lowestTarget = offset;
        while (true)
        {
            if ((uint)position >= (uint)message.Length)
            {
                return false;
            }
            byte length = message[position];
            if (length == 0)
            {
                nameLength += 1;
                if (hops == 0)
                {
                    wireLength = position + 1 - offset;
                }
                return nameLength <= MaxNameLength;
            }
            switch (length & 0xC0)
            {
                case 0x00:
                    nameLength += length + 1;
                    if (nameLength > MaxNameLength)
                    {
                        return false;
                    }
                    position += length + 1;
                    break;
                case 0xC0:
                    if (position + 1 >= message.Length)
                    {
                        return false;
                    }
                    int target = ((length & 0x3F) << 8) | message[position + 1];
                    // Only backwards, to somewhere before every name part read so far: this
                    // ends every loop, and the hop limit bounds the work. Never into the header,
                    // which holds no names and which a reply rewrites.
                    if (target < DnsHeader.Length || target >= lowestTarget || ++hops > MaxPointerHops)
                    {
                        return false;
                    }
                    if (hops == 1)
                    {
                        wireLength = position + 2 - offset;
                    }
                    lowestTarget = target;
                    position = target;
                    break;
                default:
                    // 0x40 and 0x80: extended and reserved label types (RFC 6891 section 5).
                    return false;
            }
        }
    }

    /// <summary>Writes the name at <paramref name="offset"/> in presentation form, lower-cased,
    /// without the trailing dot ("" for the root), and returns its length in characters, or -1 for
    /// a bad name. Label bytes are taken as Latin-1 and not escaped: this is for matching names
    /// against a list, not for display.</summary>
    public static int ReadLowerCaseName(ReadOnlySpan<byte> message, int offset, Span<char> destination)
    {
        if (!TryMeasureName(message, offset, out _, out _))
        {
            return -1;
        }
        int written = 0;
        int position = offset;
        while (true)
        {
            byte length = message[position];
            if (length == 0)
            {
                return written;
            }
            if ((length & 0xC0) == 0xC0)
            {
                position = ((length & 0x3F) << 8) | message[position + 1];
                continue;
            }
            if (written != 0)
            {
                if (written >= destination.Length)
                {
                    return -1;
                }
                destination[written++] = '.';
            }
            if (written + length > destination.Length)
            {
                return -1;
            }
            ReadOnlySpan<byte> label = message.Slice(position + 1, length);
            for (int i = 0; i < label.Length; i++)
            {
                byte b = label[i];
                destination[written++] = (char)(b is >= (byte)'A' and <= (byte)'Z' ? b + 32 : b);
            }
            position += length + 1;
        }
    }

    public bool TryReadUInt16(out ushort value)
    {
        if (Remaining < 2)
        {
            value = 0;
            return false;
        }
        value = BinaryPrimitives.ReadUInt16BigEndian(_message.Slice(_position));
        _position += 2;
        return true;
    }

    public bool TryReadUInt32(out uint value)
    {
        if (Remaining < 4)
        {
            value = 0;
            return false;
        }
        value = BinaryPrimitives.ReadUInt32BigEndian(_message.Slice(_position));
        _position += 4;
        return true;
    }

    /// <summary>Reads the question at the cursor (RFC 1035 section 4.1.2).</summary>
    public bool TryReadQuestion(out int nameOffset, out ushort type, out ushort @class)
    {
        nameOffset = _position;
        type = 0;
        @class = 0;
        return TrySkipName() && TryReadUInt16(out type) && TryReadUInt16(out @class);
    }

    /// <summary>Reads a resource record's fixed fields and steps over its data (RFC 1035 section
    /// 4.1.3). <paramref name="dataOffset"/> is where RDATA starts.</summary>
    public bool TryReadRecord(out ushort type, out ushort @class, out uint ttl, out int dataOffset, out int dataLength)
    {
        type = 0;
        @class = 0;
        ttl = 0;
        dataOffset = 0;
        dataLength = 0;
        if (!TrySkipName() || !TryReadUInt16(out type) || !TryReadUInt16(out @class) || !TryReadUInt32(out ttl) ||
            !TryReadUInt16(out ushort length) || Remaining < length)
        {
            return false;
        }
        dataOffset = _position;
        dataLength = length;
        _position += length;
        return true;
    }
}
