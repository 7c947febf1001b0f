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

    // The C structs' fields, in their C declaration order (native/pal_types.h), which is the
    // order of PosternNative_StructLayout's offsets. The mirror's fields are looked up by name,
    // so a mirror whose fields are in another order, or of another size, fails.
    private static readonly Dictionary<string, string[]> s_nativeFields = new()
    {
        [nameof(NfqPacket)] = ["PacketId", "Mark", "InIfIndex", "OutIfIndex", "PayloadOffset", "PayloadLength", "OriginalLength", "HwProtocol", "Hook", "Padding"],
        [nameof(RawDatagram)] = ["Offset", "Length", "ScopeId", "Error"],
        [nameof(UdpDatagram)] = ["Offset", "Length", "Address", "LocalAddress", "ScopeId", "LocalIfIndex", "Port", "Family", "Flags", "Error"],
        [nameof(NfqCounters)] = ["Overruns", "Truncated", "Unparseable", "Unrecovered", "StartupAccepted"],
    };

    [Theory]
    [MemberData(nameof(Mirrors))]
    public void Mirror_has_the_native_size_and_field_offsets(int which, string name)
    {
        (Type type, int size) = name switch
        {
            nameof(NfqPacket) => (typeof(NfqPacket), Unsafe.SizeOf<NfqPacket>()),
            nameof(RawDatagram) => (typeof(RawDatagram), Unsafe.SizeOf<RawDatagram>()),
            nameof(UdpDatagram) => (typeof(UdpDatagram), Unsafe.SizeOf<UdpDatagram>()),
            nameof(NfqCounters) => (typeof(NfqCounters), Unsafe.SizeOf<NfqCounters>()),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
        string[] fields = s_nativeFields[name];

        int* offsets = stackalloc int[32];
        Assert.Equal(0, Interop.Interop.StructLayout(which, out int nativeSize, offsets, 32, out int fieldCount));
        Assert.Equal(nativeSize, size);
        Assert.Equal(fieldCount, fields.Length);
        // The mirror has exactly the C struct's fields.
        Assert.Equal(fields.Order(StringComparer.Ordinal), InstanceFieldNames(type).Order(StringComparer.Ordinal));
        for (int i = 0; i < fields.Length; i++)
        {
            int managed = (int)Marshal.OffsetOf(type, fields[i]);
            Assert.True(offsets[i] == managed, $"{name}.{fields[i]}: native offset {offsets[i]}, managed {managed}");
        }
    }

    [Fact]
    public void An_unknown_struct_is_refused()
    {
        int* offsets = stackalloc int[1];
        Assert.Equal(Errno.EINVAL, Interop.Interop.StructLayout(99, out _, offsets, 1, out _));
    }

    private static string[] InstanceFieldNames(Type type) =>
        type.GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic)
            .Select(field => field.Name)
            .ToArray();
}
