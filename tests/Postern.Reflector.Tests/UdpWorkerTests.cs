using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Postern.Reflector.Tests;

/// <summary>The server in this process on loopback (a port the kernel picks), through the native
/// shim's batch I/O: answers come back, and the worker thread allocates nothing per request.</summary>
public class UdpWorkerTests
{
    private static readonly byte[] s_binding = Hex.Parse("000100002112a4420102030405060708090a0b0c");
    private static readonly byte[] s_text = "req\n"u8.ToArray();

    [Fact]
    public void WorkersAnswerAndAllocateNothingPerRequest()
    {
        var options = new ReflectorOptions
        {
            Listen = new[] { new ListenEndpoint(ListenTransport.Udp, IPAddress.Loopback, 0) },
            Workers = 1,
            RateLimit = new RateLimitOptions { Enabled = false },
        };
        using var server = new ReflectorServer(options);
        server.Start();
        int port = int.Parse(Regex.Match(server.Bound[0], @":(\d+)$").Groups[1].Value, CultureInfo.InvariantCulture);

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Connect(IPAddress.Loopback, port);
        socket.ReceiveTimeout = 5000;
        int localPort = ((IPEndPoint)socket.LocalEndPoint!).Port;
        var reply = new byte[256];

        void Exchange(int rounds)
        {
            for (int i = 0; i < rounds; i++)
            {
                // Several in flight, so that batches of more than one come through.
                for (int k = 0; k < 8; k++)
                {
                    socket.Send(k % 2 == 0 ? s_binding : s_text);
                }
                for (int k = 0; k < 8; k++)
                {
                    int length = socket.Receive(reply);
                    Assert.True(length > 0);
                }
            }
        }

        Exchange(250);
        long before = server.UdpWorkerAllocatedBytes;
        Exchange(2500);
        Assert.Equal(before, server.UdpWorkerAllocatedBytes);
        Assert.Equal(2750 * 4, server.Counters.StunAnswers);
        Assert.Equal(2750 * 4, server.Counters.TextAnswers);

        socket.Send(s_text);
        int last = socket.Receive(reply);
        Assert.Equal($"Your address is ('127.0.0.1', {localPort})\n", System.Text.Encoding.ASCII.GetString(reply, 0, last));
    }
}
