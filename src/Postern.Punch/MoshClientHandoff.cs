using System.Diagnostics;
using System.Globalization;
using System.Net;
using Postern.Hosting;
using Postern.Wire;

namespace Postern.Punch;

/// <summary>--mosh-client: waits on the held path for the sealed key, acknowledges every copy
/// (an ack can be lost), and on the first runs the stock <c>mosh-client 127.0.0.1 PORT</c> with
/// MOSH_KEY in its environment only (not on its command line, which every user can read in ps)
/// and the terminal inherited. mosh-client cannot choose its source port, so it talks to
/// <see cref="MoshHandoff.Local"/>, which the relay forwards over the punched socket. The hold
/// ends when mosh-client exits, and postern-punch exits with its status.</summary>
public sealed class MoshClientHandoff : MoshHandoff
{
    /// <summary>How long a held path waits for the key before giving up.</summary>
    public static readonly TimeSpan KeyTimeout = TimeSpan.FromSeconds(30);

    private readonly string _moshClient;
    private readonly byte[] _ack = new byte[MoshKeyMessage.AckLength];
    private Process? _process;
    private long _waitUntil;

    public MoshClientHandoff(string moshClient, byte[] sealKey, PunchCounters counters)
        : base(sealKey, counters)
    {
        _moshClient = moshClient;
    }

    /// <summary>mosh-client learns nothing of the path; the relay learns its port when it sends.</summary>
    public override IPEndPoint? Program => null;

    /// <summary>mosh-client has been started.</summary>
    public bool Started => _process is not null;

    public bool HasExited => _process is { HasExited: true };

    public override bool IsDone => Failure is not null || HasExited;

    public override bool Begin()
    {
        _waitUntil = Now + Ticks(KeyTimeout);
        return true;
    }

    public override void Poll(PunchPort port, IPEndPoint peer)
    {
        if (_process is null && Now >= _waitUntil)
        {
            Failure = $"no mosh key from the peer within {KeyTimeout.TotalSeconds:0} s (does it run --mosh-server?)";
        }
    }

    public override void Receive(ReadOnlySpan<byte> datagram, PunchPort port, IPEndPoint peer)
    {
        if (!TryOpen(datagram, SealedMessageKind.MoshKey, out ReadOnlySpan<byte> body) || !MoshKeyMessage.TryRead(body, out MoshKeyMessage message))
        {
            return;
        }
        MoshKeyMessage.WriteAck(message.Id, _ack);
        Send(SealedMessageKind.MoshKeyAck, _ack, port, peer);
        if (_process is null && Failure is null)
        {
            StartClient(message);
        }
    }

    private void StartClient(MoshKeyMessage message)
    {
        var start = new ProcessStartInfo(_moshClient) { UseShellExecute = false };
        start.ArgumentList.Add("127.0.0.1");
        start.ArgumentList.Add(LocalEndPoint.Port.ToString(CultureInfo.InvariantCulture));
        start.Environment["MOSH_KEY"] = message.Key;
        PrepareEnvironment(start);
        try
        {
            _process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Failure = $"mosh-client did not start: {e.Message}";
            return;
        }
        Log.Info($"mosh-client: pid {_process.Id}, to 127.0.0.1:{LocalEndPoint.Port.ToString(CultureInfo.InvariantCulture)} " +
            $"(relayed to the peer's mosh-server on its 127.0.0.1:{message.Port.ToString(CultureInfo.InvariantCulture)})");
    }

    /// <summary>mosh-client's exit status, once it has ended by itself within
    /// <paramref name="grace"/>; else it is stopped (SIGTERM: it restores the terminal) and null.</summary>
    public int? WaitForExit(TimeSpan grace)
    {
        if (_process is null)
        {
            return null;
        }
        if (_process.WaitForExit(grace))
        {
            _process.WaitForExit();
            return _process.ExitCode;
        }
        Stop();
        return null;
    }

    public int ExitCode => _process!.ExitCode;

    private void Stop()
    {
        if (_process is null || _process.HasExited)
        {
            return;
        }
        Log.Info($"mosh-client (pid {_process.Id}): stopping it");
        Tmds.Linux.LibC.kill(_process.Id, Tmds.Linux.LibC.SIGTERM);
        if (!_process.WaitForExit(TimeSpan.FromSeconds(5)))
        {
            _process.Kill();
            _process.WaitForExit(TimeSpan.FromSeconds(5));
        }
    }

    public override void Dispose()
    {
        Stop();
        _process?.Dispose();
        base.Dispose();
    }
}
