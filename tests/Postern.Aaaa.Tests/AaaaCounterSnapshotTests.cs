using Postern.Interop;

namespace Postern.Aaaa.Tests;

/// <summary>The one-line summary logged every minute and on SIGUSR1.</summary>
public class AaaaCounterSnapshotTests
{
    [Fact]
    public void Describe_NothingCounted_IsThreeZeros() =>
        Assert.Equal("answered=0 passed=0 send-errors=0", AaaaCounters.Sum([new AaaaCounters()]).Describe());

    [Fact]
    public void Describe_ListsNonZeroReasonsInEnumOrder_AndNamedErrnos()
    {
        var counters = new AaaaCounters();
        for (int i = 0; i < 12; i++)
        {
            counters.CountAnswered();
        }
        for (int i = 0; i < 38; i++)
        {
            counters.CountPassed(PassReason.OtherType);
        }
        counters.CountPassed(PassReason.Response);
        counters.CountPassed(PassReason.Response);
        counters.CountSendError(Errno.ENOBUFS);
        counters.CountSendError(Errno.EPERM);
        counters.CountSendError(Errno.EPERM);
        counters.CountSendError(1000);
        counters.CountSendError(60);

        string line = AaaaCounters.Sum([counters]).Describe();

        Assert.Equal(
            "answered=12 passed=40 (response=2 other-type=38) send-errors=5 (EPERM=2 errno60=1 ENOBUFS=1 other=1)",
            line);
    }

    [Fact]
    public void Describe_EveryPassReasonHasItsOwnName()
    {
        var counters = new AaaaCounters();
        foreach (PassReason reason in Enum.GetValues<PassReason>())
        {
            counters.CountPassed(reason);
        }

        string line = AaaaCounters.Sum([counters]).Describe();

        Assert.Equal(
            "answered=0 passed=16 (not-udp=1 fragment=1 truncated=1 malformed=1 response=1 opcode=1 qdcount=1 " +
            "other-records=1 other-type=1 other-class=1 edns-version=1 except-domain=1 except-client=1 dnssec=1 " +
            "ipv6-route=1 send-error=1) send-errors=0",
            line);
        Assert.Equal(PassReasons.Count, Enum.GetValues<PassReason>().Length);
        Assert.DoesNotContain("unknown", line);
    }

    [Fact]
    public void Describe_OfASnapshotBuiltDirectly()
    {
        long[] passed = new long[PassReasons.Count];
        passed[(int)PassReason.Fragment] = 3;
        long[] errors = new long[AaaaCounters.MaxErrno + 1];

        var snapshot = new AaaaCounterSnapshot(7, passed, errors);

        Assert.Equal("answered=7 passed=3 (fragment=3) send-errors=0", snapshot.Describe());
    }
}
