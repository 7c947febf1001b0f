using System.Buffers.Binary;

namespace Postern.Wire;

/// <summary>The fixed 12-byte DNS message header (RFC 1035 section 4.1.1, RFC 2535 for AD/CD).</summary>
public readonly struct DnsHeader
{
    public const int Length = 12;

    public const ushort FlagQR = 0x8000;
    public const ushort OpcodeMask = 0x7800;
    public const ushort FlagAA = 0x0400;
    public const ushort FlagTC = 0x0200;
    public const ushort FlagRD = 0x0100;
    public const ushort FlagRA = 0x0080;
    public const ushort FlagAD = 0x0020;
    public const ushort FlagCD = 0x0010;
    public const ushort RcodeMask = 0x000F;

    public ushort Id { get; init; }
    public ushort Flags { get; init; }
    public ushort QuestionCount { get; init; }
    public ushort AnswerCount { get; init; }
    public ushort AuthorityCount { get; init; }
    public ushort AdditionalCount { get; init; }

    public bool IsResponse => (Flags & FlagQR) != 0;
    public int Opcode => (Flags & OpcodeMask) >> 11;

    public static bool TryRead(ReadOnlySpan<byte> message, out DnsHeader header)
    {
        if (message.Length < Length)
        {
            header = default;
            return false;
        }
        header = new DnsHeader
        {
            Id = BinaryPrimitives.ReadUInt16BigEndian(message),
            Flags = BinaryPrimitives.ReadUInt16BigEndian(message.Slice(2)),
            QuestionCount = BinaryPrimitives.ReadUInt16BigEndian(message.Slice(4)),
            AnswerCount = BinaryPrimitives.ReadUInt16BigEndian(message.Slice(6)),
            AuthorityCount = BinaryPrimitives.ReadUInt16BigEndian(message.Slice(8)),
            AdditionalCount = BinaryPrimitives.ReadUInt16BigEndian(message.Slice(10)),
        };
        return true;
    }

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, Id);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(2), Flags);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(4), QuestionCount);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(6), AnswerCount);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(8), AuthorityCount);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(10), AdditionalCount);
    }
}
