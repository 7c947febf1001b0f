using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Postern.Hosting;
using Postern.Wire;

namespace Postern.Punch;

/// <summary>--forward: holds the punched socket and relays datagrams between a local UDP port and
/// the peer, so that any UDP program can use the path by talking to 127.0.0.1:PORT. The local
/// side is whoever sent to the listening port last. Probes and keepalives share the socket with
/// the data and are told apart by their MAC; consent (RFC 7675) ends the hold when the peer
/// stops answering. A hand-off's <see cref="IHoldChannel"/> (mosh) adds sealed control messages
/// on the same socket and may end the hold when its program has ended; the local program may also
/// be known from the start (mosh-server's loopback port) instead of learned. A relayed path is
/// moved to a direct one when <see cref="DirectUpgrade"/> finds one and both sides agree: the
/// local socket stays, so the local program's flow goes on.</summary>
public sealed partial class Forwarder
{
    private readonly byte[] _key;
    private readonly ulong _senderId;
    private readonly HoldSettings _settings;
    private readonly PunchCounters _counters;
    private readonly IHoldChannel? _channel;
    private readonly byte[] _out = new byte[PunchProbe.Length];
    private PunchPort _port;
    private IPEndPoint _peer;
    private CandidateKind _kind;
    private DirectUpgrade? _upgrade;
    private Retired? _retired;
    private long _lastConsent;
    private long _nextKeepalive;
    private long _heldSince;

    /// <param name="kind">The held path's kind (for the log).</param>
    /// <param name="upgrade">On a relayed path: the search for a direct one, whose port the
    /// forwarder polls beside the held one; on the peer's agreement the path moves there.</param>
    public Forwarder(PunchPort port, IPEndPoint peer, byte[] key, ulong senderId, HoldSettings settings, PunchCounters counters,
        IHoldChannel? channel = null, CandidateKind kind = CandidateKind.Direct, DirectUpgrade? upgrade = null)
    {
        _channel = channel;
        _port = port;
        _peer = peer;
        _kind = kind;
        _upgrade = upgrade;
        _key = key;
        _senderId = senderId;
        _settings = settings;
        _counters = counters;
    }

    /// <summary>Why the hold ended.</summary>
    public enum End
    {
        Stopped,
        PeerClosed,
        Lost,

        /// <summary>The hand-off's channel said so (its program ended, or it gave up).</summary>
        Finished,
    }

