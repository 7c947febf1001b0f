using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Postern.Wire;

/// <summary>What a Binding server needs to know of one STUN request, read in one pass without
/// copying: whether it is RFC 3489 (no magic cookie), its CHANGE-REQUEST flags, whether it carried
/// a FINGERPRINT, its RESPONSE-PORT, and the comprehension-required attributes it did not
/// understand (RESPONSE-PORT is left to the server: only an RFC 5780 server understands it).</summary>
public struct StunRequest
{
    /// <summary>At most this many unknown attributes are listed back in a 420 answer, so that a
    /// request stuffed with them cannot buy a long reply.</summary>
    public const int MaxUnknown = 4;

    public ushort MessageType;
    public bool IsClassic;
    public bool HasFingerprint;
    public bool HasChangeRequest;
    public uint ChangeFlags;
    public bool HasResponsePort;
    public ushort ResponsePort;
    public int UnknownCount;
    public UnknownList Unknown;

    /// <summary>POSTERN-TOKEN (docs/punch-protocol.md): a rendezvous request. A token of another
    /// length is ignored, as any comprehension-optional attribute the server cannot use.</summary>
    public bool HasToken;
    public StunResponse.Token16 Token;

    /// <summary>The first four well-formed POSTERN-LOCALs (XOR form, decoded).</summary>
    public int LocalCount;
    public StunResponse.AddressList Locals;

    /// <summary>POSTERN-INFO: 8 bytes for the peer, passed on unread.</summary>
    public bool HasInfo;
    public StunResponse.Info8 Info;

    /// <summary>POSTERN-WG-KEY: a DNS-SD registration (with POSTERN-WG-TIME and POSTERN-WG-MAC)
    /// or lookup (alone). Values of another length are ignored.</summary>
    public bool HasWgKey;
    public WireGuardRegister.Key32 WgKey;
    public bool HasWgTime;
    public long WgTime;
    public bool HasWgMac;
    public WireGuardRegister.Key32 WgMac;

    public readonly int Class => StunMessageType.ClassOf(MessageType);

    public readonly ushort Method => StunMessageType.MethodOf(MessageType);

    [System.Diagnostics.CodeAnalysis.UnscopedRef]
    public readonly ReadOnlySpan<StunAddress> LocalAddresses => ((ReadOnlySpan<StunAddress>)Locals).Slice(0, LocalCount);

    [InlineArray(MaxUnknown)]
    public struct UnknownList
    {
        private ushort _element0;
    }

    /// <summary>Reads a message that passed <see cref="StunMessage.IsStunFramed"/>. Returns
    /// <see cref="StunParseStatus.Malformed"/> for anything that a STUN agent must silently
    /// discard: attributes running past the end, a FINGERPRINT that is not last or does not match,
    /// a CHANGE-REQUEST of the wrong size.</summary>
    public static StunParseStatus TryParse(ReadOnlySpan<byte> message, out StunRequest request)
    {
        request = default;
        if (!StunMessage.IsStunFramed(message))
        {
            return StunParseStatus.NotStun;
        }
        request.MessageType = StunMessage.TypeOf(message);
        request.IsClassic = !StunMessage.HasMagicCookie(message);

        var reader = new StunReader(message);
        bool afterIntegrity = false;
        while (reader.TryRead(out ushort type, out ReadOnlySpan<byte> value, out int attributeOffset))
        {
            if (request.HasFingerprint)
            {
                // RFC 8489 section 14.7: FINGERPRINT is the last attribute.
                return StunParseStatus.Malformed;
            }
            switch (type)
            {
                case StunAttribute.Fingerprint:
                    // RFC 8489 section 14.7: CRC-32 of the message up to the attribute, XOR "STUN".
                    if (value.Length != 4 ||
                        BinaryPrimitives.ReadUInt32BigEndian(value) !=
                        (Crc32.Compute(message.Slice(0, attributeOffset)) ^ StunAttribute.FingerprintXor))
                    {
                        return StunParseStatus.Malformed;
                    }
                    request.HasFingerprint = true;
                    continue;
                case StunAttribute.MessageIntegrity:
                case StunAttribute.MessageIntegritySha256:
                    // RFC 8489 section 14.5: attributes after it (but FINGERPRINT) are ignored.
                    afterIntegrity = true;
                    continue;
            }
            if (afterIntegrity)
            {
                continue;
            }
            if (type == StunAttribute.ChangeRequest)
            {
                // RFC 5780 section 7.2: 32 bits, flags in the last byte.
                if (value.Length != 4)
                {
                    return StunParseStatus.Malformed;
                }
                request.HasChangeRequest = true;
                request.ChangeFlags = BinaryPrimitives.ReadUInt32BigEndian(value) &
                                      (StunAttribute.ChangeIpFlag | StunAttribute.ChangePortFlag);
            }
            else if (type == StunAttribute.ResponsePort)
            {
                // RFC 5780 section 7.5: a 16-bit port and 16 bits of padding. Whether it is
                // honoured is the server's choice; the reader only records it.
                if (value.Length != 4)
                {
                    return StunParseStatus.Malformed;
                }
                request.HasResponsePort = true;
                request.ResponsePort = BinaryPrimitives.ReadUInt16BigEndian(value);
            }
            else if (type == StunAttribute.PosternToken)
            {
                if (value.Length == StunAttribute.PosternTokenLength && !request.HasToken)
                {
                    value.CopyTo(request.Token);
                    request.HasToken = true;
                }
            }
            else if (type == StunAttribute.PosternInfo)
            {
                if (value.Length == StunAttribute.PosternInfoLength && !request.HasInfo)
                {
                    value.CopyTo(request.Info);
                    request.HasInfo = true;
                }
            }
            else if (type == StunAttribute.PosternWgKey)
            {
                if (value.Length == StunAttribute.PosternWgKeyLength && !request.HasWgKey)
                {
                    value.CopyTo(request.WgKey);
                    request.HasWgKey = true;
                }
            }
            else if (type == StunAttribute.PosternWgTime)
            {
                if (value.Length == StunAttribute.PosternWgTimeLength && !request.HasWgTime)
                {
                    request.WgTime = BinaryPrimitives.ReadInt64BigEndian(value);
                    request.HasWgTime = true;
                }
            }
            else if (type == StunAttribute.PosternWgMac)
            {
                if (value.Length == StunAttribute.PosternWgMacLength && !request.HasWgMac)
                {
                    value.CopyTo(request.WgMac);
                    request.HasWgMac = true;
                }
            }
            else if (type == StunAttribute.PosternLocal)
            {
                if (request.LocalCount < StunAttribute.MaxPosternLocals &&
                    StunAddress.TryReadXor(value, message.Slice(StunMessage.TransactionOffset, StunMessage.TransactionLength),
                        out StunAddress local))
                {
                    request.Locals[request.LocalCount++] = local;
                }
            }
            else if (!StunAttribute.IsUnderstood(type) && request.UnknownCount < MaxUnknown)
            {
                request.Unknown[request.UnknownCount++] = type;
            }
        }
        if (reader.IsMalformed)
        {
            return StunParseStatus.Malformed;
        }
        return request.Class switch
        {
            StunMessageType.ClassRequest => StunParseStatus.Request,
            _ => StunParseStatus.NotRequest,
        };
    }
}
