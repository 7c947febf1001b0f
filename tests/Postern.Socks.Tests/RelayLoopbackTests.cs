using System.Net;
using System.Net.Sockets;
using Postern.Socks;
using Postern.Wire;

namespace Postern.Socks.Tests;

/// <summary>The server in this process on loopback (the shim's .so under the JIT), driven by a
/// plain SOCKS5 client: an association with zeros relays both ways with nothing allocated per
/// datagram; an ICMP port unreachable is counted and the association carries on; a fragment,
/// a stranger and a second port are dropped and counted.</summary>
public sealed class RelayLoopbackTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly SocksServer _server;
    private readonly Socket _echo;
    private readonly CancellationTokenSource _stop = new();

    public RelayLoopbackTests()
    {
        _server = new SocksServer(new SocksOptions
        {
            Listen = new[] { new IPEndPoint(IPAddress.Loopback, 0) },
            RelayThreads = 1,
            UdpBufferBytes = 0,
        });
        _server.Start();
        _echo = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _echo.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _ = Task.Run(EchoLoop);
    }

    private IPEndPoint EchoEndPoint => (IPEndPoint)_echo.LocalEndPoint!;

    private async Task EchoLoop()
    {
        byte[] buffer = new byte[65536];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                SocketReceiveFromResult received = await _echo.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
                await _echo.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), SocketFlags.None, received.RemoteEndPoint);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    /// <summary>Greeting, no authentication, UDP ASSOCIATE 0.0.0.0:0; returns the control
    /// connection and the relay's address.</summary>
    private (Socket Control, IPEndPoint Relay) Associate(byte[]? announce = null)
    {
        var control = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 10_000 };
        control.Connect(_server.ListenEndpoints[0]);
        control.Send(new byte[] { 5, 1, 0 });
        Assert.Equal(new byte[] { 5, 0 }, Read(control, 2));
        byte[] request = announce ?? new byte[] { 5, 3, 0, 1, 0, 0, 0, 0, 0, 0 };
        control.Send(request);
        byte[] reply = Read(control, 10);
        Assert.True(Socks5.TryReadReply(reply, out byte code, stackalloc byte[16], out int length, out ushort port));
        Assert.Equal(Socks5.ReplySucceeded, code);
        Assert.Equal(4, length);
        return (control, new IPEndPoint(new IPAddress(reply.AsSpan(4, 4)), port));
    }

    private static byte[] Read(Socket socket, int count)
    {
        byte[] data = new byte[count];
        int have = 0;
        while (have < count)
        {
            int read = socket.Receive(data, have, count - have, SocketFlags.None);
            Assert.NotEqual(0, read);
            have += read;
        }
        return data;
    }

    private static byte[] Datagram(IPEndPoint to, ReadOnlySpan<byte> payload, byte frag = 0)
    {
        byte[] datagram = new byte[Socks5.MaxUdpHeaderLength + payload.Length];
        int header = Socks5.WriteUdpHeader(datagram, to.Address.GetAddressBytes(), (ushort)to.Port);
        datagram[2] = frag;
        payload.CopyTo(datagram.AsSpan(header));
        return datagram.AsSpan(0, header + payload.Length).ToArray();
    }

    private static Socket Client(string address = "127.0.0.1")
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 10_000 };
        socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
        return socket;
    }

    /// <summary>Receives one relayed datagram and returns its payload after checking the header names the echo.</summary>
    private string ReceiveEcho(Socket client)
    {
        byte[] buffer = new byte[2048];
        int length = client.Receive(buffer);
        Assert.Equal(Socks5ReadStatus.Ok, Socks5.ReadUdpHeader(buffer.AsSpan(0, length), out Socks5Target source, out int payload));
        Assert.Equal(EchoEndPoint.Port, source.Port);
        Assert.Equal(EchoEndPoint.Address.GetAddressBytes(), buffer.AsSpan(source.AddressOffset, 4).ToArray());
        return System.Text.Encoding.ASCII.GetString(buffer, payload, length - payload);
    }

    [Fact]
    public void Zeros_in_the_request_relay_both_ways_with_nothing_allocated_per_datagram()
    {
        (Socket control, IPEndPoint relay) = Associate();
        using (control)
        using (Socket client = Client())
        {
            for (int i = 0; i < 50; i++)
            {
                client.SendTo(Datagram(EchoEndPoint, System.Text.Encoding.ASCII.GetBytes("warm " + i)), relay);
                Assert.Equal("warm " + i, ReceiveEcho(client));
            }
            long allocated = _server.RelayAllocatedBytes;
            byte[] ping = Datagram(EchoEndPoint, new byte[1200]);
            byte[] buffer = new byte[2048];
            for (int i = 0; i < 2000; i++)
            {
                client.SendTo(ping, relay);
                Assert.Equal(ping.Length, client.Receive(buffer));
            }
            // The relay thread counts a batch after sendmmsg returns, and the client may read
            // the last echo before that: wait for the counters, then check they are exact.
            Assert.True(SpinWait.SpinUntil(() => _server.Counters.RelayedToClient >= 2050, Wait), _server.Metrics.StatsLine());
            Assert.Equal(allocated, _server.RelayAllocatedBytes);
            Assert.Equal(2050, _server.Counters.RelayedToRemote);
            Assert.Equal(2050, _server.Counters.RelayedToClient);
        }
    }

    [Fact]
    public void An_icmp_port_unreachable_is_counted_and_the_association_carries_on()
    {
        // A port nobody listens on: the kernel answers the relay with ICMP port unreachable.
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var nowhere = (IPEndPoint)closed.LocalEndPoint!;
        closed.Dispose();

        (Socket control, IPEndPoint relay) = Associate();
        using (control)
        using (Socket client = Client())
        {
            for (int i = 0; i < 3; i++)
            {
                client.SendTo(Datagram(nowhere, "nobody home"u8), relay);
            }
            Assert.True(SpinWait.SpinUntil(() => _server.Counters.IcmpErrors >= 1, Wait), "no ICMP error was counted");
            client.SendTo(Datagram(EchoEndPoint, "after the error"u8), relay);
            Assert.Equal("after the error", ReceiveEcho(client));
            Assert.Equal(1, _server.Policy.Associations);
        }
    }

    [Fact]
    public void A_fragment_a_stranger_and_a_second_port_are_dropped_and_counted()
    {
        (Socket control, IPEndPoint relay) = Associate(new byte[] { 5, 3, 0, 1, 198, 51, 100, 2, 0x9c, 0x54 }); // a private address
        using (control)
        using (Socket client = Client())
        using (Socket secondPort = Client())
        using (Socket stranger = Client("127.0.0.2"))
        {
            client.SendTo(Datagram(EchoEndPoint, "first"u8), relay);
            Assert.Equal("first", ReceiveEcho(client));
            client.SendTo(Datagram(EchoEndPoint, "fragment"u8, frag: 1), relay);
            secondPort.SendTo(Datagram(EchoEndPoint, "second port"u8), relay);
            stranger.SendTo(Datagram(EchoEndPoint, "stranger"u8), relay);
            client.SendTo(new byte[] { 0, 0, 0, 9, 1, 2 }, relay);
            Assert.True(SpinWait.SpinUntil(() =>
                _server.Counters.Dropped(UdpDrop.Fragment) == 1 && _server.Counters.Dropped(UdpDrop.WrongPort) == 1 &&
                _server.Counters.Dropped(UdpDrop.NotClient) == 1 && _server.Counters.Dropped(UdpDrop.AddressType) == 1, Wait),
                _server.Metrics.StatsLine());
            client.SendTo(Datagram(EchoEndPoint, "still here"u8), relay);
            Assert.Equal("still here", ReceiveEcho(client));
        }
    }

    [Fact]
    public void Closing_the_control_connection_ends_the_association()
    {
        (Socket control, IPEndPoint relay) = Associate();
        Assert.True(SpinWait.SpinUntil(() => _server.Policy.Associations == 1, Wait));
        control.Dispose();
        Assert.True(SpinWait.SpinUntil(() => _server.Policy.Associations == 0, Wait), _server.Metrics.StatsLine());
        using Socket client = Client();
        client.SendTo(Datagram(EchoEndPoint, "too late"u8), relay);
        client.ReceiveTimeout = 500;
        Assert.Throws<SocketException>(() => client.Receive(new byte[100]));
    }

    [Fact]
    public void An_idle_association_ends_and_closes_its_control_connection()
    {
        using var server = new SocksServer(new SocksOptions
        {
            Listen = new[] { new IPEndPoint(IPAddress.Loopback, 0) },
            RelayThreads = 1,
            IdleTimeout = TimeSpan.FromSeconds(1),
        });
        server.Start();
        using var control = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 10_000 };
        control.Connect(server.ListenEndpoints[0]);
        control.Send(new byte[] { 5, 1, 0 });
        Read(control, 2);
        control.Send(new byte[] { 5, 3, 0, 1, 0, 0, 0, 0, 0, 0 });
        Assert.Equal(0, Read(control, 10)[1]);
        // Nothing crosses it: after the idle timeout the server closes the TCP connection.
        Assert.Equal(0, control.Receive(new byte[16]));
        Assert.Equal(1, server.Counters.AssociationsIdle);
        Assert.True(SpinWait.SpinUntil(() => server.Policy.Associations == 0, Wait));
    }

    [Fact]
    public void A_datagram_to_a_name_is_held_until_the_lookup_ends_then_sent_and_later_ones_go_at_once()
    {
        (Socket control, IPEndPoint relay) = Associate();
        using (control)
        using (Socket client = Client())
        {
            // "localhost" comes from /etc/hosts: no DNS server is asked.
            byte[] header = [0, 0, 0, Socks5.AddressDomain, 9, .. "localhost"u8, (byte)(EchoEndPoint.Port >> 8), (byte)EchoEndPoint.Port];
            client.SendTo([.. header, .. "held"u8], relay);
            Assert.Equal("held", ReceiveEcho(client));
            client.SendTo([.. header, .. "cached"u8], relay);
            Assert.Equal("cached", ReceiveEcho(client));
            Assert.Equal(1, _server.Counters.Dropped(UdpDrop.NamePending)); // the held one, counted once
            Assert.Equal(1, _server.Counters.RelayedToRemote); // the cached one
        }
    }

    [Fact]
    public void An_ipv6_client_relays_to_an_ipv6_peer()
    {
        using var echo6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        echo6.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        var peer = (IPEndPoint)echo6.LocalEndPoint!;
        using var server = new SocksServer(new SocksOptions { Listen = new[] { new IPEndPoint(IPAddress.IPv6Loopback, 0) }, RelayThreads = 1 });
        server.Start();
        using var control = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 10_000 };
        control.Connect(server.ListenEndpoints[0]);
        control.Send(new byte[] { 5, 1, 0 });
        Read(control, 2);
        control.Send(new byte[] { 5, 3, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 });
        byte[] reply = Read(control, 22);
        Assert.Equal(0, reply[1]);
        Assert.Equal(Socks5.AddressIpv6, reply[3]);
        var relay = new IPEndPoint(new IPAddress(reply.AsSpan(4, 16)), (reply[20] << 8) | reply[21]);
        Assert.Equal(IPAddress.IPv6Loopback, relay.Address);

        using var client = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 10_000 };
        client.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        client.SendTo(Datagram(peer, "over ipv6"u8), relay);
        byte[] buffer = new byte[2048];
        EndPoint from = new IPEndPoint(IPAddress.IPv6Any, 0);
        echo6.ReceiveTimeout = 10_000;
        int length = echo6.ReceiveFrom(buffer, ref from);
        Assert.Equal("over ipv6", System.Text.Encoding.ASCII.GetString(buffer, 0, length));
        echo6.SendTo("back"u8.ToArray(), from);
        length = client.Receive(buffer);
        Assert.Equal(Socks5ReadStatus.Ok, Socks5.ReadUdpHeader(buffer.AsSpan(0, length), out Socks5Target source, out int payload));
        Assert.Equal(Socks5.AddressIpv6, source.AddressType);
        Assert.Equal(peer.Port, source.Port);
        Assert.Equal("back", System.Text.Encoding.ASCII.GetString(buffer, payload, length - payload));
    }

    public void Dispose()
    {
        _stop.Cancel();
        _echo.Dispose();
        _server.Dispose();
    }
}
