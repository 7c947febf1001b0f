using System.Buffers.Binary;
using System.Text;

namespace Postern.Wire.Tests;

/// <summary>Builds DNS messages byte by byte for tests, with no help from Postern.Wire, so that
/// the reader is checked against an independent writer.</summary>
public sealed class DnsMessageBuilder
{
    private readonly List<byte> _bytes = new();

    public int Length => _bytes.Count;

    public DnsMessageBuilder Header(ushort id, ushort flags, ushort questions = 1, ushort answers = 0, ushort authorities = 0, ushort additionals = 0) =>
        UInt16(id).UInt16(flags).UInt16(questions).UInt16(answers).UInt16(authorities).UInt16(additionals);

    /// <summary>Labels from dotted text ("" is the root), uncompressed, ending in the root label.</summary>
    public DnsMessageBuilder Name(string dotted)
    {
        if (dotted.Length != 0)
        {
            foreach (string label in dotted.Split('.'))
            {
                Label(Encoding.Latin1.GetBytes(label));
            }
        }
        return Byte(0);
    }

    public DnsMessageBuilder Label(ReadOnlySpan<byte> label)
    {
        Byte((byte)label.Length);
        return Bytes(label);
    }

    /// <summary>A compression pointer (RFC 1035 section 4.1.4).</summary>
    public DnsMessageBuilder Pointer(int offset) => UInt16((ushort)(0xC000 | offset));

    public DnsMessageBuilder Question(string name, ushort type = DnsType.AAAA, ushort @class = DnsType.ClassIN) =>
        Name(name).UInt16(type).UInt16(@class);

    /// <summary>An OPT pseudo-record (RFC 6891 section 6.1.2) with a root owner.</summary>
    public DnsMessageBuilder Opt(ushort udpPayloadSize = 1232, byte extendedRcode = 0, byte version = 0, bool dnssecOk = false, byte[]? options = null)
    {
        options ??= [];
        Byte(0).UInt16(DnsType.OPT).UInt16(udpPayloadSize);
        Byte(extendedRcode).Byte(version).UInt16((ushort)(dnssecOk ? 0x8000 : 0));
        return UInt16((ushort)options.Length).Bytes(options);
    }

    /// <summary>The fixed part and RDATA of a record whose owner name was already added.</summary>
    public DnsMessageBuilder RecordAfterOwner(ushort type, ushort @class, uint ttl, ReadOnlySpan<byte> data) =>
        UInt16(type).UInt16(@class).UInt32(ttl).UInt16((ushort)data.Length).Bytes(data);

    public DnsMessageBuilder Byte(byte value)
    {
        _bytes.Add(value);
        return this;
    }

    public DnsMessageBuilder Bytes(ReadOnlySpan<byte> value)
    {
        foreach (byte b in value)
        {
            _bytes.Add(b);
        }
        return this;
    }

    public DnsMessageBuilder UInt16(ushort value)
    {
        Span<byte> buffer = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(buffer, value);
        return Bytes(buffer);
    }

    public DnsMessageBuilder UInt32(uint value)
    {
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(buffer, value);
        return Bytes(buffer);
    }

    public byte[] ToArray() => _bytes.ToArray();
}
