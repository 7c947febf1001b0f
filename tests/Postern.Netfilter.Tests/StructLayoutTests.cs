using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Postern.Interop;

namespace Postern.Netfilter.Tests;

/// <summary>Each C# mirror has the size and field offsets of its C struct, as the compiler that
/// built the shim laid it out (PosternNative_StructLayout): a field added, moved or resized on one
/// side only fails here, not as a misread packet.</summary>
public sealed unsafe class StructLayoutTests
{
    public static TheoryData<int, string> Mirrors => new()
    {
        { Interop.Interop.LayoutNfqPacket, nameof(NfqPacket) },
        { Interop.Interop.LayoutRawDatagram, nameof(RawDatagram) },
        { Interop.Interop.LayoutUdpDatagram, nameof(UdpDatagram) },
        { Interop.Interop.LayoutNfqCounters, nameof(NfqCounters) },
    };

    [Theory]
    [MemberData(nameof(Mirrors))]
    public void Mirror_has_the_native_size_and_field_offsets(int which, string name)
    {
        (int size, string[] fields) = name switch
        {
            nameof(NfqPacket) => (Unsafe.SizeOf<NfqPacket>(), FieldNames<NfqPacket>()),
            nameof(RawDatagram) => (Unsafe.SizeOf<RawDatagram>(), FieldNames<RawDatagram>()),
            nameof(UdpDatagram) => (Unsafe.SizeOf<UdpDatagram>(), FieldNames<UdpDatagram>()),
            nameof(NfqCounters) => (Unsafe.SizeOf<NfqCounters>(), FieldNames<NfqCounters>()),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
        Type type = typeof(NfqPacket).Assembly.GetType("Postern.Interop." + name)!;

        int* offsets = stackalloc int[32];
        Assert.Equal(0, Interop.Interop.StructLayout(which, out int nativeSize, offsets, 32, out int fieldCount));
        Assert.Equal(nativeSize, size);
        Assert.Equal(fieldCount, fields.Length);
        for (int i = 0; i < fields.Length; i++)
        {
            Assert.True(offsets[i] == (int)Marshal.OffsetOf(type, fields[i]), $"{name}.{fields[i]}: native offset {offsets[i]}, managed {Marshal.OffsetOf(type, fields[i])}");
        }
    }

    [Fact]
    public void An_unknown_struct_is_refused()
    {
        int* offsets = stackalloc int[1];
        Assert.Equal(Errno.EINVAL, Interop.Interop.StructLayout(99, out _, offsets, 1, out _));
    }

    // Instance fields in declaration order (metadata order, which sequential layout follows).
    private static string[] FieldNames<T>() where T : struct =>
        typeof(T).GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic)
            .OrderBy(field => field.MetadataToken)
            .Select(field => field.Name)
            .ToArray();
}
