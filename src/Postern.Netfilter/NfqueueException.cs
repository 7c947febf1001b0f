using Postern.Interop;

namespace Postern.Netfilter;

public sealed class NfqueueException(string message, int errno) : Exception(message)
{
    public int ErrorNumber { get; } = errno;

    /// <summary>The kernel answers EPERM both for a missing CAP_NET_ADMIN and for a queue that
    /// another socket holds (nfnetlink_queue.c, nfqnl_recv_config): a queue listed in
    /// /proc/net/netfilter/nfnetlink_queue is the second.</summary>
    public static NfqueueException ForOpen(ushort queue, int errno) => new(errno switch
    {
        _ when (errno == Errno.EBUSY || errno == Errno.EPERM) && QueueKernelStats.TryRead(queue, out _) => $"queue {queue} is already bound by another process (another instance, or a different program using that queue number); choose another with --queue",
        _ when errno == Errno.EPERM || errno == Errno.EACCES => $"binding queue {queue} needs CAP_NET_ADMIN: run as root or with that capability",
        _ => $"cannot bind queue {queue}: {Errno.Describe(errno)} ({Errno.Name(errno)})",
    }, errno);
}
