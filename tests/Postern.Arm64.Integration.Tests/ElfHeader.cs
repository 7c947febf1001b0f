using System.Buffers.Binary;

namespace Postern.Arm64.Integration.Tests;

/// <summary>The fields of an ELF header that say which machine a file is for (System V ABI,
/// "ELF Header"): read from the bytes, so that no host tool's idea of the format gets in the way.</summary>
public readonly record struct ElfHeader(byte Class, byte Data, ushort Type, ushort Machine)
{
    public const byte ElfClass64 = 2;

    public const byte ElfData2Lsb = 1;

    public const ushort EmAarch64 = 183;

    public const ushort EmX86_64 = 62;

    public bool IsAarch64 => Class == ElfClass64 && Data == ElfData2Lsb && Machine == EmAarch64;

    public static ElfHeader? TryRead(ReadOnlySpan<byte> file)
    {
        if (file.Length < 20 || file[0] != 0x7f || file[1] != (byte)'E' || file[2] != (byte)'L' || file[3] != (byte)'F')
        {
            return null;
        }
        // e_type and e_machine follow the 16 bytes of e_ident, little-endian for ELFDATA2LSB.
        return new ElfHeader(file[4], file[5], BinaryPrimitives.ReadUInt16LittleEndian(file[16..]), BinaryPrimitives.ReadUInt16LittleEndian(file[18..]));
    }

    public static ElfHeader? TryRead(string path)
    {
        using FileStream stream = File.OpenRead(path);
        Span<byte> head = stackalloc byte[20];
        int read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return TryRead(head[..read]);
    }
}
