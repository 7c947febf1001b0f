using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Postern.Hosting;

namespace Postern.Map;

/// <summary>Runs --hook on its own thread, so that a slow hook never delays a keepalive: the
/// command through /bin/sh with NATMap's six arguments after it ("$@"), standard input closed,
/// its output where postern-map's goes, killed (with its children) after --hook-timeout. Only
/// the newest mapping waits: one that changed again while the hook ran replaces the older one.
/// A failure is logged with its exit status and counted, never fatal.</summary>
public sealed class HookRunner : IDisposable
{
    private readonly string _command;
    private readonly TimeSpan _timeout;
    private readonly MapCounters _counters;
    private readonly Thread _thread;
    private readonly AutoResetEvent _wake = new(false);
    private readonly object _gate = new();
    private Mapping? _pending;
    private Process? _running;
    private volatile bool _stopping;

    public HookRunner(string command, TimeSpan timeout, MapCounters counters)
    {
        _command = command;
        _timeout = timeout;
        _counters = counters;
        _thread = new Thread(Loop) { IsBackground = true, Name = "map-hook" };
        _thread.Start();
    }

    /// <summary>Hook runs finished (with any outcome), for tests that wait for one.</summary>
    public long Finished => Interlocked.Read(ref _finished);

    private long _finished;

    public void Enqueue(Mapping mapping)
    {
        if (_stopping)
        {
            return;
        }
        lock (_gate)
        {
            _pending = mapping;
        }
        _wake.Set();
    }

    private void Loop()
    {
        while (!_stopping)
        {
            _wake.WaitOne();
            Mapping? next;
            lock (_gate)
            {
                next = _pending;
                _pending = null;
            }
            if (next is not null && !_stopping)
            {
                Run(next);
                Interlocked.Increment(ref _finished);
            }
        }
    }

    /// <summary>One run, start to end (or kill).</summary>
    private void Run(Mapping mapping)
    {
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(_command + " \"$@\"");
        info.ArgumentList.Add("postern-map");
        IReadOnlyList<string> arguments = mapping.HookArguments;
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new Win32Exception("no process");
        }
        catch (Win32Exception e)
        {
            _counters.AddHookFailure(HookFailure.Start);
            Log.Warning($"hook: could not start /bin/sh: {e.Message}");
            return;
        }
        using (process)
        {
            _counters.AddHookRun();
            lock (_gate)
            {
                _running = process;
            }
            process.StandardInput.Close();
            Log.Info($"hook: {_command} {string.Join(' ', arguments)}");
            bool exited = process.WaitForExit(_timeout);
            lock (_gate)
            {
                _running = null;
            }
            if (!exited)
            {
                Kill(process);
                if (_stopping)
                {
                    Log.Warning("hook: killed on stop");
                    return;
                }
                _counters.AddHookFailure(HookFailure.Timeout);
                Log.Warning(string.Create(CultureInfo.InvariantCulture,
                    $"hook: still running after {_timeout.TotalSeconds} s (--hook-timeout); killed"));
                return;
            }
            if (_stopping)
            {
                Log.Warning("hook: ended on stop");
                return;
            }
            if (process.ExitCode != 0)
            {
                _counters.AddHookFailure(HookFailure.ExitStatus);
                Log.Warning(string.Create(CultureInfo.InvariantCulture, $"hook: exited with status {process.ExitCode}"));
                return;
            }
            Log.Info("hook: done");
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // It ended on its own meanwhile.
        }
    }

    /// <summary>Ends the thread; a hook still running is killed. Once: the role's Stop and its
    /// owner's Dispose both call it.</summary>
    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }
        _stopping = true;
        lock (_gate)
        {
            if (_running is { } running)
            {
                Kill(running);
            }
        }
        _wake.Set();
        _thread.Join(TimeSpan.FromSeconds(10));
        _wake.Dispose();
    }
}
