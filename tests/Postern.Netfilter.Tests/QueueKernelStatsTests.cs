namespace Postern.Netfilter.Tests;

/// <summary>Reading a queue's drop counters from /proc/net/netfilter/nfnetlink_queue.</summary>
public class QueueKernelStatsTests
{
    /// <summary>The file as Linux 6.18 wrote it, in a scratch network namespace: two programs
    /// (libnetfilter_queue, queue length 3, never reading) bound queues 53 and 7, and ten UDP
    /// datagrams went to an NFQUEUE --queue-num 53 rule: 3 wait, 7 were dropped as the queue was
    /// full. Fields: queue, peer port id, waiting, copy mode, copy range, queue dropped, user
    /// dropped, last id, 1.</summary>
    public const string Proc = """
           53  16541     3 2 65531     7     0        3  1
            7  16542     0 2 65531     0     0        0  1
        """;

    /// <summary>The same file just after binding, before any packet.</summary>
    public const string ProcIdle = """
           53  16541     0 2 65531     0     0        0  1
            7  16542     0 2 65531     0     0        0  1
        """;

    [Fact]
    public void TryParse_KernelLine()
    {
        Assert.True(QueueKernelStats.TryParse(Proc.Split('\n')[0], out QueueKernelStats stats));

        Assert.Equal(new QueueKernelStats(53, Waiting: 3, QueueDropped: 7, UserDropped: 0) { IdSequence = 3 }, stats);
    }

    [Fact]
    public void TryParse_IdleLine()
    {
        Assert.True(QueueKernelStats.TryParse(ProcIdle.Split('\n')[1], out QueueKernelStats stats));

        Assert.Equal(new QueueKernelStats(7, 0, 0, 0), stats);
    }

    [Fact]
    public void TryParse_UserDropped_IsTheSeventhField_AndTheLastIdTheEighth()
    {
        Assert.True(QueueKernelStats.TryParse("   53  12345     0 2 65531     0     4       10  1", out QueueKernelStats stats));

        Assert.Equal(new QueueKernelStats(53, 0, 0, 4) { IdSequence = 10 }, stats);
    }

    [Fact]
    public void TryParse_LargeCounters()
    {
        Assert.True(QueueKernelStats.TryParse("65535 1 4294967295 2 65531 4294967295 4294967295 4294967295 1", out QueueKernelStats stats));

        Assert.Equal(new QueueKernelStats(65535, 4294967295, 4294967295, 4294967295) { IdSequence = 4294967295 }, stats);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("garbage")]
    [InlineData("53 16541 3 2 65531 7")]
    [InlineData("x 16541 3 2 65531 7 0 3 1")]
    [InlineData("53 16541 three 2 65531 7 0 3 1")]
    [InlineData("53 16541 3 2 65531 -7 0 3 1")]
    [InlineData("53 16541 3 2 65531 7 0x1 3 1")]
    [InlineData("53 16541 3 2 65531 7 0 three 1")]
    [InlineData("-53 16541 3 2 65531 7 0 3 1")]
    [InlineData("53 16541 3 2 65531 99999999999999999999 0 3 1")]
    public void TryParse_Garbage_IsFalseAndDefault(string line)
    {
        Assert.False(QueueKernelStats.TryParse(line, out QueueKernelStats stats));
        Assert.Equal(default, stats);
    }

    [Fact]
    public void TryRead_FindsTheQueueAskedFor()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, Proc + "\n");

            Assert.True(QueueKernelStats.TryRead(53, out QueueKernelStats q53, path));
            Assert.True(QueueKernelStats.TryRead(7, out QueueKernelStats q7, path));
            Assert.False(QueueKernelStats.TryRead(8, out QueueKernelStats q8, path));

            Assert.Equal(7, q53.QueueDropped);
            Assert.Equal(7, q7.QueueNumber);
            Assert.Equal(0, q7.QueueDropped);
            Assert.Equal(default, q8);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void TryRead_NoSuchFile_IsFalse()
    {
        string path = Path.Combine(Path.GetTempPath(), "postern-no-such-dir-" + Guid.NewGuid().ToString("N"), "nfnetlink_queue");

        Assert.False(QueueKernelStats.TryRead(53, out _, path));
    }
}
