using System.Buffers.Binary;

namespace Postern.Wire;

/// <summary>NAT-PMP (RFC 6886) messages: the external-address request and the UDP and TCP
/// mapping requests a client sends to the gateway's port 5351, and their answers. Readers return
/// false (and a status saying why) on anything that is not a well-formed answer to the request
/// that was sent; they never throw.</summary>
public static class NatPmp
{
    public const int Port = 5351;
    public const byte Version = 0;
    public const byte OpExternalAddress = 0;
    public const byte OpMapUdp = 1;
    public const byte OpMapTcp = 2;
    public const byte ResponseBit = 128;
    public const int ExternalAddressRequestLength = 2;
    public const int ExternalAddressResponseLength = 12;
    public const int MapRequestLength = 12;
    public const int MapResponseLength = 16;

    /// <summary>The fields every answer starts with (RFC 6886 section 3.5: version, opcode + 128,
    /// result code, seconds since start of epoch) are 8 bytes; an error answer may stop there.</summary>
    public const int HeaderLength = 8;

    /// <summary>RFC 6886 section 3.2: version 0, opcode 0.</summary>
    public static int WriteExternalAddressRequest(Span<byte> destination)
    {
        if (destination.Length < ExternalAddressRequestLength)
        {
            return -1;
        }
        destination[0] = Version;
        destination[1] = OpExternalAddress;
        return ExternalAddressRequestLength;
    }

    /// <summary>RFC 6886 section 3.3: version, opcode (1 UDP, 2 TCP), reserved, internal port,
    /// suggested external port, requested lifetime in seconds (0 deletes, section 3.4).</summary>
    public static int WriteMapRequest(Span<byte> destination, bool tcp, ushort internalPort, ushort suggestedExternalPort, uint lifetime)
    {
        if (destination.Length < MapRequestLength)
        {
            return -1;
        }
        destination[0] = Version;
        destination[1] = tcp ? OpMapTcp : OpMapUdp;
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(2), 0);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(4), internalPort);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(6), suggestedExternalPort);
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(8), lifetime);
        return MapRequestLength;
    }

    /// <summary>RFC 6886 section 3.2: the external-address answer. On a non-zero result the
    /// address is not read (a server may send the 8-byte header only).</summary>
    public static GatewayParseStatus TryReadExternalAddressResponse(ReadOnlySpan<byte> source, out NatPmpResponse response)
    {
        GatewayParseStatus status = ReadHeader(source, OpExternalAddress, out response);
        if (status != GatewayParseStatus.Ok || response.Result != 0)
        {
            return status;
        }
        if (source.Length < ExternalAddressResponseLength)
        {
            return GatewayParseStatus.Truncated;
        }
        response = response with { ExternalAddress = BinaryPrimitives.ReadUInt32BigEndian(source.Slice(8)) };
        return GatewayParseStatus.Ok;
    }

    /// <summary>RFC 6886 section 3.3: the mapping answer, which must name the internal port asked for.</summary>
    public static GatewayParseStatus TryReadMapResponse(ReadOnlySpan<byte> source, bool tcp, ushort internalPort, out NatPmpResponse response)
    {
        GatewayParseStatus status = ReadHeader(source, tcp ? OpMapTcp : OpMapUdp, out response);
        if (status != GatewayParseStatus.Ok || (response.Result != 0 && source.Length < MapResponseLength))
        {
            return status;
        }
        if (source.Length < MapResponseLength)
        {
            return GatewayParseStatus.Truncated;
        }
        ushort answeredInternal = BinaryPrimitives.ReadUInt16BigEndian(source.Slice(8));
        if (answeredInternal != internalPort)
        {
            return GatewayParseStatus.WrongRequest;
        }
        response = response with
        {
            InternalPort = answeredInternal,
            ExternalPort = BinaryPrimitives.ReadUInt16BigEndian(source.Slice(10)),
            Lifetime = BinaryPrimitives.ReadUInt32BigEndian(source.Slice(12)),
        };
        return GatewayParseStatus.Ok;
    }

    private static GatewayParseStatus ReadHeader(ReadOnlySpan<byte> source, byte opcode, out NatPmpResponse response)
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
        if (source[1] != (byte)(ResponseBit | opcode))
        {
            return GatewayParseStatus.WrongOpcode;
        }
        if (source.Length < HeaderLength)
        {
            return GatewayParseStatus.Truncated;
        }
        response = new NatPmpResponse
        {
            Result = BinaryPrimitives.ReadUInt16BigEndian(source.Slice(2)),
            Epoch = BinaryPrimitives.ReadUInt32BigEndian(source.Slice(4)),
        };
        return GatewayParseStatus.Ok;
    }

    /// <summary>RFC 6886 section 3.5's result codes, for logs.</summary>
    public static string ResultName(ushort result) => result switch
    {
        0 => "success",
        1 => "unsupported-version",
        2 => "not-authorized",
        3 => "network-failure",
        4 => "out-of-resources",
        5 => "unsupported-opcode",
        _ => "result-" + result,
    };
}
