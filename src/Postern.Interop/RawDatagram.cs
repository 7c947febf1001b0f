using System.Runtime.InteropServices;

namespace Postern.Interop;

/// <summary>Mirror of <c>PosternRawDatagram</c> (native/pal_types.h): one whole IP packet to send,
/// at <see cref="Offset"/> in the caller's buffer; <see cref="Error"/> comes back 0 or an errno.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct RawDatagram
{
    public int Offset;
    public int Length;
    public uint ScopeId;
    public int Error;
}
