using System.Buffers.Binary;

namespace Postern.Wire;

/// <summary>Writes one STUN message into a caller's buffer: the header, then attributes one by
/// one, keeping the header's length current so that FINGERPRINT can be added last. A write that
/// does not fit marks the writer as overflowed, and <see cref="Finish"/> then returns -1.</summary>
public ref struct StunWriter
{
    private readonly Span<byte> _destination;
    private int _length;
    private bool _overflow;

    /// <summary>Starts a message of <paramref name="messageType"/> whose bytes 4..19 (magic cookie
    /// and transaction ID, or an RFC 3489 transaction ID) are <paramref name="transaction"/>, as
    /// a response echoes them from its request.</summary>
    public StunWriter(Span<byte> destination, ushort messageType, ReadOnlySpan<byte> transaction)
    {
        _destination = destination;
        _length = 0;
        _overflow = destination.Length < StunMessage.HeaderLength || transaction.Length != StunMessage.TransactionLength;
        if (!_overflow)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination, messageType);
            BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(2), 0);
            transaction.CopyTo(destination.Slice(StunMessage.TransactionOffset));
            _length = StunMessage.HeaderLength;
        }
    }

    public readonly int Length => _length;

    /// <summary>Reserves an attribute with a value of <paramref name="valueLength"/> bytes, zeroes
    /// its padding, and returns the value's span (empty when it does not fit).</summary>
    private Span<byte> Begin(ushort type, int valueLength)
    {
        int padded = StunAttribute.Padded(valueLength);
        int total = _length + StunAttribute.HeaderLength + padded;
        if (_overflow || valueLength > ushort.MaxValue || total > _destination.Length ||
            total - StunMessage.HeaderLength > ushort.MaxValue)
        {
            _overflow = true;
            return default;
        }
        Span<byte> attribute = _destination.Slice(_length, StunAttribute.HeaderLength + padded);
        BinaryPrimitives.WriteUInt16BigEndian(attribute, type);
        BinaryPrimitives.WriteUInt16BigEndian(attribute.Slice(2), (ushort)valueLength);
        attribute.Slice(StunAttribute.HeaderLength + valueLength).Clear();
        _length = total;
        BinaryPrimitives.WriteUInt16BigEndian(_destination.Slice(2), (ushort)(_length - StunMessage.HeaderLength));
        return attribute.Slice(StunAttribute.HeaderLength, valueLength);
    }

    /// <summary>RFC 8489 section 14.1 (MAPPED-ADDRESS), and the attributes that share its form:
    /// RESPONSE-ORIGIN and OTHER-ADDRESS (RFC 5780 sections 7.3, 7.4), SOURCE-ADDRESS and
    /// CHANGED-ADDRESS (RFC 3489 section 11.2). <paramref name="address"/> is 4 or 16 bytes.</summary>
    public void WriteAddress(ushort type, scoped ReadOnlySpan<byte> address, ushort port)
    {
        Span<byte> value = Begin(type, 4 + address.Length);
        if (value.IsEmpty)
        {
            return;
        }
        value[0] = 0;
        value[1] = address.Length == 4 ? StunAttribute.FamilyIpv4 : StunAttribute.FamilyIpv6;
        BinaryPrimitives.WriteUInt16BigEndian(value.Slice(2), port);
        address.CopyTo(value.Slice(4));
    }

    public void WriteAddress(ushort type, in StunAddress address) => WriteAddress(type, address.Bytes, address.Port);

    /// <summary>RFC 8489 section 14.2: the port XOR'ed with the cookie's top 16 bits, an IPv4
    /// address with the cookie, an IPv6 address with the cookie and the transaction ID.</summary>
    public void WriteXorMappedAddress(scoped ReadOnlySpan<byte> address, ushort port) =>
        WriteXorAddress(StunAttribute.XorMappedAddress, address, port);

    /// <summary>Any attribute in XOR-MAPPED-ADDRESS form (RFC 8489 section 14.2), XOR'ed with this
    /// message's own cookie and transaction ID: XOR-MAPPED-ADDRESS itself, and Postern's
    /// POSTERN-LOCAL, POSTERN-PEER and POSTERN-PEER-LOCAL. <paramref name="address"/> is 4 or 16
    /// bytes.</summary>
    public void WriteXorAddress(ushort type, scoped ReadOnlySpan<byte> address, ushort port)
    {
        Span<byte> value = Begin(type, 4 + address.Length);
        if (value.IsEmpty)
        {
            return;
        }
        value[0] = 0;
        value[1] = address.Length == 4 ? StunAttribute.FamilyIpv4 : StunAttribute.FamilyIpv6;
        BinaryPrimitives.WriteUInt16BigEndian(value.Slice(2), (ushort)(port ^ (StunMessage.MagicCookie >> 16)));
        ReadOnlySpan<byte> key = _destination.Slice(StunMessage.TransactionOffset, StunMessage.TransactionLength);
        for (int i = 0; i < address.Length; i++)
        {
            value[4 + i] = (byte)(address[i] ^ key[i]);
        }
    }

    public void WriteXorAddress(ushort type, in StunAddress address) => WriteXorAddress(type, address.Bytes, address.Port);

    /// <summary>RFC 5780 section 7.6: a PADDING attribute (zeroes) that brings the message to at
    /// least <paramref name="toLength"/> bytes; nothing when it is that long already. The attribute's
    /// own header counts, so the message may end up to 3 bytes longer than asked.</summary>
    public void WritePadding(int toLength)
    {
        int missing = toLength - _length;
        if (missing <= 0 || _overflow)
        {
            return;
        }
        Span<byte> value = Begin(StunAttribute.Padding, Math.Max(missing - StunAttribute.HeaderLength, 0));
        value.Clear();
    }

    /// <summary>RFC 5780 section 7.2: 32 bits, the change-IP (0x04) and change-port (0x02) flags
    /// in the last byte.</summary>
    public void WriteChangeRequest(uint flags)
    {
        Span<byte> value = Begin(StunAttribute.ChangeRequest, 4);
        if (!value.IsEmpty)
        {
            BinaryPrimitives.WriteUInt32BigEndian(value, flags & (StunAttribute.ChangeIpFlag | StunAttribute.ChangePortFlag));
        }
    }

    /// <summary>RFC 8489 section 14.8: 21 zero bits, the class (hundreds) in 3 bits, the number
    /// (0-99) in 8, then a UTF-8 reason phrase.</summary>
    public void WriteErrorCode(int code, ReadOnlySpan<byte> reason)
    {
        Span<byte> value = Begin(StunAttribute.ErrorCode, 4 + reason.Length);
        if (value.IsEmpty)
        {
            return;
        }
        value[0] = 0;
        value[1] = 0;
        value[2] = (byte)(code / 100 & 0x07);
        value[3] = (byte)(code % 100);
        reason.CopyTo(value.Slice(4));
    }

    /// <summary>RFC 8489 section 14.9: the 16-bit types the request had and the server did not
    /// understand.</summary>
    public void WriteUnknownAttributes(ReadOnlySpan<ushort> types)
    {
        Span<byte> value = Begin(StunAttribute.UnknownAttributes, 2 * types.Length);
        if (value.IsEmpty && types.Length != 0)
        {
            return;
        }
        for (int i = 0; i < types.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(value.Slice(2 * i), types[i]);
        }
    }

    /// <summary>Any attribute whose value is opaque bytes, such as SOFTWARE (RFC 8489 section 14.14:
    /// UTF-8, fewer than 128 characters).</summary>
    public void WriteBytes(ushort type, scoped ReadOnlySpan<byte> bytes)
    {
        Span<byte> value = Begin(type, bytes.Length);
        if (!value.IsEmpty)
        {
            bytes.CopyTo(value);
        }
    }

    /// <summary>RFC 8489 section 14.7: last, over everything before it with the header's length
    /// already counting it.</summary>
    public void WriteFingerprint()
    {
        int covered = _length;
        Span<byte> value = Begin(StunAttribute.Fingerprint, 4);
        if (value.IsEmpty)
        {
            return;
        }
        uint crc = Crc32.Compute(_destination.Slice(0, covered)) ^ StunAttribute.FingerprintXor;
        BinaryPrimitives.WriteUInt32BigEndian(value, crc);
    }

    /// <summary>The message's length, or -1 when something did not fit.</summary>
    public readonly int Finish() => _overflow ? -1 : _length;

    /// <summary>A plain Binding request (RFC 8489 section 6.1, RFC 5780 section 7.2): the header
    /// with the magic cookie and <paramref name="transactionId"/> (12 bytes), CHANGE-REQUEST when
    /// flags are given, FINGERPRINT. Every STUN client of Postern writes its requests here.</summary>
    public static int WriteBindingRequest(Span<byte> destination, ReadOnlySpan<byte> transactionId, uint changeFlags = 0)
    {
        if (transactionId.Length != StunMessage.TransactionLength - 4)
        {
            throw new ArgumentException("a transaction ID is 12 bytes", nameof(transactionId));
        }
        Span<byte> transaction = stackalloc byte[StunMessage.TransactionLength];
        BinaryPrimitives.WriteUInt32BigEndian(transaction, StunMessage.MagicCookie);
        transactionId.CopyTo(transaction.Slice(4));
        var writer = new StunWriter(destination, StunMessageType.BindingRequest, transaction);
        if (changeFlags != 0)
        {
            writer.WriteChangeRequest(changeFlags);
        }
        writer.WriteFingerprint();
        return writer.Finish();
    }
}
