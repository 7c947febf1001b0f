using System.Net;
using System.Net.Sockets;

namespace Postern.Punch;

/// <summary>One local UDP socket the punch sends and receives on, directly or through a SOCKS5
/// UDP relay (then every datagram carries RFC 1928's header and goes to the relay).</summary>
public sealed class PunchPort : IDisposable
{
    private const int DefaultTtl = 64;
    private readonly byte[] _wrap = new byte[2048];
    private EndPoint _any;

    public PunchPort(Socket socket, Socks5Relay? relay = null, bool birthday = false)
    {
        Socket = socket;
        Relay = relay;
        IsBirthday = birthday;
        _any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
    }

    public Socket Socket { get; }

    public Socks5Relay? Relay { get; }

    /// <summary>One of the extra sockets of birthday probing.</summary>
    public bool IsBirthday { get; }

    public IPEndPoint LocalEndPoint => (IPEndPoint)Socket.LocalEndPoint!;

    /// <summary>A UDP socket bound to <paramref name="port"/> (0: any) on every address of the family.</summary>
    public static PunchPort Open(AddressFamily family, int port, bool birthday = false)
    {
        var socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Blocking = false;
            socket.Bind(new IPEndPoint(family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, port));
            return new PunchPort(socket, null, birthday);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends one datagram; <paramref name="ttl"/> above 0 sets the IP TTL (hop limit) of
    /// this one only. False when the kernel refused it (an ICMP error from an earlier datagram,
    /// no route): the caller counts it and goes on.</summary>
    public bool Send(ReadOnlySpan<byte> payload, IPEndPoint to, int ttl = 0)
    {
        try
        {
            if (ttl > 0)
            {
                Socket.Ttl = (short)ttl;
            }
            if (Relay is null)
            {
                Socket.SendTo(payload, SocketFlags.None, to);
            }
            else
            {
                int header = Wire.Socks5.WriteUdpHeader(_wrap, to.Address.GetAddressBytes(), (ushort)to.Port);
                payload.CopyTo(_wrap.AsSpan(header));
                Socket.SendTo(_wrap.AsSpan(0, header + payload.Length), SocketFlags.None, Relay.UdpEndPoint);
            }
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        finally
        {
            if (ttl > 0)
            {
                Socket.Ttl = DefaultTtl;
            }
        }
    }

    /// <summary>Reads one waiting datagram into <paramref name="buffer"/>; false when none is
    /// waiting. Through a relay, the header is taken off and <paramref name="from"/> is the far
    /// end it names; a datagram from anyone but the relay, or with a bad header, is dropped.</summary>
    public bool TryReceive(Span<byte> buffer, out int length, out IPEndPoint from)
    {
        while (true)
        {
            int received;
            try
            {
                received = Socket.ReceiveFrom(buffer, SocketFlags.None, ref _any);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
            {
                length = 0;
                from = null!;
                return false;
            }
            catch (SocketException)
            {
                // ECONNREFUSED and the like: an ICMP error for an earlier datagram. Read on.
                continue;
            }
            var source = Endpoints.Plain((IPEndPoint)_any);
            if (Relay is null)
            {
                length = received;
                from = source;
                return true;
            }
            if (!source.Equals(Relay.UdpEndPoint))
            {
                continue;
            }
            Span<byte> address = stackalloc byte[16];
            if (!Wire.Socks5.TryReadUdpHeader(buffer.Slice(0, received), address, out int addressLength, out ushort port, out int offset))
            {
                continue;
            }
            from = new IPEndPoint(new IPAddress(address.Slice(0, addressLength)), port);
            buffer.Slice(offset, received - offset).CopyTo(buffer);
            length = received - offset;
            return true;
        }
    }

    public void Dispose()
    {
        Socket.Dispose();
        Relay?.Dispose();
    }
}
