using System.Buffers.Binary;
using System.Net;
using Postern.Wire;

namespace Postern.Reflector.Tests;

/// <summary>Reads back an answer for assertions: the attribute list in order (test-only;
/// allocation is fine), and the addresses through the client's parser, <see cref="StunResponse"/>.</summary>
internal sealed class StunAnswer
{
    public StunAnswer(ReadOnlySpan<byte> message)
    {
        Assert.Equal(StunParseStatus.NotRequest, StunResponse.TryParse(message, out StunResponse parsed));
        Parsed = parsed;
        Type = BinaryPrimitives.ReadUInt16BigEndian(message);
        Transaction = message.Slice(4, 16).ToArray();
        var reader = new StunReader(message);
        while (reader.TryRead(out ushort type, out ReadOnlySpan<byte> value, out _))
        {
            Attributes.Add((type, value.ToArray()));
        }
        Assert.True(reader.IsAtEnd, "the answer's attributes are well formed");
        Assert.Equal(message.Length - 20, BinaryPrimitives.ReadUInt16BigEndian(message.Slice(2)));
    }

    public StunResponse Parsed { get; }
    public ushort Type { get; }
    public byte[] Transaction { get; }
    public List<(ushort Type, byte[] Value)> Attributes { get; } = new();

    public IEnumerable<ushort> Types => Attributes.Select(a => a.Type);

    public byte[] Value(ushort type) => Attributes.Single(a => a.Type == type).Value;

    /// <summary>XOR-MAPPED-ADDRESS decoded (RFC 8489 section 14.2).</summary>
    public (IPAddress Address, ushort Port) XorMapped()
    {
        Assert.True(Parsed.MappedAddressIsXor, "the answer has XOR-MAPPED-ADDRESS");
        return Pair(Parsed.MappedAddress);
    }

    public (IPAddress Address, ushort Port) Plain(ushort type)
    {
        Assert.Single(Attributes, a => a.Type == type);
        return Pair(type switch
        {
            StunAttribute.MappedAddress => Parsed.MappedAddressIsXor ? default : Parsed.MappedAddress,
            StunAttribute.ResponseOrigin => Parsed.ResponseOrigin,
            StunAttribute.OtherAddress => Parsed.OtherAddress,
            StunAttribute.SourceAddress => Parsed.SourceAddress,
            StunAttribute.ChangedAddress => Parsed.ChangedAddress,
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        });
    }

    private static (IPAddress Address, ushort Port) Pair(StunAddress address)
    {
        Assert.False(address.IsEmpty, "the address is there");
        IPEndPoint endpoint = address.ToIPEndPoint();
        return (endpoint.Address, (ushort)endpoint.Port);
    }
}
