using Postern.Hosting;
using Postern.Interop;

namespace Postern.Aaaa;

/// <summary>One worker's counters: written by its thread only, read by the reporter.</summary>
public sealed class AaaaCounters
{
    public const int MaxErrno = 134;

    private long _answered;
    private readonly long[] _passed = new long[PassReasons.Count];
    private readonly long[] _sendErrors = new long[MaxErrno + 1];

    public long Answered => Volatile.Read(ref _answered);

    public void CountAnswered() => _answered++;

    public void CountPassed(PassReason reason) => _passed[(int)reason]++;

    public void CountSendError(int errno) => _sendErrors[errno is > 0 and < MaxErrno ? errno : MaxErrno]++;

    public long Passed(PassReason reason) => Volatile.Read(ref _passed[(int)reason]);

    public long SendErrors(int errno) => Volatile.Read(ref _sendErrors[errno]);

    /// <summary>The errno label of a send-error slot: its name, "other" for the catch-all.</summary>
    public static string ErrnoLabel(int slot) => slot == MaxErrno ? "other" : Errno.Name(slot);

    /// <summary>Registers answered, passed (by reason) and send-errors (by errno) over the workers.</summary>
    public static void AddTo(MetricSet metrics, Func<IReadOnlyList<AaaaCounters>> workers)
    {
        metrics.AddCounter("answered", "Queries answered with NODATA.", () =>
        {
            long sum = 0;
            foreach (AaaaCounters worker in workers())
            {
                sum += worker.Answered;
            }
            return sum;
        });
        metrics.AddCounterFamily("passed", "Queued packets let through to the server, by reason.", "reason",
            Enumerable.Range(0, PassReasons.Count).Select(i => PassReasons.Name((PassReason)i)).ToArray(),
            reason =>
            {
                long sum = 0;
                foreach (AaaaCounters worker in workers())
                {
                    sum += worker.Passed((PassReason)reason);
                }
                return sum;
            });
        metrics.AddCounterFamily("send-errors", "Replies the raw socket could not send (the query then passed), by errno.", "errno",
            Enumerable.Range(0, MaxErrno + 1).Select(ErrnoLabel).ToArray(),
            slot =>
            {
                long sum = 0;
                foreach (AaaaCounters worker in workers())
                {
                    sum += worker.SendErrors(slot);
                }
                return sum;
            },
            omitZero: true);
    }

    /// <summary>Sums workers' counters into a snapshot.</summary>
    public static AaaaCounterSnapshot Sum(IEnumerable<AaaaCounters> workers)
    {
        long answered = 0;
        var passed = new long[PassReasons.Count];
        var sendErrors = new long[MaxErrno + 1];
        foreach (AaaaCounters worker in workers)
        {
            answered += worker.Answered;
            for (int i = 0; i < passed.Length; i++)
            {
                passed[i] += Volatile.Read(ref worker._passed[i]);
            }
            for (int i = 0; i < sendErrors.Length; i++)
            {
                sendErrors[i] += Volatile.Read(ref worker._sendErrors[i]);
            }
        }
        return new AaaaCounterSnapshot(answered, passed, sendErrors);
    }
}

public sealed record AaaaCounterSnapshot(long Answered, long[] Passed, long[] SendErrors)
{
    public long TotalPassed => Passed.Sum();

    public long TotalSendErrors => SendErrors.Sum();
}
