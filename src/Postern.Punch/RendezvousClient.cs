using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Postern.Hosting;
using Postern.Wire;

namespace Postern.Punch;

/// <summary>The peer's side of rendezvous (docs/punch-protocol.md): a request with the token
/// every second until the reflector answers with the peer, or sends the indication that the
/// peer has arrived.</summary>
public static class RendezvousClient
{
    private static readonly TimeSpan s_repeat = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_firstRetransmit = TimeSpan.FromMilliseconds(100);

    public static RendezvousResult Pair(PunchPort port, IPEndPoint server, byte[] token, IReadOnlyList<IPEndPoint> locals, PeerInfo info,
        TimeSpan wait, CancellationToken cancel)
    {
        var stunLocals = new StunAddress[Math.Min(locals.Count, StunAttribute.MaxPosternLocals)];
        for (int i = 0; i < stunLocals.Length; i++)
        {
            stunLocals[i] = StunAddress.FromIPEndPoint(locals[i]);
        }
        Span<byte> infoBytes = stackalloc byte[PeerInfo.Length];
        info.Write(infoBytes);
        byte[] request = new byte[512];
        byte[] buffer = new byte[2048];
        var transactions = new List<byte[]>();
        long start = Stopwatch.GetTimestamp();
        long deadline = start + Ticks(wait);
        long firstSent = 0;
        long nextSend = start;
        long interval = Ticks(s_firstRetransmit);
        TimeSpan serverRoundTrip = TimeSpan.Zero;
        bool registered = false;
        bool waited = false;
        var readable = new List<Socket>(1);
        int length = 0;

        while (!cancel.IsCancellationRequested)
        {
            long now = Stopwatch.GetTimestamp();
            if (now >= deadline)
            {
                throw new TimeoutException(registered
                    ? $"no peer joined with this code within {wait.TotalSeconds:0} s"
                    : $"{Endpoints.Format(server)} did not answer within {wait.TotalSeconds:0} s");
            }
            if (now >= nextSend)
            {
                byte[] transactionId = StunClient.NewTransactionId();
                transactions.Add(transactionId);
                if (transactions.Count > 8)
                {
                    transactions.RemoveAt(0);
                }
                length = RendezvousRequest.Write(request, transactionId, token, stunLocals, infoBytes);
                port.Send(request.AsSpan(0, length), server);
                firstSent = firstSent == 0 ? now : firstSent;
                // Quick retransmissions until the reflector has answered once, then once a second.
                nextSend = now + (registered ? Ticks(s_repeat) : interval);
                interval = Math.Min(interval * 2, Ticks(s_repeat));
            }
            readable.Clear();
            readable.Add(port.Socket);
            Socket.Select(readable, null, null, (int)Math.Clamp((nextSend - now) * 1_000_000 / Stopwatch.Frequency, 1, 1_000_000));
            while (port.TryReceive(buffer, out int received, out IPEndPoint from))
            {
                if (StunResponse.TryParse(buffer.AsSpan(0, received), out StunResponse response) != StunParseStatus.NotRequest)
                {
                    continue;
                }
                bool ours = response.IsIndication
                    ? response.HasToken && response.TokenBytes.SequenceEqual(token)
                    : transactions.Exists(t => response.Answers(t));
                if (!ours)
                {
                    continue;
                }
                if (response.IsError)
                {
                    throw new IOException(response.ErrorCode == 403
                        ? "two other hosts are already paired with this code at the reflector: use a new code"
                        : $"the reflector refused the rendezvous (STUN error {response.ErrorCode})");
                }
                if (!response.HasToken)
                {
                    throw new IOException($"{Endpoints.Format(server)} answers STUN but does no rendezvous (another STUN server, or postern-reflector --no-rendezvous)");
                }
                if (!registered)
                {
                    registered = true;
                    serverRoundTrip = TimeSpan.FromSeconds((double)(Stopwatch.GetTimestamp() - firstSent) / Stopwatch.Frequency);
                    nextSend = Stopwatch.GetTimestamp() + Ticks(s_repeat);
                }
                if (response.Peer.IsEmpty || response.MappedAddress.IsEmpty)
                {
                    waited = true; // registered, waiting for the peer
                    continue;
                }
                var peerLocals = new List<IPEndPoint>();
                foreach (StunAddress local in response.PeerLocalAddresses)
                {
                    peerLocals.Add(local.ToIPEndPoint());
                }
                long end = Stopwatch.GetTimestamp();
                return new RendezvousResult(response.MappedAddress.ToIPEndPoint(), response.Peer.ToIPEndPoint(), peerLocals,
                    PeerInfo.Read(response.PeerInfoBytes), response.IsIndication || waited,
                    serverRoundTrip, TimeSpan.FromSeconds((double)(end - start) / Stopwatch.Frequency));
            }
        }
        throw new OperationCanceledException();
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);
}
