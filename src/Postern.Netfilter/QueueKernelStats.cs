using System.Globalization;

namespace Postern.Netfilter;

/// <summary>A queue's line of /proc/net/netfilter/nfnetlink_queue: packets waiting, dropped by the
/// kernel because the queue was full, and dropped because the netlink socket overran.</summary>
public readonly record struct QueueKernelStats(int QueueNumber, long Waiting, long QueueDropped, long UserDropped)
{
    /// <summary>The last packet id the queue gave out: since the bind, every packet the kernel
    /// put in the queue (a packet dropped for a full queue gets none). With the program's own
    /// count of what it read, it says exactly whether a queued packet went unread.</summary>
    public long IdSequence { get; init; }

    public const string ProcPath = "/proc/net/netfilter/nfnetlink_queue";

    public static bool TryRead(int queueNumber, out QueueKernelStats stats, string path = ProcPath)
    {
        stats = default;
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
        foreach (string line in lines)
        {
            if (TryParse(line, out QueueKernelStats parsed) && parsed.QueueNumber == queueNumber)
            {
                stats = parsed;
                return true;
            }
        }
        return false;
    }

    /// <summary>Fields: queue number, peer port id, queue total, copy mode, copy range, queue
    /// dropped, user dropped, id sequence, 1 (net/netfilter/nfnetlink_queue.c, seq_show).</summary>
    public static bool TryParse(string line, out QueueKernelStats stats)
    {
        stats = default;
        string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 7 ||
            !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out int queue) ||
            !long.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out long waiting) ||
            !long.TryParse(fields[5], NumberStyles.None, CultureInfo.InvariantCulture, out long queueDropped) ||
            !long.TryParse(fields[6], NumberStyles.None, CultureInfo.InvariantCulture, out long userDropped))
        {
            return false;
        }
        long idSequence = 0;
        if (fields.Length >= 8 && !long.TryParse(fields[7], NumberStyles.None, CultureInfo.InvariantCulture, out idSequence))
        {
            return false;
        }
        stats = new QueueKernelStats(queue, waiting, queueDropped, userDropped) { IdSequence = idSequence };
        return true;
    }
}
