using System.Net;

namespace Postern.Punch;

/// <summary>What a hand-off adds to a held path (<see cref="Forwarder"/>): sealed control
/// messages beside the relayed datagrams (the mosh key and its ack), and a say in when the hold
/// ends (the program it serves has ended). The forwarder calls it from its one thread.</summary>
public interface IHoldChannel
{
    /// <summary>Called on every turn of the loop, at most 200 ms apart: time to (re)send.</summary>
    void Poll(PunchPort port, IPEndPoint peer);

    /// <summary>A datagram from the peer that looks sealed (<see cref="Wire.SealedMessage.LooksSealed"/>);
    /// it is never passed to the local program.</summary>
    void Receive(ReadOnlySpan<byte> datagram, PunchPort port, IPEndPoint peer);

    /// <summary>True when the hold should end (<see cref="Forwarder.End.Finished"/>; the peer is told).</summary>
    bool IsDone { get; }
}
