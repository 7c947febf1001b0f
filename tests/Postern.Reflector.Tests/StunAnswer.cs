using System.Buffers.Binary;
using System.Net;
using Postern.Wire;

namespace Postern.Reflector.Tests;

/// <summary>Reads back an answer's attributes for assertions (test-only; allocation is fine).</summary>
internal sealed class StunAnswer
{
    public StunAnswer(ReadOnlySpan<byte> message)
    {
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

    public ushort Type { get; }
    public byte[] Transaction { get; }
    public List<(ushort Type, byte[] Value)> Attributes { get; } = new();

    public IEnumerable<ushort> Types => Attributes.Select(a => a.Type);

    public byte[] Value(ushort type) => Attributes.Single(a => a.Type == type).Value;

    /// <summary>XOR-MAPPED-ADDRESS decoded (RFC 8489 section 14.2).</summary>
    public (IPAddress Address, ushort Port) XorMapped()
    {
        byte[] value = Value(StunAttribute.XorMappedAddress);
        ushort port = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(value.AsSpan(2)) ^ 0x2112);
        byte[] address = value.AsSpan(4).ToArray();
        for (int i = 0; i < address.Length; i++)
        {
            address[i] ^= Transaction[i];
        }
        return (new IPAddress(address), port);
    }

    public (IPAddress Address, ushort Port) Plain(ushort type)
    {
        byte[] value = Value(type);
        return (new IPAddress(value.AsSpan(4)), BinaryPrimitives.ReadUInt16BigEndian(value.AsSpan(2)));
    }
}
