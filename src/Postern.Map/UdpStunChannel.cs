using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Postern.Wire;

namespace Postern.Map;

/// <summary>A UDP socket on the kept port, connected to one STUN server address. Connected, so
/// that it receives only that address's datagrams: a local service may bind the same port (with
/// SO_REUSEADDR or SO_REUSEPORT) and still gets every other datagram, which is the point of
/// keeping the port open.</summary>
internal sealed class UdpStunChannel : IDisposable
{
    /// <summary>RFC 8489 section 6.2.1 retransmits from an RTO of 500 ms, doubling; a keepalive
    /// wants to know sooner and the requests are tiny.</summary>
    private static readonly TimeSpan s_firstRetransmit = TimeSpan.FromMilliseconds(250);

    private readonly byte[] _buffer = new byte[2048];
    private readonly byte[] _request = new byte[64];

    private UdpStunChannel(Socket socket, IPEndPoint remote)
    {
        Socket = socket;
        Remote = remote;
    }

    public Socket Socket { get; }

    public IPEndPoint Remote { get; }

    public IPEndPoint Local => (IPEndPoint)Socket.LocalEndPoint!;

    /// <summary>Binds <paramref name="local"/> (sharing the port: SO_REUSEADDR, which .NET sets
    /// together with SO_REUSEPORT) and connects to <paramref name="remote"/>; sends nothing.</summary>
    public static UdpStunChannel Open(IPEndPoint local, IPEndPoint remote)
    {
        var socket = new Socket(remote.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(local);
            socket.Connect(remote);
            return new UdpStunChannel(socket, remote);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>One Binding transaction sent from this socket; the answer is read from
    /// <paramref name="answerOn"/> (this socket unless given: RFC 5780's CHANGE-REQUEST is answered
    /// from the other address, which only a socket connected there receives). Null when no
    /// well-formed success answer came within <paramref name="timeout"/>.</summary>
    public StunAnswer? Binding(MapCounters counters, TimeSpan timeout, uint changeFlags = 0, UdpStunChannel? answerOn = null)
    {
        answerOn ??= this;
        Span<byte> transactionId = stackalloc byte[12];
        RandomNumberGenerator.Fill(transactionId);
        int length = StunWriter.WriteBindingRequest(_request, transactionId, changeFlags);
        long start = Stopwatch.GetTimestamp();
        long deadline = start + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        long interval = (long)(s_firstRetransmit.TotalSeconds * Stopwatch.Frequency);
        long nextSend = start;
        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            if (now >= deadline)
            {
                return null;
            }
            if (now >= nextSend)
            {
                Send(counters, length);
                nextSend = now + interval;
                interval *= 2;
            }
            long wake = Math.Min(deadline, nextSend);
            int micros = (int)Math.Clamp((wake - now) * 1_000_000 / Stopwatch.Frequency, 1, 1_000_000);
            if (!answerOn.Socket.Poll(micros, SelectMode.SelectRead))
            {
                continue;
            }
            if (answerOn.TryReceive(counters, transactionId) is { } answer)
            {
                return answer;
            }
        }
    }

    private void Send(MapCounters counters, int length)
    {
        try
        {
            Socket.Send(_request.AsSpan(0, length));
        }
        catch (SocketException)
        {
            // A pending ICMP error (ECONNREFUSED) is reported on the next call; the transaction
            // goes on until its deadline.
            counters.AddSocketError();
        }
    }

    /// <summary>Reads what is waiting; the answer to <paramref name="transactionId"/> if it is
    /// among it. Anything else (malformed, an error answer, a stale answer) is counted and dropped.</summary>
    private StunAnswer? TryReceive(MapCounters counters, ReadOnlySpan<byte> transactionId)
    {
        while (Socket.Available > 0 || Socket.Poll(0, SelectMode.SelectRead))
        {
            int length;
            try
            {
                length = Socket.Receive(_buffer);
            }
            catch (SocketException)
            {
                counters.AddSocketError();
                return null;
            }
            if (StunAnswers.Read(_buffer.AsSpan(0, length), transactionId, counters) is { } answer)
            {
                return new StunAnswer(answer.Mapped, answer.Other, Local);
            }
        }
        return null;
    }

    public void Dispose() => Socket.Dispose();
}
