using System.Buffers.Binary;

namespace Postern.Wire;

/// <summary>PCP (RFC 6887) MAP requests and answers, over UDP to the server's port 5351 (the
/// port NAT-PMP uses: a NAT-PMP-only server answers a version-2 request with a version-0
/// UNSUPP_VERSION answer, RFC 6887 section 9). Addresses are 16 bytes, IPv4 as ::ffff:a.b.c.d.</summary>
public static class Pcp
{
    public const byte Version = 2;
    public const byte OpMap = 1;
    public const byte ResponseBit = 0x80;
    public const int HeaderLength = 24;
    public const int MapPayloadLength = 36;
    public const int MapLength = HeaderLength + MapPayloadLength;
    public const int NonceLength = 12;
    public const int MaxMessageLength = 1100;
    public const byte ProtocolTcp = 6;
    public const byte ProtocolUdp = 17;

    /// <summary>RFC 6887 section 7.1 (request header) and 11.1 (MAP payload): the client's own
    /// address, the nonce, the protocol, the internal port, a suggested external port and address
    /// (zeros: any). A lifetime of 0 deletes the mapping (section 15).</summary>
    public static int WriteMapRequest(Span<byte> destination, uint lifetime, ReadOnlySpan<byte> clientAddress16, ReadOnlySpan<byte> nonce,
        byte protocol, ushort internalPort, ushort suggestedExternalPort, ReadOnlySpan<byte> suggestedExternalAddress16)
    {
        if (destination.Length < MapLength || clientAddress16.Length != 16 || nonce.Length != NonceLength ||
            suggestedExternalAddress16.Length != 16)
        {
            return -1;
        }
        Span<byte> message = destination.Slice(0, MapLength);
        message.Clear();
        message[0] = Version;
        message[1] = OpMap;
        BinaryPrimitives.WriteUInt32BigEndian(message.Slice(4), lifetime);
        clientAddress16.CopyTo(message.Slice(8));
        nonce.CopyTo(message.Slice(24));
        message[36] = protocol;
        BinaryPrimitives.WriteUInt16BigEndian(message.Slice(40), internalPort);
        BinaryPrimitives.WriteUInt16BigEndian(message.Slice(42), suggestedExternalPort);
        suggestedExternalAddress16.CopyTo(message.Slice(44));
        return MapLength;
    }

    /// <summary>RFC 6887 section 7.2 (response header) and 11.1: an answer to the MAP request with
    /// <paramref name="nonce"/>, <paramref name="protocol"/> and <paramref name="internalPort"/>.
    /// A version-0 datagram is <see cref="GatewayParseStatus.WrongVersion"/>: the server speaks
    /// NAT-PMP only. An error answer carries its result code and may lack the payload.</summary>
    public static GatewayParseStatus TryReadMapResponse(ReadOnlySpan<byte> source, ReadOnlySpan<byte> nonce, byte protocol, ushort internalPort,
        out PcpResponse response)
    {
        response = default;
        if (source.Length < 2)
        {
            return GatewayParseStatus.Truncated;
        }
        if (source[0] != Version)
        {
            return GatewayParseStatus.WrongVersion;
        }
        if (source[1] != (ResponseBit | OpMap))
        {
            return GatewayParseStatus.WrongOpcode;
        }
        if (source.Length < HeaderLength)
        {
            return GatewayParseStatus.Truncated;
        }
        // Section 7: a multiple of 4 octets, at most 1100.
        if (source.Length % 4 != 0 || source.Length > MaxMessageLength)
        {
            return GatewayParseStatus.Malformed;
        }
        response = new PcpResponse
        {
            Result = source[3],
            Lifetime = BinaryPrimitives.ReadUInt32BigEndian(source.Slice(4)),
            Epoch = BinaryPrimitives.ReadUInt32BigEndian(source.Slice(8)),
        };
        if (source.Length < MapLength)
        {
            // Only an error answer may come without the payload it failed on.
            return response.Result != 0 ? GatewayParseStatus.Ok : GatewayParseStatus.Truncated;
        }
        ReadOnlySpan<byte> payload = source.Slice(HeaderLength, MapPayloadLength);
        if (!payload.Slice(0, NonceLength).SequenceEqual(nonce) || payload[12] != protocol ||
            BinaryPrimitives.ReadUInt16BigEndian(payload.Slice(16)) != internalPort)
        {
            return GatewayParseStatus.WrongRequest;
        }
        response = response with
        {
            InternalPort = internalPort,
            ExternalPort = BinaryPrimitives.ReadUInt16BigEndian(payload.Slice(18)),
            ExternalAddress16 = new Address16(payload.Slice(20, 16)),
        };
        return GatewayParseStatus.Ok;
    }

    /// <summary>RFC 6887 section 7.4's result codes, for logs.</summary>
    public static string ResultName(byte result) => result switch
    {
        0 => "SUCCESS",
        1 => "UNSUPP_VERSION",
        2 => "NOT_AUTHORIZED",
        3 => "MALFORMED_REQUEST",
        4 => "UNSUPP_OPCODE",
        5 => "UNSUPP_OPTION",
        6 => "MALFORMED_OPTION",
        7 => "NETWORK_FAILURE",
        8 => "NO_RESOURCES",
        9 => "UNSUPP_PROTOCOL",
        10 => "USER_EX_QUOTA",
        11 => "CANNOT_PROVIDE_EXTERNAL",
        12 => "ADDRESS_MISMATCH",
        13 => "EXCESSIVE_REMOTE_PEERS",
        _ => "RESULT_" + result,
    };

    /// <summary>Section 7.4: a result the client may retry later (the rest are long-term).</summary>
    public static bool IsShortTermError(byte result) => result is 7 or 8 or 10 or 13;
}
