using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Postern.Wire;

/// <summary>What a STUN client needs of one answer or indication, read in one pass without
/// allocating: class, method, transaction, the mapped address (XOR-MAPPED-ADDRESS, else
/// MAPPED-ADDRESS), RFC 5780's RESPONSE-ORIGIN and OTHER-ADDRESS, RFC 3489's SOURCE-ADDRESS and
/// CHANGED-ADDRESS, the ERROR-CODE, and Postern's rendezvous attributes. Of an attribute that comes
/// more than once the first counts (RFC 8489 section 14), except POSTERN-PEER-LOCAL, of which the
/// first four are kept.</summary>
public struct StunResponse
{
    public ushort MessageType;

    /// <summary>No magic cookie: an RFC 3489 answer (its transaction ID is all 16 bytes).</summary>
    public bool IsClassic;

    /// <summary>Bytes 4..19: magic cookie and transaction ID, as the request had them.</summary>
    public Transaction16 Transaction;

    public bool HasFingerprint;

    /// <summary>From XOR-MAPPED-ADDRESS when there is one, else from MAPPED-ADDRESS; empty when
    /// neither came.</summary>
    public StunAddress MappedAddress;
    public bool MappedAddressIsXor;

    public StunAddress ResponseOrigin;  // RFC 5780 section 7.3
    public StunAddress OtherAddress;    // RFC 5780 section 7.4
    public StunAddress SourceAddress;   // RFC 3489 section 11.2.5
    public StunAddress ChangedAddress;  // RFC 3489 section 11.2.3

    /// <summary>ERROR-CODE's number (class times 100 plus number, RFC 8489 section 14.8); 0 when
    /// there is none.</summary>
    public int ErrorCode;

    public bool HasToken;
    public Token16 Token;

    /// <summary>POSTERN-PEER: the peer's public mapping as the reflector saw it; empty when absent.</summary>
    public StunAddress Peer;

    public int PeerLocalCount;
    public AddressList PeerLocals;

    /// <summary>POSTERN-PEER-INFO: what the peer told about itself, passed on by the reflector.</summary>
    public bool HasPeerInfo;
    public Info8 PeerInfo;

    /// <summary>POSTERN-WG-ENDPOINT: the endpoint a DNS-SD lookup found; empty when absent.</summary>
    public StunAddress WgEndpoint;

    /// <summary>POSTERN-WG-TIME: the timestamp of the registration that endpoint came with.</summary>
    public bool HasWgTime;
    public long WgTime;

    [InlineArray(StunAttribute.PosternInfoLength)]
    public struct Info8
    {
        private byte _element0;
    }

    [InlineArray(StunMessage.TransactionLength)]
    public struct Transaction16
    {
        private byte _element0;
    }

    [InlineArray(StunAttribute.PosternTokenLength)]
    public struct Token16
    {
        private byte _element0;
    }

    [InlineArray(StunAttribute.MaxPosternLocals)]
    public struct AddressList
    {
        private StunAddress _element0;
    }

    public readonly int Class => StunMessageType.ClassOf(MessageType);

    public readonly ushort Method => StunMessageType.MethodOf(MessageType);

    public readonly bool IsSuccess => Class == StunMessageType.ClassSuccessResponse;

    public readonly bool IsError => Class == StunMessageType.ClassErrorResponse;

    public readonly bool IsIndication => Class == StunMessageType.ClassIndication;

    /// <summary>The 12-byte transaction ID (after the magic cookie).</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<byte> TransactionId => ((ReadOnlySpan<byte>)Transaction).Slice(4);

    [UnscopedRef]
    public readonly ReadOnlySpan<byte> TokenBytes => HasToken ? (ReadOnlySpan<byte>)Token : default;

    [UnscopedRef]
    public readonly ReadOnlySpan<byte> PeerInfoBytes => HasPeerInfo ? (ReadOnlySpan<byte>)PeerInfo : default;

    [UnscopedRef]
    public readonly ReadOnlySpan<StunAddress> PeerLocalAddresses => ((ReadOnlySpan<StunAddress>)PeerLocals).Slice(0, PeerLocalCount);

    /// <summary>Whether this answers the request with <paramref name="transactionId"/>: 12 bytes
    /// (with the magic cookie) or 16 (all of bytes 4..19, for RFC 3489).</summary>
    public readonly bool Answers(ReadOnlySpan<byte> transactionId) => transactionId.Length switch
    {
        12 => !IsClassic && TransactionId.SequenceEqual(transactionId),
        16 => ((ReadOnlySpan<byte>)Transaction).SequenceEqual(transactionId),
        _ => false,
    };