    /// <summary>Forwards until <paramref name="cancel"/> (a signal), the peer's close, or lost
    /// consent, or the channel's end. On a stop or the channel's end, the peer is told (a close
    /// probe) so that it ends at once too. <paramref name="program"/>: where the peer's datagrams
    /// go until the local side has sent one (null: nowhere).</summary>
    public End Run(Socket local, CancellationToken cancel, IPEndPoint? program = null)
    {
        byte[] buffer = new byte[65536];
        EndPoint any = new IPEndPoint(local.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        _heldSince = _lastConsent = Stopwatch.GetTimestamp();
        _nextKeepalive = _lastConsent + Jittered();
        var readable = new List<Socket>(4);
        local.Blocking = false;
        if (_upgrade is not null)
        {
            Log.Info($"on the relay: probing the peer's direct candidates in the background ({_upgrade.Describe()})");
        }

        while (true)
        {
            if (cancel.IsCancellationRequested)
            {
                Send(PunchProbeKind.Close, 0, 0);
                return End.Stopped;
            }
            if (_channel is not null)
            {
                _channel.Poll(_port, _peer);
                if (_channel.IsDone)
                {
                    Send(PunchProbeKind.Close, 0, 0);
                    return End.Finished;
                }
            }
            long now = Stopwatch.GetTimestamp();
            if (now - _lastConsent >= Ticks(_settings.ConsentTimeout))
            {
                Log.Warning($"path to {Endpoints.Format(_peer)} lost: no answer from the peer for {_settings.ConsentTimeout.TotalSeconds:0} s (RFC 7675 consent)");
                return End.Lost;
            }
            if (_port.Relay is { IsClosed: true })
            {
                Log.Warning($"path to {Endpoints.Format(_peer)} lost: the relay closed the association");
                return End.Lost;
            }
            if (now >= _nextKeepalive)
            {
                Send(PunchProbeKind.Keepalive, (ulong)Random.Shared.NextInt64(), 0);
                _counters.KeepalivesSent++;
                _nextKeepalive = now + Jittered();
            }
            _upgrade?.Poll(now);
            if (_retired is { } retired && now >= retired.Until)
            {
                Retire(retired);
            }

            readable.Clear();
            readable.Add(local);
            readable.Add(_port.Socket);
            if (_upgrade is not null && _upgrade.Port != _port)
            {
                readable.Add(_upgrade.Port.Socket);
            }
            if (_retired is not null && _retired.Port != _port)
            {
                readable.Add(_retired.Port.Socket);
            }
            long wake = Math.Min(_nextKeepalive, _lastConsent + Ticks(_settings.ConsentTimeout));
            wake = Math.Min(wake, _upgrade?.NextWake() ?? long.MaxValue);
            wake = Math.Min(wake, _retired?.Until ?? long.MaxValue);
            Socket.Select(readable, null, null, (int)Math.Clamp((wake - now) * 1_000_000 / Stopwatch.Frequency, 1000, 200_000));

            if (readable.Contains(local))
            {
                while (true)
                {
                    int length;
                    try
                    {
                        length = local.ReceiveFrom(buffer, SocketFlags.None, ref any);
                    }
                    catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
                    {
                        break;
                    }
                    catch (SocketException)
                    {
                        continue; // an ICMP error from an earlier datagram to the program
                    }
                    program = Endpoints.Plain((IPEndPoint)any);
                    if (_port.Send(buffer.AsSpan(0, length), _peer))
                    {
                        _counters.ForwardedOut++;
                    }
                    else
                    {
                        _counters.SendErrors++;
                    }
                }
            }
            // Each readable socket drained once per turn; a move while they are read changes
            // which port is the held one, so each is looked up again.
            foreach (Socket socket in readable)
            {
                if (socket == local)
                {
                    continue;
                }
                PunchPort? port = socket == _port.Socket ? _port
                    : _upgrade is not null && socket == _upgrade.Port.Socket ? _upgrade.Port
                    : _retired is not null && socket == _retired.Port.Socket ? _retired.Port
                    : null;
                if (port is null)
                {
                    continue;
                }
                if (ReceiveFrom(port, buffer, local, program) is End end)
                {
                    return end;
                }
            }
        }
    }

    /// <summary>Reads every datagram waiting on <paramref name="port"/> and gives each to the held
    /// path, the upgrade or the retired relay; an End when the peer closed the path.</summary>
    private End? ReceiveFrom(PunchPort port, byte[] buffer, Socket local, IPEndPoint? program)
    {
        while (port.TryReceive(buffer, out int length, out IPEndPoint from))
        {
            ReadOnlySpan<byte> datagram = buffer.AsSpan(0, length);
            if (port == _port && from.Equals(_peer))
            {
                if (FromPeer(datagram, local, program) is End end)
                {
                    return end;
                }
                continue;
            }
            if (_upgrade is not null && port == _upgrade.Port)
            {
                switch (_upgrade.Handle(datagram, from, Stopwatch.GetTimestamp()))
                {
                    case DirectUpgrade.Step.Data:
                        Deliver(datagram, local, program);
                        break;
                    case DirectUpgrade.Step.Switch:
                        Move(_upgrade.Port, _upgrade.Direct!); // what follows on this port is the held path's
                        break;
                }
                continue;
            }
            if (_retired is { } retired && port == retired.Port && from.Equals(retired.Peer) &&
                !PunchProbe.LooksLikeProbe(datagram) && !SealedMessage.LooksSealed(datagram))
            {
                Deliver(datagram, local, program); // in flight over the relay during the move
                continue;
            }
            _counters.Stray++;
        }
        return null;
    }

    /// <summary>One datagram from the held path's peer: a probe of ours or its, a sealed message,
    /// or its program's datagram.</summary>
    private End? FromPeer(ReadOnlySpan<byte> datagram, Socket local, IPEndPoint? program)
    {
        if (PunchProbe.LooksLikeProbe(datagram))
        {
            if (!PunchProbe.TryRead(datagram, _key, out PunchProbe probe, out bool forged))
            {
                if (forged)
                {
                    _counters.ProbesForged++;
                }
                return null;
            }
            if (probe.SenderId == _senderId)
            {
                return null;
            }
            _lastConsent = Stopwatch.GetTimestamp();
            switch (probe.Kind)
            {
                case PunchProbeKind.Probe:
                    _counters.ProbesReceived++;
                    Send(PunchProbeKind.Answer, probe.Nonce, probe.Sequence);
                    break;
                case PunchProbeKind.Keepalive:
                    Send(PunchProbeKind.KeepaliveAnswer, probe.Nonce, probe.Sequence);
                    break;
                case PunchProbeKind.KeepaliveAnswer:
                    _counters.KeepaliveAnswers++;
                    break;
                case PunchProbeKind.Switch:
                    // Moved already (the offer crossed ours, or our answer was lost): say so again.
                    Send(PunchProbeKind.SwitchAnswer, probe.Nonce, probe.Sequence);
                    break;
                case PunchProbeKind.Close:
                    Log.Info($"the peer {Endpoints.Format(_peer)} closed the path");
                    return End.PeerClosed;
            }
            return null;
        }
        if (_channel is not null && SealedMessage.LooksSealed(datagram))
        {
            _channel.Receive(datagram, _port, _peer);
            return null;
        }
        Deliver(datagram, local, program);
        return null;
    }

    private void Deliver(ReadOnlySpan<byte> datagram, Socket local, IPEndPoint? program)
    {
        if (program is null)
        {
            return; // nobody local to give it to yet
        }
        try
        {
            local.SendTo(datagram, SocketFlags.None, program);
            _counters.ForwardedIn++;
        }
        catch (SocketException)
        {
            _counters.SendErrors++;
        }
    }

    /// <summary>Tells the peer the path is closed (a close probe), without holding it: the peer
    /// ends at once instead of after the consent timeout.</summary>
    public void Close() => Send(PunchProbeKind.Close, 0, 0);

    private void Send(PunchProbeKind kind, ulong nonce, ushort sequence)
    {
        var probe = new PunchProbe { Kind = kind, Sequence = sequence, SenderId = _senderId, Nonce = nonce };
        probe.SetObserved(_peer.Address.GetAddressBytes(), (ushort)_peer.Port);
        probe.Write(_out, _key);
        if (!_port.Send(_out, _peer))
        {
            _counters.SendErrors++;
        }
    }

    private long Jittered()
    {
        double seconds = _settings.Keepalive.TotalSeconds * (0.8 + 0.4 * Random.Shared.NextDouble());
        return (long)(seconds * Stopwatch.Frequency);
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
