using System.Buffers.Binary;
using Postern.Wire;

namespace Postern.DnsGuard;

/// <summary>What the guard needs of a DNS answer: its ID, its question (as a hash), whether it
/// has an OPT record, and whether an A or AAAA record in its answer section carries a listed
/// address. Reads the whole message with <see cref="DnsReader"/>; a message that does not parse
/// is reported as such and passed untouched by the caller.</summary>
public readonly struct DnsAnswer
{
    public ushort Id { get; init; }
    public ulong Question { get; init; }
    public int QuestionNameOffset { get; init; }
    public bool HasOpt { get; init; }

    /// <summary>Where the first listed address is in the message (its RDATA), or -1.</summary>
    public int ListedOffset { get; init; }
    public int ListedLength { get; init; }

    public bool HasListedAddress => ListedOffset >= 0;

    /// <summary>RFC 1035 section 4.1: header, one question, then answer, authority and additional
    /// records; RFC 6891 section 6.1.1: OPT in the additional section.</summary>
    public static bool TryRead(ReadOnlySpan<byte> message, BogusList bogus, out DnsAnswer answer)
    {
        answer = default;
        if (!DnsHeader.TryRead(message, out DnsHeader header) || !header.IsResponse || header.Opcode != 0 || header.QuestionCount != 1)
        {
            return false;
        }
        var reader = new DnsReader(message);
        if (!reader.TryReadQuestion(out int nameOffset, out ushort type, out ushort @class))
        {
            return false;
        }
        ulong question = QuestionHash(message, nameOffset, reader.Position - 4 - nameOffset, type, @class);
        bool hasOpt = false;
        int listed = -1;
        int listedLength = 0;
        int records = header.AnswerCount + header.AuthorityCount + header.AdditionalCount;
        for (int i = 0; i < records; i++)
        {
            if (!reader.TryReadRecord(out ushort recordType, out ushort recordClass, out _, out int dataOffset, out int dataLength))
            {
                return false;
            }
            if (i < header.AnswerCount)
            {
                bool address = recordClass == 1 &&
                    ((recordType == DnsType.A && dataLength == 4) || (recordType == DnsType.AAAA && dataLength == 16));
                if (address && listed < 0 && bogus.Contains(message.Slice(dataOffset, dataLength)))
                {
                    listed = dataOffset;
                    listedLength = dataLength;
                }
            }
            else if (i >= header.AnswerCount + header.AuthorityCount && recordType == DnsType.OPT)
            {
                hasOpt = true;
            }
        }
        answer = new DnsAnswer
        {
            Id = header.Id,
            Question = question,
            QuestionNameOffset = nameOffset,
            HasOpt = hasOpt,
            ListedOffset = listed,
            ListedLength = listedLength,
        };
        return true;
    }

    /// <summary>FNV-1a over the question name's wire bytes, ASCII letters folded to lower case
    /// (RFC 4343: names compare case-insensitively; 0x20 randomisation changes the case), then
    /// type and class. The question is the first name of the message, so it is never compressed.</summary>
    public static ulong QuestionHash(ReadOnlySpan<byte> message, int nameOffset, int nameLength, ushort type, ushort @class)
    {
        ulong hash = 0xCBF29CE484222325UL;
        foreach (byte raw in message.Slice(nameOffset, nameLength))
        {
            byte b = raw is >= (byte)'A' and <= (byte)'Z' ? (byte)(raw + 32) : raw;
            hash = (hash ^ b) * 0x100000001B3UL;
        }
        hash = (hash ^ (ulong)type) * 0x100000001B3UL;
        hash = (hash ^ (ulong)@class) * 0x100000001B3UL;
        return hash;
    }

    /// <summary>The listed address as text, for a debug line.</summary>
    public string ListedText(ReadOnlySpan<byte> message) =>
        HasListedAddress ? new System.Net.IPAddress(message.Slice(ListedOffset, ListedLength)).ToString() : "";
}
