using System.Net;
using System.Net.Sockets;
using System.Text;
using Postern.Wire;

namespace Postern.Punch;

/// <summary>A SOCKS5 UDP association (RFC 1928 section 4, command 3): the TCP connection that
/// keeps it alive, and the relay's UDP address every datagram goes to. The client announces
/// 0.0.0.0:0 (section 4 allows it when the client does not know its address yet, which behind
/// NAT it never does), so a relay that checks the announced port has nothing wrong to check.</summary>
public sealed class Socks5Relay : IDisposable
{
    private static readonly TimeSpan s_handshakeTimeout = TimeSpan.FromSeconds(10);
    private readonly Socket _control;

    private Socks5Relay(Socket control, IPEndPoint udp)
    {
        _control = control;
        UdpEndPoint = udp;
    }

    /// <summary>Where relayed datagrams go, and come from.</summary>
    public IPEndPoint UdpEndPoint { get; }

    /// <summary>Whether the relay closed the association's TCP connection (then it is gone).</summary>
    public bool IsClosed
    {
        get
        {
            try
            {
                return _control.Poll(0, SelectMode.SelectRead) && _control.Available == 0;
            }
            catch (SocketException)
            {
                return true;
            }
        }
    }

    public static Socks5Relay Associate(RelayAddress relay, AddressFamily family)
    {
        IPEndPoint server = new ServerAddress(relay.Host, relay.Port).Resolve(family);
        var control = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
        {
            ReceiveTimeout = (int)s_handshakeTimeout.TotalMilliseconds,
            SendTimeout = (int)s_handshakeTimeout.TotalMilliseconds,
            NoDelay = true,
        };
        try
        {
            control.Connect(server);
            Span<byte> message = stackalloc byte[Socks5.MaxAddressLength + 600];
            ReadOnlySpan<byte> methods = relay.User is null
                ? new[] { Socks5.MethodNoAuthentication }
                : new[] { Socks5.MethodNoAuthentication, Socks5.MethodUsernamePassword };
            Send(control, message.Slice(0, Socks5.WriteGreeting(message, methods)));
            ReadExactly(control, message.Slice(0, 2));
            if (!Socks5.TryReadMethodSelection(message.Slice(0, 2), out byte method) || method == Socks5.MethodNoAcceptable)
            {
                throw new IOException($"{relay}: the relay accepts none of our authentication methods");
            }
            if (method == Socks5.MethodUsernamePassword)
            {
                int length = Socks5.WriteUsernamePassword(message, Encoding.UTF8.GetBytes(relay.User ?? ""), Encoding.UTF8.GetBytes(relay.Password ?? ""));
                Send(control, message.Slice(0, length));
                ReadExactly(control, message.Slice(0, 2));
                if (message[1] != 0)
                {
                    throw new IOException($"{relay}: the relay refused the user name and password");
                }
            }
            else if (method != Socks5.MethodNoAuthentication)
            {
                throw new IOException($"{relay}: the relay chose an authentication method we did not offer ({method})");
            }

            byte[] zeros = new byte[family == AddressFamily.InterNetworkV6 ? 16 : 4];
            Send(control, message.Slice(0, Socks5.WriteRequest(message, Socks5.CommandUdpAssociate, zeros, 0)));
            ReadExactly(control, message.Slice(0, 5));
            int replyLength = Socks5.ReplyLength(message);
            if (replyLength == 0)
            {
                throw new IOException($"{relay}: the relay's reply is not SOCKS5");
            }
            ReadExactly(control, message.Slice(5, replyLength - 5));
            Span<byte> bound = stackalloc byte[16];
            if (!Socks5.TryReadReply(message.Slice(0, replyLength), out byte reply, bound, out int boundLength, out ushort boundPort))
            {
                throw new IOException($"{relay}: the relay's reply is malformed");
            }
            if (reply != Socks5.ReplySucceeded)
            {
                throw new IOException($"{relay}: UDP ASSOCIATE refused: {Socks5.ReplyText(reply)}");
            }
            // BND.ADDR 0.0.0.0 (or a name) means "the address you connected to".
            IPAddress address = boundLength == 0 ? server.Address : new IPAddress(bound.Slice(0, boundLength));
            if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
            {
                address = server.Address;
            }
            control.ReceiveTimeout = 0;
            return new Socks5Relay(control, new IPEndPoint(Endpoints.Plain(address), boundPort));
        }
        catch (SocketException e)
        {
            control.Dispose();
            throw new IOException($"{relay}: {e.Message}", e);
        }
        catch
        {
            control.Dispose();
            throw;
        }
    }

    private static void Send(Socket socket, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            data = data.Slice(socket.Send(data));
        }
    }

    private static void ReadExactly(Socket socket, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            int read = socket.Receive(destination);
            if (read == 0)
            {
                throw new IOException("the relay closed the connection during the handshake");
            }
            destination = destination.Slice(read);
        }
    }

    public void Dispose() => _control.Dispose();
}
