using Postern.Interop;

namespace Postern.Netfilter;

public sealed class NfqueueException(string message, int errno) : Exception(message)
{
    public int ErrorNumber { get; } = errno;

    public static NfqueueException ForOpen(ushort queue, int errno) => new(errno switch
    {
        Errno.EBUSY => $"queue {queue} is already bound by another process (another instance, or a different program using that queue number); choose another with --queue",
        Errno.EPERM or Errno.EACCES => $"binding queue {queue} needs CAP_NET_ADMIN: run as root or with that capability",
        _ => $"cannot bind queue {queue}: {Errno.Describe(errno)} ({Errno.Name(errno)})",
    }, errno);
}
