using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Postern.Wire;

namespace Postern.Punch;

/// <summary>STUN Binding transactions from a punch socket (RFC 8489 section 6.2.1): a request,
/// retransmitted with doubling intervals, and the first answer that carries its transaction ID.
/// Datagrams that are no such answer are ignored.</summary>
public static class StunClient
{
    /// <summary>First retransmission after 100 ms, then 200, 400, ... (RFC 8489 suggests an RTO
    /// of 500 ms on the Internet; a punch wants to know sooner, and the requests are tiny).</summary>
    public static readonly TimeSpan InitialTimeout = TimeSpan.FromMilliseconds(100);

    public static byte[] NewTransactionId() => RandomNumberGenerator.GetBytes(12);

    /// <summary>A plain Binding request (<see cref="StunWriter.WriteBindingRequest"/>).</summary>
    public static int WriteBinding(Span<byte> destination, ReadOnlySpan<byte> transactionId, uint changeFlags = 0) =>
        StunWriter.WriteBindingRequest(destination, transactionId, changeFlags);

    /// <summary>One Binding transaction; null when nothing answered within <paramref name="timeout"/>.</summary>
    public static StunResponse? Binding(PunchPort port, IPEndPoint server, TimeSpan timeout, uint changeFlags = 0)
    {
        byte[] transactionId = NewTransactionId();
        byte[] request = new byte[64];
        int length = WriteBinding(request, transactionId, changeFlags);
        return Exchange(port, server, request.AsSpan(0, length), transactionId, timeout, out _);
    }

    /// <summary>Sends <paramref name="request"/> until an answer to <paramref name="transactionId"/>
    /// arrives (from any address: an RFC 5780 CHANGE-REQUEST is answered from another one).</summary>
    public static StunResponse? Exchange(PunchPort port, IPEndPoint server, ReadOnlySpan<byte> request, ReadOnlySpan<byte> transactionId,
        TimeSpan timeout, out TimeSpan roundTrip)
    {
        roundTrip = TimeSpan.Zero;
        byte[] buffer = new byte[2048];
        long start = Stopwatch.GetTimestamp();
        long deadline = start + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        long interval = (long)(InitialTimeout.TotalSeconds * Stopwatch.Frequency);
        long lastSent = start;
        port.Send(request, server);
        var readable = new List<Socket>(1);
        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            if (now >= deadline)
            {
                return null;
            }
            if (now - lastSent >= interval)
            {
                port.Send(request, server);
                lastSent = now;
                interval *= 2;
            }
            long wake = Math.Min(deadline, lastSent + interval);
            readable.Clear();
            readable.Add(port.Socket);
            Socket.Select(readable, null, null, (int)Math.Clamp((wake - now) * 1_000_000 / Stopwatch.Frequency, 1, 1_000_000));
            while (port.TryReceive(buffer, out int length, out _))
            {
                if (StunResponse.TryParse(buffer.AsSpan(0, length), out StunResponse response) == StunParseStatus.NotRequest &&
                    !response.IsIndication && response.Answers(transactionId))
                {
                    roundTrip = TimeSpan.FromSeconds((double)(Stopwatch.GetTimestamp() - start) / Stopwatch.Frequency);
                    return response;
                }
            }
        }
    }
}
