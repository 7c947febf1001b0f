using System.Net;
using System.Net.Sockets;
using Postern.Interop;

namespace Postern.Netfilter.Tests;

/// <summary>The batch senders know their buffer's length: a datagram that does not lie within it
/// (past the end, or an Offset + Length that overflows) gets EINVAL and is never read, while the
/// rest of the batch goes. Loopback only.</summary>
public sealed unsafe class SendBoundsTests
{
    [Fact]
    public void Udp_send_refuses_each_datagram_outside_the_buffer_and_sends_the_others()
    {
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        receiver.ReceiveTimeout = 5000;
        int port = ((IPEndPoint)receiver.LocalEndPoint!).Port;
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        byte[] buffer = GC.AllocateArray<byte>(64, pinned: true);
        buffer.AsSpan(0, 5).Fill((byte)'x');
        UdpDatagram[] datagrams = GC.AllocateArray<UdpDatagram>(4, pinned: true);
        datagrams[0] = To(port, offset: 0, length: 5);
        datagrams[1] = To(port, offset: 60, length: 5);            // one byte past the end
        datagrams[2] = To(port, offset: int.MaxValue - 2, length: 8); // Offset + Length overflows
        datagrams[3] = To(port, offset: 65, length: 0);            // starts past the end
        int error;
        int sent;
        fixed (byte* bytes = buffer)
        fixed (UdpDatagram* batch = datagrams)
        {
            error = Interop.Interop.UdpSendBatch((int)sender.Handle, 4, bytes, buffer.Length, batch, datagrams.Length, out sent);
        }

        Assert.Equal(0, error);
        Assert.Equal(1, sent);
        Assert.Equal(new[] { 0, Errno.EINVAL, Errno.EINVAL, Errno.EINVAL }, datagrams.Select(d => d.Error).ToArray());
        var received = new byte[16];
        Assert.Equal(5, receiver.Receive(received));
    }

    [Fact]
    public void Raw_send_refuses_each_datagram_outside_the_buffer()
    {
        // Any socket will do: a datagram outside the buffer is refused before anything is sent.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        byte[] buffer = GC.AllocateArray<byte>(64, pinned: true);
        RawDatagram[] datagrams = GC.AllocateArray<RawDatagram>(3, pinned: true);
        datagrams[0] = new RawDatagram { Offset = 40, Length = 28, Error = -1 };            // past the end
        datagrams[1] = new RawDatagram { Offset = int.MaxValue - 2, Length = 28, Error = -1 }; // overflows
        datagrams[2] = new RawDatagram { Offset = 100, Length = 1, Error = -1 };           // starts past the end
        int error;
        int sent;
        fixed (byte* bytes = buffer)
        fixed (RawDatagram* batch = datagrams)
        {
            error = Interop.Interop.RawSendBatch((int)socket.Handle, bytes, buffer.Length, batch, datagrams.Length, out sent);
        }

        Assert.Equal(0, error);
        Assert.Equal(0, sent);
        Assert.All(datagrams, d => Assert.Equal(Errno.EINVAL, d.Error));
    }

    [Fact]
    public void A_negative_buffer_length_is_refused()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        byte* bytes = stackalloc byte[1];
        RawDatagram raw = default;
        UdpDatagram udp = default;
        Assert.Equal(Errno.EINVAL, Interop.Interop.RawSendBatch((int)socket.Handle, bytes, -1, &raw, 1, out _));
        Assert.Equal(Errno.EINVAL, Interop.Interop.UdpSendBatch((int)socket.Handle, 4, bytes, -1, &udp, 1, out _));
    }

    private static UdpDatagram To(int port, int offset, int length)
    {
        var datagram = new UdpDatagram { Offset = offset, Length = length, Port = (ushort)port, Family = 4, Error = -1 };
        // 127.0.0.1 in its IPv4-mapped form.
        datagram.Address[10] = 0xFF;
        datagram.Address[11] = 0xFF;
        datagram.Address[12] = 127;
        datagram.Address[15] = 1;
        return datagram;
    }
}
