namespace Postern.Wire;

/// <summary>The client's rendezvous request (docs/punch-protocol.md, "Rendezvous", step 1): a
/// Binding request with the magic cookie, POSTERN-TOKEN, up to four POSTERN-LOCALs, PADDING to
/// <see cref="MinimumLength"/> bytes (RFC 5780 section 7.6: room for the answer under the
/// reflector's size rule) and FINGERPRINT.</summary>
public static class RendezvousRequest
{
    /// <summary>Every request is padded to at least this many bytes; with at most four locals it is
    /// exactly this long.</summary>
    public const int MinimumLength = 160;

    private const int FingerprintLength = StunAttribute.HeaderLength + 4;

    /// <summary>Writes the request into <paramref name="destination"/> and returns its length, or
    /// -1 when it does not fit. <paramref name="transactionId"/> is the 12-byte transaction ID
    /// (a new random one per request), <paramref name="token"/> the 16-byte token, and
    /// <paramref name="locals"/> at most <see cref="StunAttribute.MaxPosternLocals"/> addresses.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> transactionId, ReadOnlySpan<byte> token,
        ReadOnlySpan<StunAddress> locals) => Write(destination, transactionId, token, locals, default);

    /// <summary>As above, with POSTERN-INFO (8 bytes, or empty for none) after the locals.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> transactionId, ReadOnlySpan<byte> token,
        ReadOnlySpan<StunAddress> locals, ReadOnlySpan<byte> info)
    {
        if (!info.IsEmpty && info.Length != StunAttribute.PosternInfoLength)
        {
            throw new ArgumentException("POSTERN-INFO is 8 bytes", nameof(info));
        }
        if (transactionId.Length != StunMessage.TransactionLength - 4)
        {
            throw new ArgumentException("a transaction ID is 12 bytes", nameof(transactionId));
        }
        if (token.Length != StunAttribute.PosternTokenLength)
        {
            throw new ArgumentException("a rendezvous token is 16 bytes", nameof(token));
        }
        if (locals.Length > StunAttribute.MaxPosternLocals)
        {
            throw new ArgumentException("at most 4 local addresses are announced", nameof(locals));
        }
        Span<byte> transaction = stackalloc byte[StunMessage.TransactionLength];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(transaction, StunMessage.MagicCookie);
        transactionId.CopyTo(transaction.Slice(4));

        var writer = new StunWriter(destination, StunMessageType.BindingRequest, transaction);
        writer.WriteBytes(StunAttribute.PosternToken, token);
        foreach (StunAddress local in locals)
        {
            if (local.IsEmpty)
            {
                throw new ArgumentException("a local address is IPv4 or IPv6", nameof(locals));
            }
            writer.WriteXorAddress(StunAttribute.PosternLocal, in local);
        }
        if (!info.IsEmpty)
        {
            writer.WriteBytes(StunAttribute.PosternInfo, info);
        }
        writer.WritePadding(MinimumLength - FingerprintLength);
        writer.WriteFingerprint();
        return writer.Finish();
    }
}