    /// <summary>Reads a message that is a response or an indication: returns
    /// <see cref="StunParseStatus.NotRequest"/> for one that is well formed (what a client acts
    /// on), <see cref="StunParseStatus.Request"/> for a request (a client ignores it),
    /// <see cref="StunParseStatus.NotStun"/> for anything not framed as STUN, and
    /// <see cref="StunParseStatus.Malformed"/> for attributes running past the end, a FINGERPRINT
    /// that is not last or does not match, or an address, ERROR-CODE or POSTERN-TOKEN of the wrong
    /// form. Attributes after MESSAGE-INTEGRITY (but FINGERPRINT) are ignored (RFC 8489 section
    /// 14.5).</summary>
    public static StunParseStatus TryParse(ReadOnlySpan<byte> message, out StunResponse response)
    {
        response = default;
        if (!StunMessage.IsStunFramed(message))
        {
            return StunParseStatus.NotStun;
        }
        response.MessageType = StunMessage.TypeOf(message);
        response.IsClassic = !StunMessage.HasMagicCookie(message);
        ReadOnlySpan<byte> transaction = message.Slice(StunMessage.TransactionOffset, StunMessage.TransactionLength);
        transaction.CopyTo(response.Transaction);

        var reader = new StunReader(message);
        bool afterIntegrity = false;
        bool haveXorMapped = false;
        while (reader.TryRead(out ushort type, out ReadOnlySpan<byte> value, out int attributeOffset))
        {
            if (response.HasFingerprint)
            {
                return StunParseStatus.Malformed; // RFC 8489 section 14.7: FINGERPRINT is last
            }
            if (type == StunAttribute.Fingerprint)
            {
                if (value.Length != 4 ||
                    BinaryPrimitives.ReadUInt32BigEndian(value) !=
                    (Crc32.Compute(message.Slice(0, attributeOffset)) ^ StunAttribute.FingerprintXor))
                {
                    return StunParseStatus.Malformed;
                }
                response.HasFingerprint = true;
                continue;
            }
            if (type is StunAttribute.MessageIntegrity or StunAttribute.MessageIntegritySha256)
            {
                afterIntegrity = true;
                continue;
            }
            if (afterIntegrity)
            {
                continue;
            }
            if (!ReadAttribute(ref response, type, value, transaction, ref haveXorMapped))
            {
                return StunParseStatus.Malformed;
            }
        }
        if (reader.IsMalformed)
        {
            return StunParseStatus.Malformed;
        }
        return response.Class == StunMessageType.ClassRequest ? StunParseStatus.Request : StunParseStatus.NotRequest;
    }

    /// <summary>False when a known attribute has the wrong form.</summary>
    private static bool ReadAttribute(ref StunResponse response, ushort type, ReadOnlySpan<byte> value,
        ReadOnlySpan<byte> transaction, ref bool haveXorMapped)
    {
        switch (type)
        {
            case StunAttribute.XorMappedAddress:
                if (!StunAddress.TryReadXor(value, transaction, out StunAddress xorMapped))
                {
                    return false;
                }
                if (!haveXorMapped)
                {
                    response.MappedAddress = xorMapped;
                    response.MappedAddressIsXor = true;
                    haveXorMapped = true;
                }
                return true;
            case StunAttribute.MappedAddress:
                if (!StunAddress.TryRead(value, out StunAddress mapped))
                {
                    return false;
                }
                if (response.MappedAddress.IsEmpty)
                {
                    response.MappedAddress = mapped;
                }
                return true;
            case StunAttribute.ResponseOrigin:
                return ReadFirst(ref response.ResponseOrigin, value);
            case StunAttribute.OtherAddress:
                return ReadFirst(ref response.OtherAddress, value);
            case StunAttribute.SourceAddress:
                return ReadFirst(ref response.SourceAddress, value);
            case StunAttribute.ChangedAddress:
                return ReadFirst(ref response.ChangedAddress, value);
            case StunAttribute.ErrorCode:
                // RFC 8489 section 14.8: class 3-6, number 0-99.
                if (value.Length < 4 || (value[2] & 0x07) is < 3 or > 6 || value[3] > 99)
                {
                    return false;
                }
                if (response.ErrorCode == 0)
                {
                    response.ErrorCode = (value[2] & 0x07) * 100 + value[3];
                }
                return true;
            case StunAttribute.PosternToken:
                if (value.Length != StunAttribute.PosternTokenLength)
                {
                    return false;
                }
                if (!response.HasToken)
                {
                    value.CopyTo(response.Token);
                    response.HasToken = true;
                }
                return true;
            case StunAttribute.PosternPeer:
                if (!StunAddress.TryReadXor(value, transaction, out StunAddress peer))
                {
                    return false;
                }
                if (response.Peer.IsEmpty)
                {
                    response.Peer = peer;
                }
                return true;
            case StunAttribute.PosternPeerInfo:
                if (value.Length != StunAttribute.PosternInfoLength)
                {
                    return false;
                }
                if (!response.HasPeerInfo)
                {
                    value.CopyTo(response.PeerInfo);
                    response.HasPeerInfo = true;
                }
                return true;
            case StunAttribute.PosternWgEndpoint:
                if (!StunAddress.TryReadXor(value, transaction, out StunAddress endpoint))
                {
                    return false;
                }
                if (response.WgEndpoint.IsEmpty)
                {
                    response.WgEndpoint = endpoint;
                }
                return true;
            case StunAttribute.PosternWgTime:
                if (value.Length != StunAttribute.PosternWgTimeLength)
                {
                    return false;
                }
                if (!response.HasWgTime)
                {
                    response.WgTime = BinaryPrimitives.ReadInt64BigEndian(value);
                    response.HasWgTime = true;
                }
                return true;
            case StunAttribute.PosternPeerLocal:
                if (!StunAddress.TryReadXor(value, transaction, out StunAddress local))
                {
                    return false;
                }
                if (response.PeerLocalCount < StunAttribute.MaxPosternLocals)
                {
                    response.PeerLocals[response.PeerLocalCount++] = local;
                }
                return true;
            default:
                return true;
        }
    }

    private static bool ReadFirst(ref StunAddress field, ReadOnlySpan<byte> value)
    {
        if (!StunAddress.TryRead(value, out StunAddress address))
        {
            return false;
        }
        if (field.IsEmpty)
        {
            field = address;
        }
        return true;
    }
}
