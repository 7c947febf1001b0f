using System.Globalization;

namespace Postern.Netfilter;

/// <summary>Stopping the threads that run <see cref="NfqueueLoop"/>s. A worker uses its queue
/// binding and the role's sockets until its last verdict, so they may be freed only after it has
/// ended: it is joined until it has, however long the drain takes. A worker's receive waits at most
/// the poll timeout, so a cancelled loop notices within that; one that is still draining is
/// logged at each patience interval rather than raced.</summary>
public static class QueueWorkers
{
    public static readonly TimeSpan DefaultPatience = TimeSpan.FromSeconds(5);

    /// <summary>Joins every thread until it has ended (the loops must have been cancelled first),
    /// logging each one that is still running after every <paramref name="patience"/>.</summary>
    public static void JoinAll(IEnumerable<Thread> threads, Action<string> log, TimeSpan? patience = null)
    {
        TimeSpan interval = patience ?? DefaultPatience;
        DateTime started = DateTime.UtcNow;
        foreach (Thread thread in threads)
        {
            while (!thread.Join(interval))
            {
                log(string.Create(CultureInfo.InvariantCulture,
                    $"{thread.Name ?? "queue worker"} still draining after {(DateTime.UtcNow - started).TotalSeconds:0} s; waiting for it before the queue is freed"));
            }
        }
    }
}
