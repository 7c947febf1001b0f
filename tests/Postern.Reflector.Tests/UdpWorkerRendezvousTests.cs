using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Postern.Wire;

namespace Postern.Reflector.Tests;

/// <summary>Rendezvous through the real worker threads and the shim's batch I/O on loopback, with
/// two listeners: the indication leaves from the listener the first peer used, whichever worker
/// handled the second, and pairing allocates nothing on the worker threads.</summary>
public class UdpWorkerRendezvousTests
{
    private static int Port(string bound) => int.Parse(Regex.Match(bound, @":(\d+)$").Groups[1].Value, CultureInfo.InvariantCulture);

    private static byte[] Request(int token)
    {
        var id = new byte[12];
        Random.Shared.NextBytes(id);
        var value = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(value, token);
        var buffer = new byte[RendezvousRequest.MinimumLength];
        Assert.Equal(buffer.Length, RendezvousRequest.Write(buffer, id, value, default));
        return buffer;
    }

    private static StunResponse Receive(Socket socket, out IPEndPoint from)
    {
        var buffer = new byte[512];
        EndPoint source = new IPEndPoint(IPAddress.Any, 0);
        int length = socket.ReceiveFrom(buffer, ref source);
        from = (IPEndPoint)source;
        Assert.Equal(StunParseStatus.NotRequest, StunResponse.TryParse(buffer.AsSpan(0, length), out StunResponse response));
        return response;
    }

    private static Socket Client()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.ReceiveTimeout = 5000;
        return socket;
    }

    [Fact]
    public void TheIndicationLeavesFromTheFirstPeersListenerAndNothingIsAllocated()
    {
        var options = new ReflectorOptions
        {
            Listen = new[]
            {
                new ListenEndpoint(ListenTransport.Udp, IPAddress.Loopback, 0),
                new ListenEndpoint(ListenTransport.Udp, IPAddress.Loopback, 0),
            },
            Workers = 1,
            RateLimit = new RateLimitOptions { Enabled = false },
        };
        using var server = new ReflectorServer(options);
        server.Start();
        var first = new IPEndPoint(IPAddress.Loopback, Port(server.Bound[0]));
        var second = new IPEndPoint(IPAddress.Loopback, Port(server.Bound[1]));
        Assert.NotEqual(first.Port, second.Port);
        using Socket a = Client();
        using Socket b = Client();

        void Pair(int token)
        {
            a.SendTo(Request(token), first);
            Assert.True(Receive(a, out IPEndPoint waitingFrom).Peer.IsEmpty);
            Assert.Equal(first, waitingFrom);
            b.SendTo(Request(token), second);
            StunResponse paired = Receive(b, out IPEndPoint pairedFrom);
            Assert.Equal(second, pairedFrom);
            Assert.Equal(a.LocalEndPoint, paired.Peer.ToIPEndPoint());
            StunResponse indication = Receive(a, out IPEndPoint indicationFrom);
            Assert.True(indication.IsIndication);
            Assert.Equal(first, indicationFrom); // the listener A used, not the one B's worker serves
            Assert.Equal(b.LocalEndPoint, indication.Peer.ToIPEndPoint());
        }

        for (int token = 0; token < 50; token++)
        {
            Pair(token);
        }
        long before = server.UdpWorkerAllocatedBytes;
        for (int token = 50; token < 550; token++)
        {
            Pair(token);
        }
        Assert.Equal(before, server.UdpWorkerAllocatedBytes);
        Assert.Equal(550, server.Counters.Indications);
        Assert.Equal(550, server.Rendezvous!.Paired);
        Assert.Equal(1100, server.Counters.StunAnswers);
    }
}
