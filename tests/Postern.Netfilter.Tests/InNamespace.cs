using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Postern.Testing;

namespace Postern.Netfilter.Tests;

/// <summary>Runs code on a thread of its own that has joined a test namespace (setns), so that
/// the sockets it opens (a queue's netlink socket, UDP senders) live there, not in this host's
/// namespace. The thread ends with the code, and the namespace's reference with it.</summary>
internal static partial class InNamespace
{
    private const int CLONE_NEWNET = 0x40000000;

    public static void Run(Netns netns, Action action)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                Enter(netns);
                action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        }) { Name = "in-" + netns.Name };
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    /// <summary>Starts <paramref name="action"/> on a background thread in the namespace; it should
    /// return when <paramref name="stop"/> is cancelled.</summary>
    public static Thread Start(Netns netns, Action<CancellationToken> action, CancellationToken stop)
    {
        var thread = new Thread(() =>
        {
            Enter(netns);
            action(stop);
        }) { Name = "in-" + netns.Name, IsBackground = true };
        thread.Start();
        return thread;
    }

    /// <summary>The calling thread's namespace's line for a queue: (waiting, queue dropped), from
    /// /proc/thread-self, which is this thread's namespace's view.</summary>
    public static QueueKernelStats QueueStats(int queueNumber)
    {
        Assert.True(QueueKernelStats.TryRead(queueNumber, out QueueKernelStats stats, "/proc/thread-self/net/netfilter/nfnetlink_queue"),
            $"queue {queueNumber} is not in /proc/thread-self/net/netfilter/nfnetlink_queue");
        return stats;
    }

    private static void Enter(Netns netns)
    {
        using var handle = File.OpenHandle("/var/run/netns/" + netns.Name);
        if (setns((int)handle.DangerousGetHandle(), CLONE_NEWNET) != 0)
        {
            throw new InvalidOperationException($"setns into {netns.Name} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);
}
