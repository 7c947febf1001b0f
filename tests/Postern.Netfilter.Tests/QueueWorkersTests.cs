namespace Postern.Netfilter.Tests;

/// <summary>A stopping service joins its queue workers until they have ended, however long the
/// drain takes, and only then frees what they use.</summary>
public sealed class QueueWorkersTests
{
    [Fact]
    public void Join_waits_for_a_worker_that_drains_longer_than_the_patience_and_says_so()
    {
        using var done = new ManualResetEventSlim();
        var worker = new Thread(() => { Thread.Sleep(1500); done.Set(); }) { Name = "queue-9", IsBackground = true };
        worker.Start();
        var log = new List<string>();

        QueueWorkers.JoinAll([worker], line => { lock (log) { log.Add(line); } }, TimeSpan.FromMilliseconds(200));

        // Freed now, the worker's queue handle would be in use by no one.
        Assert.False(worker.IsAlive);
        Assert.True(done.IsSet);
        Assert.NotEmpty(log);
        Assert.All(log, line => Assert.StartsWith("queue-9 still draining after ", line, StringComparison.Ordinal));
    }

    [Fact]
    public void Join_of_workers_that_ended_logs_nothing()
    {
        var worker = new Thread(() => { });
        worker.Start();
        var log = new List<string>();
        QueueWorkers.JoinAll([worker], log.Add);
        Assert.Empty(log);
    }
}
