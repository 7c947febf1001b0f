using System.Diagnostics;
using System.Globalization;
using System.Net;
using Postern.Hosting;
using Postern.Wire;

namespace Postern.Punch;

/// <summary>--mosh-server: once punched, starts <c>mosh-server new -i 127.0.0.1 -p 0</c> (loopback
/// only: the path to it is our relay; port 0: the kernel picks a free one, no race), reads its
/// MOSH CONNECT line and the detached pid, sends the key sealed to the peer every 250 ms until the
/// peer acknowledges it, and relays between the peer and mosh-server's port. The hold ends when
/// mosh-server does (its pid is polled); if postern-punch ends first, mosh-server goes too (nobody
/// could reach it through a relay that is gone).</summary>
public sealed class MoshServerHandoff : MoshHandoff
{
    /// <summary>How long the key is sent without an ack before the hand-off gives up.</summary>
    public static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan PidPoll = TimeSpan.FromMilliseconds(200);

    private readonly string _moshServer;
    private readonly ulong _exchangeId = (ulong)Random.Shared.NextInt64();
    private readonly byte[] _message = new byte[SealedMessage.MaxBody];
    private int _messageLength;
    private int _pid;
    private int _port;
    private bool _acknowledged;
    private long _sendUntil;
    private long _nextSend;
    private long _nextPidCheck;
    private bool _ended;

    public MoshServerHandoff(string moshServer, byte[] sealKey, PunchCounters counters)
        : base(sealKey, counters)
    {
        _moshServer = moshServer;
    }

    /// <summary>The detached mosh-server's pid (0 before it started).</summary>
    public int Pid => _pid;

    public override IPEndPoint? Program => _port == 0 ? null : new IPEndPoint(IPAddress.Loopback, _port);

    public override bool IsDone
    {
        get
        {
            if (Failure is not null || _ended || _pid == 0)
            {
                return Failure is not null || _ended;
            }
            long now = Now;
            if (now >= _nextPidCheck)
            {
                _nextPidCheck = now + Ticks(PidPoll);
                if (!IsRunning(_pid))
                {
                    _ended = true;
                    Log.Info($"mosh-server (pid {_pid}) ended");
                }
            }
            return _ended;
        }
    }

    /// <summary>True when mosh-server ended by itself (the session's shell exited).</summary>
    public bool Ended => _ended;

    public override bool Begin()
    {
        if (_pid == 0 && !StartServer())
        {
            return false;
        }
        // Each held path (a re-punch too) sends the key until the peer says it has it.
        _acknowledged = false;
        _sendUntil = Now + Ticks(AckTimeout);
        _nextSend = 0;
        return true;
    }

    private bool StartServer()
    {
        var start = new ProcessStartInfo(_moshServer)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in new[] { "new", "-i", "127.0.0.1", "-p", "0" })
        {
            start.ArgumentList.Add(argument);
        }
        PrepareEnvironment(start);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Failure = $"mosh-server did not start: {e.Message}";
            return false;
        }
        using (process)
        {
            return Started(process);
        }
    }

    /// <summary>Reads what the started mosh-server printed, and takes over its detached process.</summary>
    private bool Started(Process process)
    {
        process.StandardInput.Close();
        // The started process prints and exits; the detached one has its output on /dev/null, so
        // both streams end within moments.
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(StartTimeout) || !Task.WaitAll(new Task[] { stdout, stderr }, StartTimeout))
        {
            try
            {
                process.Kill();
            }
            catch (InvalidOperationException)
            {
            }
            Failure = $"mosh-server did not detach within {StartTimeout.TotalSeconds:0} s";
            return false;
        }
        bool detached = MoshServerOutput.TryParseDetachedPid(stderr.Result, out int pid);
        if (process.ExitCode != 0 || !MoshServerOutput.TryParseConnect(stdout.Result, out int port, out string key) || !detached)
        {
            if (detached)
            {
                Terminate(pid);
            }
            string said = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
            Failure = $"mosh-server did not start (status {process.ExitCode}): {(said.Length > 0 ? said : "no MOSH CONNECT line")}";
            return false;
        }
        _pid = pid;
        _port = port;
        _messageLength = new MoshKeyMessage(_exchangeId, port, key).Write(_message);
        Local.Connect(new IPEndPoint(IPAddress.Loopback, port)); // only mosh-server's datagrams come back in
        Log.Info($"mosh-server: pid {pid}, listening on 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}, relayed from {Endpoints.Format(LocalEndPoint)}");
        return true;
    }

    public override void Poll(PunchPort port, IPEndPoint peer)
    {
        if (_acknowledged || _pid == 0)
        {
            return;
        }
        long now = Now;
        if (now >= _sendUntil)
        {
            Failure = $"the peer did not acknowledge the mosh key within {AckTimeout.TotalSeconds:0} s (does it run --mosh-client?)";
            return;
        }
        if (now >= _nextSend)
        {
            Send(SealedMessageKind.MoshKey, _message.AsSpan(0, _messageLength), port, peer);
            _nextSend = now + Ticks(Resend);
        }
    }

    public override void Receive(ReadOnlySpan<byte> datagram, PunchPort port, IPEndPoint peer)
    {
        if (!TryOpen(datagram, SealedMessageKind.MoshKeyAck, out ReadOnlySpan<byte> body) ||
            !MoshKeyMessage.TryReadAck(body, out ulong id) || id != _exchangeId)
        {
            return;
        }
        if (!_acknowledged)
        {
            _acknowledged = true;
            Log.Info("mosh: the peer has the session key");
        }
    }

    /// <summary>Alive, and still the mosh-server we started: /proc/PID/stat names it and its state
    /// is not zombie or dead (a zombie stays when nobody reaps it, e.g. a container's init).</summary>
    public static bool IsRunning(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
        int close = stat.LastIndexOf(')');
        return stat.Contains("(mosh-server)", StringComparison.Ordinal) && close + 2 < stat.Length && stat[close + 2] is not ('Z' or 'X' or 'x');
    }

    /// <summary>SIGTERM (mosh-server hangs up its session and exits), then SIGKILL after 5 s.</summary>
    private static void Terminate(int pid)
    {
        Tmds.Linux.LibC.kill(pid, Tmds.Linux.LibC.SIGTERM);
        var clock = Stopwatch.StartNew();
        while (IsRunning(pid) && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            Thread.Sleep(50);
        }
        if (IsRunning(pid))
        {
            Tmds.Linux.LibC.kill(pid, Tmds.Linux.LibC.SIGKILL);
        }
    }

    public override void Dispose()
    {
        if (_pid != 0 && IsRunning(_pid))
        {
            Log.Info($"mosh-server (pid {_pid}): stopping it, nobody can reach it once postern-punch has gone");
            Terminate(_pid);
        }
        base.Dispose();
    }
}
