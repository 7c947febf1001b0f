using Postern.Interop;

namespace Postern.Aaaa.Tests;

/// <summary>One worker's counters, and how several workers' sum.</summary>
public class AaaaCountersTests
{
    [Fact]
    public void Counts_AnsweredPassedAndSendErrors()
    {
        var counters = new AaaaCounters();

        counters.CountAnswered();
        counters.CountAnswered();
        counters.CountPassed(PassReason.OtherType);
        counters.CountPassed(PassReason.OtherType);
        counters.CountPassed(PassReason.OtherType);
        counters.CountPassed(PassReason.Response);
        counters.CountSendError(Errno.ENOBUFS);

        Assert.Equal(2, counters.Answered);
        Assert.Equal(3, counters.Passed(PassReason.OtherType));
        Assert.Equal(1, counters.Passed(PassReason.Response));
        Assert.Equal(0, counters.Passed(PassReason.Malformed));
        Assert.Equal(1, counters.SendErrors(Errno.ENOBUFS));
        Assert.Equal(0, counters.SendErrors(Errno.EPERM));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(AaaaCounters.MaxErrno)]
    [InlineData(AaaaCounters.MaxErrno + 1)]
    [InlineData(int.MaxValue)]
    public void SendError_OutOfRange_CountsAsOther(int errno)
    {
        var counters = new AaaaCounters();

        counters.CountSendError(errno);

        Assert.Equal(1, counters.SendErrors(AaaaCounters.MaxErrno));
    }

    [Fact]
    public void SendError_HighestRealErrno_HasItsOwnCounter()
    {
        var counters = new AaaaCounters();

        counters.CountSendError(AaaaCounters.MaxErrno - 1);

        Assert.Equal(1, counters.SendErrors(AaaaCounters.MaxErrno - 1));
        Assert.Equal(0, counters.SendErrors(AaaaCounters.MaxErrno));
    }

    [Fact]
    public void Sum_AddsEveryWorker()
    {
        var first = new AaaaCounters();
        var second = new AaaaCounters();
        first.CountAnswered();
        second.CountAnswered();
        second.CountAnswered();
        first.CountPassed(PassReason.Fragment);
        second.CountPassed(PassReason.Fragment);
        second.CountPassed(PassReason.Dnssec);
        first.CountSendError(Errno.EPERM);
        second.CountSendError(Errno.EPERM);
        second.CountSendError(Errno.ENOBUFS);

        AaaaCounterSnapshot sum = AaaaCounters.Sum([first, second]);

        Assert.Equal(3, sum.Answered);
        Assert.Equal(2, sum.Passed[(int)PassReason.Fragment]);
        Assert.Equal(1, sum.Passed[(int)PassReason.Dnssec]);
        Assert.Equal(3, sum.TotalPassed);
        Assert.Equal(2, sum.SendErrors[Errno.EPERM]);
        Assert.Equal(3, sum.TotalSendErrors);
        Assert.Equal(PassReasons.Count, sum.Passed.Length);
        Assert.Equal(AaaaCounters.MaxErrno + 1, sum.SendErrors.Length);
    }

    [Fact]
    public void Sum_IsASnapshot_LaterCountsDoNotChangeIt()
    {
        var worker = new AaaaCounters();
        worker.CountPassed(PassReason.Opcode);

        AaaaCounterSnapshot before = AaaaCounters.Sum([worker]);
        worker.CountPassed(PassReason.Opcode);
        worker.CountAnswered();

        Assert.Equal(1, before.Passed[(int)PassReason.Opcode]);
        Assert.Equal(0, before.Answered);
        Assert.Equal(2, AaaaCounters.Sum([worker]).Passed[(int)PassReason.Opcode]);
    }

    [Fact]
    public void Sum_OfNoWorkers_IsAllZero()
    {
        AaaaCounterSnapshot sum = AaaaCounters.Sum([]);

        Assert.Equal(0, sum.Answered);
        Assert.Equal(0, sum.TotalPassed);
        Assert.Equal(0, sum.TotalSendErrors);
    }
}
