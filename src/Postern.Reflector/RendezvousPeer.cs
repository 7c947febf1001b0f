using Postern.Interop;
using Postern.Wire;

namespace Postern.Reflector;

/// <summary>One side of a rendezvous as the reflector last heard it: its public mapping, the
/// locals it announced, and what the indication to it needs (the length of its request, for the
/// size rule; its transaction; the listener it used and the datagram's addressing, to answer from
/// there to there).</summary>
public struct RendezvousPeer
{
    public StunAddress Mapping;
    public int LocalCount;
    public StunResponse.AddressList Locals;
    public int RequestLength;

    /// <summary>POSTERN-INFO of its latest request, for the other peer (empty when it sent none).</summary>
    public bool HasInfo;
    public StunResponse.Info8 Info;

    [System.Diagnostics.CodeAnalysis.UnscopedRef]
    public readonly ReadOnlySpan<byte> InfoBytes => HasInfo ? (ReadOnlySpan<byte>)Info : default;

    public StunResponse.Transaction16 Transaction;

    /// <summary>The server's index of the UDP listener the request came to; -1 when the request
    /// did not come over UDP (no rendezvous over TCP).</summary>
    public int Listener;

    /// <summary>The request's datagram descriptor (source, local address, interface), reused as
    /// the indication's.</summary>
    public UdpDatagram Route;

    [System.Diagnostics.CodeAnalysis.UnscopedRef]
    public readonly ReadOnlySpan<StunAddress> LocalAddresses => ((ReadOnlySpan<StunAddress>)Locals).Slice(0, LocalCount);
}
