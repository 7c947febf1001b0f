using System.Text;

namespace Postern.Hosting.Tests;

/// <summary>The logger writes to a process-wide stream; these tests swap it, so they run one at a time.</summary>
[Collection(nameof(LogCollection))]
public sealed class LogTests : IDisposable
{
    private readonly MemoryStream _output = new();

    public LogTests() => Log.Configure("postern-test", _output, journal: false);

    private string Written => Encoding.UTF8.GetString(_output.ToArray());

    [Fact]
    public void Plain_StartsWithTheProgramName_OneLinePerEvent()
    {
        Log.Info("ready");
        Log.Error("--queue: 'x' is not a number");

        Assert.Equal("postern-test: ready\npostern-test: --queue: 'x' is not a number\n", Written);
    }

    [Fact]
    public void Journal_PrefixesEachLevelWithItsPriority()
    {
        Log.Configure("postern-test", _output, journal: true);
        Log.Error("e");
        Log.Warning("w");
        Log.Notice("n");
        Log.Info("i");
        Log.Debug("d");

        Assert.Equal("<3>e\n<4>w\n<5>n\n<6>i\n<7>d\n", Written);
    }

    [Fact]
    public void LineBreaksInsideAMessage_AreFolded_SoOneEventStaysOneLine()
    {
        Log.Info("first\nsecond\r\nthird");

        Assert.Equal("postern-test: first second  third\n", Written);
    }

    [Fact]
    public void Interpolated_FormatsInvariantly()
    {
        double ratio = 0.5;
        Log.Info($"queue {53}: ratio {ratio} at {new DateTime(2026, 12, 1, 8, 0, 0, DateTimeKind.Utc):yyyy-MM-dd}");

        Assert.Equal("postern-test: queue 53: ratio 0.5 at 2026-12-01\n", Written);
    }

    [Fact]
    public void LongMessage_IsWrittenWhole()
    {
        string message = new('x', 20_000);
        Log.Info($"{message}!");

        Assert.Equal("postern-test: " + message + "!\n", Written);
    }

    [Fact]
    public void Utf8_IsKept()
    {
        Log.Info("Größe ✓");

        Assert.Equal("postern-test: Größe ✓\n", Written);
    }

    [Fact]
    public void InterpolatedLine_AllocatesNothing_InSteadyState()
    {
        var sink = new DiscardStream();
        Log.Configure("postern-test", sink, journal: true);
        int port = 3478;
        long count = 12345;
        // Under the JIT the first calls run unoptimized code that boxes the formatted values;
        // steady state is what the optimized code does once tiering has caught up (the AOT
        // binaries are optimized from the start).
        long allocated = -1;
        for (int round = 0; round < 20 && allocated != 0; round++)
        {
            for (int i = 0; i < 200; i++)
            {
                Log.Info($"udp:{port}: {count} requests, {i} batches");
            }
            Thread.Sleep(100);
            sink.Lines = 0;
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++)
            {
                Log.Info($"udp:{port}: {count} requests, {i} batches");
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.Equal(1000, sink.Lines);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void ConcurrentWriters_NeverInterleaveWithinALine()
    {
        var threads = new Thread[4];
        for (int t = 0; t < threads.Length; t++)
        {
            int id = t;
            threads[t] = new Thread(() =>
            {
                for (int i = 0; i < 500; i++)
                {
                    Log.Info($"thread {id} line {i} " + new string((char)('a' + id), 40));
                }
            });
            threads[t].Start();
        }
        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        string[] lines = Written.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2000, lines.Length);
        Assert.All(lines, line => Assert.Matches(@"^postern-test: thread (\d) line \d+ ([a-d])\2{39}$", line));
    }

    public void Dispose() => Log.Configure("postern-test", Stream.Null, journal: false);

    private sealed class DiscardStream : Stream
    {
        public int Lines { get; set; }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => 0;
        public override long Position { get => 0; set { } }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer) => Lines += buffer.Count((byte)'\n');
    }
}

[CollectionDefinition(nameof(LogCollection), DisableParallelization = true)]
public sealed class LogCollection
{
}
