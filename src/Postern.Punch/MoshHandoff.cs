using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Postern.Wire;

namespace Postern.Punch;

/// <summary>--mosh-server and --mosh-client: what both sides share. The punched socket stays with
/// postern-punch on both sides, because mosh-server cannot share a port (no SO_REUSEPORT) and its
/// key exists only once it runs, so the socket could not both be handed over and carry the key.
/// Instead each side relays, as --forward does, between the punched path and a loopback socket
/// (<see cref="Local"/>) that outlives a re-punch (--keep): both mosh ends keep talking to the same
/// local address, and mosh's roaming copes with the new path. The key travels sealed
/// (<see cref="SealedMessage"/>) under a key derived from the pairing code, never in the clear and
/// never on a command line; it is never logged.</summary>
public abstract class MoshHandoff : IHoldChannel, IDisposable
{
    /// <summary>How often the server side sends the key until it is acknowledged.</summary>
    public static readonly TimeSpan Resend = TimeSpan.FromMilliseconds(250);

    private readonly AesGcm _aes;
    private readonly byte[] _sealed = new byte[SealedMessage.Overhead + SealedMessage.MaxBody];
    private readonly byte[] _body = new byte[SealedMessage.MaxBody];

    protected MoshHandoff(byte[] sealKey, PunchCounters counters)
    {
        _aes = new AesGcm(sealKey, SealedMessage.TagLength);
        Counters = counters;
        Local = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            Local.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        }
        catch
        {
            Local.Dispose();
            throw;
        }
    }

    protected PunchCounters Counters { get; }

    /// <summary>The loopback socket the relay uses towards the local mosh program.</summary>
    public Socket Local { get; }

    public IPEndPoint LocalEndPoint => (IPEndPoint)Local.LocalEndPoint!;

    /// <summary>Where the peer's datagrams go before the local program has sent any (null: nowhere yet).</summary>
    public abstract IPEndPoint? Program { get; }

    /// <summary>Why the hand-off gave up (one sentence), or null.</summary>
    public string? Failure { get; protected set; }

    public abstract bool IsDone { get; }

    /// <summary>A held path starts (the first punch or a re-punch): false, with <see cref="Failure"/>
    /// set, when the hand-off cannot go on.</summary>
    public abstract bool Begin();

    public abstract void Poll(PunchPort port, IPEndPoint peer);

    public abstract void Receive(ReadOnlySpan<byte> datagram, PunchPort port, IPEndPoint peer);

    protected void Send(SealedMessageKind kind, ReadOnlySpan<byte> body, PunchPort port, IPEndPoint peer)
    {
        int length = SealedMessage.Seal(_aes, kind, body, _sealed);
        if (port.Send(_sealed.AsSpan(0, length), peer))
        {
            Counters.SealedSent++;
        }
        else
        {
            Counters.SendErrors++;
        }
    }

    /// <summary>Opens a sealed datagram of the expected kind; anything else is counted as rejected.</summary>
    protected bool TryOpen(ReadOnlySpan<byte> datagram, SealedMessageKind expected, out ReadOnlySpan<byte> body)
    {
        if (SealedMessage.TryOpen(_aes, datagram, _body, out SealedMessageKind kind, out int length) && kind == expected)
        {
            Counters.SealedReceived++;
            body = _body.AsSpan(0, length);
            return true;
        }
        Counters.SealedRejected++;
        body = default;
        return false;
    }

    /// <summary>The environment of a mosh program: ours, with a UTF-8 locale if we have none.</summary>
    protected static void PrepareEnvironment(ProcessStartInfo start) => MoshLocale.Apply(start.Environment);

    protected static long Now => Stopwatch.GetTimestamp();

    protected static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    public virtual void Dispose()
    {
        Local.Dispose();
        _aes.Dispose();
        CryptographicOperations.ZeroMemory(_body);
        GC.SuppressFinalize(this);
    }
}
