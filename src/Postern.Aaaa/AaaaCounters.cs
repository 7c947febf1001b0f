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

    /// <summary>"answered=12 passed=40 (other-type=38 response=2) send-errors=0".</summary>
    public string Describe()
    {
        var text = new System.Text.StringBuilder();
        text.Append("answered=").Append(Answered);
        text.Append(" passed=").Append(TotalPassed);
        var reasons = Enumerable.Range(0, Passed.Length).Where(i => Passed[i] != 0)
            .Select(i => PassReasons.Name((PassReason)i) + "=" + Passed[i]);
        string joined = string.Join(' ', reasons);
        if (joined.Length > 0)
        {
            text.Append(" (").Append(joined).Append(')');
        }
        text.Append(" send-errors=").Append(TotalSendErrors);
        var errors = Enumerable.Range(0, SendErrors.Length).Where(i => SendErrors[i] != 0)
            .Select(i => (i == AaaaCounters.MaxErrno ? "other" : Errno.Name(i)) + "=" + SendErrors[i]);
        string errorText = string.Join(' ', errors);
        if (errorText.Length > 0)
        {
            text.Append(" (").Append(errorText).Append(')');
        }
        return text.ToString();
    }
}
