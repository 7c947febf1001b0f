using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Postern.Wire;

namespace Postern.Map;

/// <summary>A TCP connection from the kept port to a STUN server (RFC 8489 section 6.2.2:
/// messages back to back on the stream), kept open: its Binding requests are the keepalive, and
/// the NAT's mapping of the port is the connection's. The port is shared (SO_REUSEADDR and
/// SO_REUSEPORT) so that the local service can listen on it.</summary>
internal sealed class TcpStunChannel : IDisposable
{
    private const int MaxMessage = StunMessage.HeaderLength + 65535;

    private readonly byte[] _buffer = new byte[MaxMessage];
    private readonly byte[] _request = new byte[64];
    private int _have;

    private TcpStunChannel(Socket socket, IPEndPoint remote)
    {
        Socket = socket;
        Remote = remote;
    }

    public Socket Socket { get; }

    public IPEndPoint Remote { get; }

    public IPEndPoint Local => (IPEndPoint)Socket.LocalEndPoint!;

    /// <summary>Connects from <paramref name="local"/>; throws <see cref="SocketException"/> when
    /// it cannot within <paramref name="timeout"/>.</summary>
    public static TcpStunChannel Connect(IPEndPoint local, IPEndPoint remote, TimeSpan timeout)
    {
        var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.NoDelay = true;
            socket.Bind(local);
            Task connect = socket.ConnectAsync(remote);
            try
            {
                if (!connect.Wait(timeout))
                {
                    throw new SocketException((int)SocketError.TimedOut);
                }
            }
            catch (AggregateException e) when (e.InnerException is SocketException inner)
            {
                throw inner;
            }
            return new TcpStunChannel(socket, remote);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>One Binding transaction on the stream: null when no answer came within
    /// <paramref name="timeout"/>; throws <see cref="IOException"/> when the connection is gone
    /// or the stream cannot be STUN any more (a length that frames nothing), after which the
    /// channel is of no use.</summary>
    public StunAnswer? Binding(MapCounters counters, TimeSpan timeout)
    {
        Span<byte> transactionId = stackalloc byte[12];
        RandomNumberGenerator.Fill(transactionId);
        int length = StunWriter.WriteBindingRequest(_request, transactionId);
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        try
        {
            Socket.Send(_request.AsSpan(0, length));
            while (true)
            {
                int framed = _have >= StunMessage.HeaderLength ? StunMessage.FramedLength(_buffer.AsSpan(0, _have)) : 0;
                if (framed < 0)
                {
                    counters.AddMalformed();
                    throw new IOException($"the STUN stream from {Remote} is not STUN any more");
                }
                if (framed > 0 && _have >= framed)
                {
                    (StunAddress Mapped, StunAddress Other)? answer = StunAnswers.Read(_buffer.AsSpan(0, framed), transactionId, counters);
                    _buffer.AsSpan(framed, _have - framed).CopyTo(_buffer);
                    _have -= framed;
                    if (answer is { } found)
                    {
                        return new StunAnswer(found.Mapped, found.Other, Local);
                    }
                    continue;
                }
                long now = Stopwatch.GetTimestamp();
                if (now >= deadline)
                {
                    return null;
                }
                int micros = (int)Math.Clamp((deadline - now) * 1_000_000 / Stopwatch.Frequency, 1, 1_000_000);
                if (!Socket.Poll(micros, SelectMode.SelectRead))
                {
                    continue;
                }
                int read = Socket.Receive(_buffer.AsSpan(_have));
                if (read == 0)
                {
                    throw new IOException($"{Remote} closed the STUN connection");
                }
                _have += read;
            }
        }
        catch (SocketException e)
        {
            counters.AddSocketError();
            throw new IOException($"the STUN connection to {Remote} failed: {e.Message}", e);
        }
    }

    /// <summary>Closes with a reset (linger 0): no TIME_WAIT is left on the kept port's 4-tuple,
    /// so the next check can connect to the same server from the same port at once.</summary>
    public void Dispose()
    {
        try
        {
            Socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
        }
        Socket.Dispose();
    }
}
