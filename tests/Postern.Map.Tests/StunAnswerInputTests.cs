using System.Net;
using System.Net.Sockets;
using Postern.Map;
using Postern.Wire;
using Xunit;

namespace Postern.Map.Tests;

/// <summary>Bad answers on loopback: a fake server sends junk, a truncated message, an answer to
/// another transaction, a request, an error answer and a success without an address before (or
/// instead of) the real answer; the client takes only the real one and counts the rest.</summary>
public sealed class StunAnswerInputTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(3);

    private static byte[] Answer(ReadOnlySpan<byte> request, ushort type, bool withAddress, bool otherTransaction = false, int errorCode = 0)
    {
        byte[] transaction = request.Slice(StunMessage.TransactionOffset, StunMessage.TransactionLength).ToArray();
        if (otherTransaction)
        {
            transaction[^1] ^= 0xFF;
        }
        byte[] message = new byte[256];
        var writer = new StunWriter(message, type, transaction);
        if (withAddress)
        {
            writer.WriteXorMappedAddress(new byte[] { 203, 0, 113, 40 }, 40000);
        }
        if (errorCode != 0)
        {
            writer.WriteErrorCode(errorCode, "Bad Request"u8);
        }
        writer.WriteFingerprint();
        return message.AsSpan(0, writer.Finish()).ToArray();
    }

    /// <summary>Everything a broken or hostile server might send before the real answer.</summary>
    private static IEnumerable<byte[]> Junk(ReadOnlySpan<byte> request)
    {
        byte[] good = Answer(request, StunMessageType.BindingSuccessResponse, withAddress: true);
        byte[] badFingerprint = (byte[])good.Clone();
        badFingerprint[^1] ^= 1;
        return new[]
        {
            "Your address is ('203.0.113.40', 40000)\n"u8.ToArray(),
            good.AsSpan(0, good.Length - 4).ToArray(), // truncated: the length says more
            badFingerprint,
            Answer(request, StunMessageType.BindingSuccessResponse, withAddress: true, otherTransaction: true),
            Answer(request, StunMessageType.BindingErrorResponse, withAddress: false, errorCode: 400),
            Answer(request, StunMessageType.BindingSuccessResponse, withAddress: false),
            new byte[1],
        };
    }

    [Fact]
    public void UdpTakesOnlyTheRealAnswerAndCountsTheRest()
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var counters = new MapCounters();
        using UdpStunChannel channel = UdpStunChannel.Open(new IPEndPoint(IPAddress.Loopback, 0), (IPEndPoint)server.LocalEndPoint!);
        Thread serve = Serve(() =>
        {
            byte[] buffer = new byte[2048];
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            int length = server.ReceiveFrom(buffer, ref from);
            foreach (byte[] junk in Junk(buffer.AsSpan(0, length)))
            {
                server.SendTo(junk, from);
            }
            server.SendTo(Answer(buffer.AsSpan(0, length), StunMessageType.BindingSuccessResponse, withAddress: true), from);
        });

        StunAnswer? answer = channel.Binding(counters, s_timeout);
        serve.Join(s_timeout);

        Assert.NotNull(answer);
        Assert.Equal(IPEndPoint.Parse("203.0.113.40:40000"), answer.Value.Mapped.ToIPEndPoint());
        // Text, truncated, bad fingerprint, no address, one byte: malformed; the error answer apart;
        // the other transaction's answer is ignored uncounted.
        Assert.Equal(5, counters.Malformed);
        Assert.Equal(1, counters.ErrorResponses);
    }

    [Fact]
    public void UdpWithOnlyJunkTimesOutWithNoAnswer()
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var counters = new MapCounters();
        using UdpStunChannel channel = UdpStunChannel.Open(new IPEndPoint(IPAddress.Loopback, 0), (IPEndPoint)server.LocalEndPoint!);
        Thread serve = Serve(() =>
        {
            byte[] buffer = new byte[2048];
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            int length = server.ReceiveFrom(buffer, ref from);
            foreach (byte[] junk in Junk(buffer.AsSpan(0, length)))
            {
                server.SendTo(junk, from);
            }
        });

        StunAnswer? answer = channel.Binding(counters, TimeSpan.FromSeconds(1));
        serve.Join(s_timeout);

        Assert.Null(answer);
        Assert.True(counters.Malformed >= 5, $"malformed={counters.Malformed}");
    }

    [Fact]
    public void TcpSkipsOtherMessagesOnTheStreamAndTakesTheAnswer()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var counters = new MapCounters();
        Thread serve = Serve(() =>
        {
            using Socket peer = listener.Accept();
            byte[] request = ReadMessage(peer);
            // Framed messages that are not the answer, then the answer, in one write.
            var stream = new List<byte>();
            stream.AddRange(Answer(request, StunMessageType.BindingSuccessResponse, withAddress: true, otherTransaction: true));
            stream.AddRange(Answer(request, StunMessageType.BindingErrorResponse, withAddress: false, errorCode: 400));
            stream.AddRange(Answer(request, StunMessageType.BindingSuccessResponse, withAddress: true));
            peer.Send(stream.ToArray());
            Thread.Sleep(500);
        });
        using TcpStunChannel channel = TcpStunChannel.Connect(new IPEndPoint(IPAddress.Loopback, 0), (IPEndPoint)listener.LocalEndPoint!, s_timeout);

        StunAnswer? answer = channel.Binding(counters, s_timeout);
        serve.Join(s_timeout);

        Assert.NotNull(answer);
        Assert.Equal(40000, answer.Value.Mapped.Port);
        Assert.Equal(1, counters.ErrorResponses);
    }

    [Fact]
    public void TcpGarbageOnTheStreamEndsTheChannelWithAnError()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var counters = new MapCounters();
        Thread serve = Serve(() =>
        {
            using Socket peer = listener.Accept();
            ReadMessage(peer);
            peer.Send("HTTP/1.1 400 Bad Request\r\n\r\n"u8.ToArray());
            Thread.Sleep(500);
        });
        using TcpStunChannel channel = TcpStunChannel.Connect(new IPEndPoint(IPAddress.Loopback, 0), (IPEndPoint)listener.LocalEndPoint!, s_timeout);

        Assert.Throws<IOException>(() => channel.Binding(counters, s_timeout));
        serve.Join(s_timeout);
        Assert.Equal(1, counters.Malformed);
    }

    [Fact]
    public void TcpCloseByTheServerIsAnError()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        Thread serve = Serve(() =>
        {
            using Socket peer = listener.Accept();
            ReadMessage(peer);
        });
        using TcpStunChannel channel = TcpStunChannel.Connect(new IPEndPoint(IPAddress.Loopback, 0), (IPEndPoint)listener.LocalEndPoint!, s_timeout);

        IOException e = Assert.Throws<IOException>(() => channel.Binding(new MapCounters(), s_timeout));
        Assert.Contains("closed", e.Message, StringComparison.Ordinal);
        serve.Join(s_timeout);
    }

    private static Thread Serve(Action serve)
    {
        var thread = new Thread(() => serve()) { IsBackground = true };
        thread.Start();
        return thread;
    }

    private static byte[] ReadMessage(Socket peer)
    {
        byte[] buffer = new byte[2048];
        int have = 0;
        while (have < StunMessage.HeaderLength || have < StunMessage.FramedLength(buffer.AsSpan(0, have)))
        {
            int read = peer.Receive(buffer.AsSpan(have));
            if (read == 0)
            {
                throw new IOException("the client closed before a whole request");
            }
            have += read;
        }
        return buffer.AsSpan(0, have).ToArray();
    }
}
