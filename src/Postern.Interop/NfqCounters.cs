using System.Runtime.InteropServices;

namespace Postern.Interop;

/// <summary>Mirror of <c>PosternNfqCounters</c> (native/pal_types.h): what the receive call counts,
/// in memory the loop owns; the shim only adds to it.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct NfqCounters
{
    /// <summary>The socket overran (ENOBUFS): the kernel dropped messages, fail-open decided.</summary>
    public long Overruns;

    /// <summary>Messages cut short (MSG_TRUNC, or a length past the datagram).</summary>
    public long Truncated;

    /// <summary>Packet messages whose attributes did not parse.</summary>
    public long Unparseable;

    /// <summary>Cut-short or unparseable packet messages whose packet id could not be read: no
    /// verdict could be given (the kernel decides them when the queue is unbound).</summary>
    public long Unrecovered;

    /// <summary>Packets read while the queue was being configured, accepted at once.</summary>
    public long StartupAccepted;
}
