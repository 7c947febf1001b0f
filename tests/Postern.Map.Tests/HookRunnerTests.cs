using System.Diagnostics;
using System.Net;
using System.Text;
using Postern.Hosting;
using Postern.Map;
using Xunit;

namespace Postern.Map.Tests;

/// <summary>The hook through the real /bin/sh: its arguments, a failure, a hang.</summary>
public sealed class HookRunnerTests : IDisposable
{
    private static readonly Mapping s_mapping = new(MapProtocol.Udp, IPEndPoint.Parse("203.0.113.40:40001"), IPEndPoint.Parse("198.51.100.2:40000"));

    private readonly string _directory = Directory.CreateTempSubdirectory("postern-map-hook-").FullName;
    private readonly MemoryStream _log = new();

    public HookRunnerTests() => Log.Configure("postern-map", _log, journal: false);

    private string Logged => Encoding.UTF8.GetString(_log.ToArray());

    private static void WaitFinished(HookRunner hook, long count, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (hook.Finished < count)
        {
            Assert.True(clock.Elapsed < timeout, "the hook did not finish in time");
            Thread.Sleep(20);
        }
    }

    [Fact]
    public void TheHookGetsNatMapsSixArguments()
    {
        string file = Path.Combine(_directory, "args");
        var counters = new MapCounters();
        using (var hook = new HookRunner($"printf '%s\\n' >'{file}'", TimeSpan.FromSeconds(20), counters))
        {
            hook.Enqueue(s_mapping);
            WaitFinished(hook, 1, TimeSpan.FromSeconds(20));
        }
        Assert.Equal(new[] { "203.0.113.40", "40001", "2001::9c41:cb00:7128", "40000", "udp", "198.51.100.2" },
            File.ReadAllLines(file));
        Assert.Equal(1, counters.HookRuns);
        Assert.Equal(0, counters.HookFailures(HookFailure.ExitStatus));
    }

    [Fact]
    public void AFailingHookIsLoggedWithItsStatusAndCounted()
    {
        var counters = new MapCounters();
        using (var hook = new HookRunner("exit 3; :", TimeSpan.FromSeconds(20), counters))
        {
            hook.Enqueue(s_mapping);
            WaitFinished(hook, 1, TimeSpan.FromSeconds(20));
            hook.Enqueue(s_mapping);
            WaitFinished(hook, 2, TimeSpan.FromSeconds(20));
        }
        Assert.Equal(2, counters.HookFailures(HookFailure.ExitStatus));
        Assert.Contains("hook: exited with status 3", Logged, StringComparison.Ordinal);
    }

    [Fact]
    public void AHangingHookIsKilledAfterItsTimeoutWithItsChildren()
    {
        string pidFile = Path.Combine(_directory, "pid");
        var counters = new MapCounters();
        using (var hook = new HookRunner($"sleep 300 & echo $! >'{pidFile}'; wait; :", TimeSpan.FromSeconds(1), counters))
        {
            var clock = Stopwatch.StartNew();
            hook.Enqueue(s_mapping);
            WaitFinished(hook, 1, TimeSpan.FromSeconds(30));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30));
        }
        Assert.Equal(1, counters.HookFailures(HookFailure.Timeout));
        Assert.Contains("--hook-timeout", Logged, StringComparison.Ordinal);
        int child = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(Directory.Exists($"/proc/{child}") && !File.ReadAllText($"/proc/{child}/stat").Contains(") Z ", StringComparison.Ordinal),
            $"the hook's child {child} still runs");
    }

    [Fact]
    public void StoppingKillsAHookStillRunning()
    {
        var counters = new MapCounters();
        var clock = Stopwatch.StartNew();
        using (var hook = new HookRunner("sleep 300; :", TimeSpan.FromSeconds(600), counters))
        {
            hook.Enqueue(s_mapping);
            var wait = Stopwatch.StartNew();
            while (counters.HookRuns == 0 && wait.Elapsed < TimeSpan.FromSeconds(20))
            {
                Thread.Sleep(20);
            }
            Assert.Equal(1, counters.HookRuns);
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"stop took {clock.Elapsed}");
        Assert.Equal(0, counters.HookFailures(HookFailure.Timeout));
    }

    /// <summary>The role's Stop and its owner's Dispose both end the runner: the second is a no-op.</summary>
    [Fact]
    public void DisposingTwiceIsHarmless()
    {
        var hook = new HookRunner("true", TimeSpan.FromSeconds(5), new MapCounters());
        hook.Dispose();
        hook.Dispose();
        hook.Enqueue(s_mapping);
        Assert.Equal(0, hook.Finished);
    }

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
    }
}
