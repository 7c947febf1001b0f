using System.Diagnostics;
using System.Net;
using Postern.Hosting;

namespace Postern.Punch;

/// <summary>The move of a held relayed path to a direct one (<see cref="DirectUpgrade"/>): the
/// held port and peer change, the relayed path is kept for a grace, then its association closed.</summary>
public sealed partial class Forwarder
{
    /// <summary>The relayed path after a move, for <see cref="HoldSettings.RelayGrace"/>: what it
    /// still brings was in flight and goes to the local program.</summary>
    private sealed record Retired(PunchPort Port, IPEndPoint Peer, long Until);

    /// <summary>Both sides agreed: the held path is now (<paramref name="port"/>,
    /// <paramref name="direct"/>); the relayed one is retired for the grace, then closed.</summary>
    private void Move(PunchPort port, IPEndPoint direct)
    {
        long now = Stopwatch.GetTimestamp();
        Log.Notice($"moved off the relay: path {PunchedLine.PathName(CandidateKind.Direct)} to {Endpoints.Format(direct)} " +
            $"(was {PunchedLine.PathName(_kind)} to {Endpoints.Format(_peer)}{(_port.Relay is { } relay ? " via " + Endpoints.Format(relay.UdpEndPoint) : "")}) " +
            $"after {(now - _heldSince) / (double)Stopwatch.Frequency:0.0} s on it");
        _counters.PathSwitches++;
        _retired = new Retired(_port, _peer, now + Ticks(_settings.RelayGrace));
        _port = port;
        _peer = direct;
        _kind = CandidateKind.Direct;
        _upgrade = null;
        _lastConsent = now;
        _nextKeepalive = now + Jittered();
    }

    /// <summary>The grace after a move is over: the relay's association (if this side holds it)
    /// is closed.</summary>
    private void Retire(Retired retired)
    {
        _retired = null;
        if (retired.Port != _port && retired.Port.Relay is { } relay)
        {
            retired.Port.Dispose();
            Log.Info($"relay association at {Endpoints.Format(relay.UdpEndPoint)} closed");
        }
    }
}
