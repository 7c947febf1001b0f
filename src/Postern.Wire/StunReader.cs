using System.Buffers.Binary;

namespace Postern.Wire;

/// <summary>A cursor over the attributes of one STUN message (RFC 8489 section 14): type, length,
/// value, padding to four bytes. Returns false at the end or on bad input and never throws;
/// <see cref="IsMalformed"/> tells which.</summary>
public ref struct StunReader
{
    private readonly ReadOnlySpan<byte> _message;
    private int _position;

    /// <summary>Reads the attributes of <paramref name="message"/>, which must already have passed
    /// <see cref="StunMessage.IsStunFramed"/> (or be cut to its header's length).</summary>
    public StunReader(ReadOnlySpan<byte> message)
    {
        _message = message;
        _position = StunMessage.HeaderLength;
        IsMalformed = message.Length < StunMessage.HeaderLength;
    }

    public readonly int Position => _position;

    public bool IsMalformed { get; private set; }

    public readonly bool IsAtEnd => !IsMalformed && _position == _message.Length;

    /// <summary>Reads the next attribute. <paramref name="attributeOffset"/> is where its 4-byte
    /// header starts (FINGERPRINT covers everything before it).</summary>
    public bool TryRead(out ushort type, out ReadOnlySpan<byte> value, out int attributeOffset)
    {
        type = 0;
        value = default;
        attributeOffset = _position;
        if (IsMalformed || _position == _message.Length)
        {
            return false;
        }
        if (_message.Length - _position < StunAttribute.HeaderLength)
        {
            IsMalformed = true;
            return false;
        }
        type = BinaryPrimitives.ReadUInt16BigEndian(_message.Slice(_position));
        int length = BinaryPrimitives.ReadUInt16BigEndian(_message.Slice(_position + 2));
        int valueOffset = _position + StunAttribute.HeaderLength;
        int padded = StunAttribute.Padded(length);
        if (_message.Length - valueOffset < padded)
        {
            IsMalformed = true;
            return false;
        }
        value = _message.Slice(valueOffset, length);
        _position = valueOffset + padded;
        return true;
    }
}
