using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Postern.Hosting;
using Postern.Interop;
using Postern.Wire;

namespace Postern.Socks;

/// <summary>One TCP connection: method selection, RFC 1929 when the server has users, the
/// request, then either a CONNECT relay or a UDP association that lives as long as this
/// connection (or until it is idle for --idle-timeout, which closes this connection too).
/// Allocation per connection is fine here; the TCP handshake already costs more.</summary>
internal sealed class SocksSession
{
    private readonly SocksServer _server;
    private readonly Socket _client;
    private readonly IPEndPoint _peer;
    private readonly IPEndPoint _local;
    // The longest message a client sends: RFC 1929's, 1 + 1 + 255 + 1 + 255 bytes.
    private readonly byte[] _buffer = new byte[600];
    private readonly byte[] _out = new byte[Socks5.MaxRequestLength];
    private int _have;

    /// <summary>Whether this connection's outcome (a refusal, a CONNECT, an association) was counted.</summary>
    public bool Counted { get; private set; }

    public SocksSession(SocksServer server, Socket client)
    {
        _server = server;
        _client = client;
        _peer = Plain((IPEndPoint)client.RemoteEndPoint!);
        _local = Plain((IPEndPoint)client.LocalEndPoint!);
    }

    private SocksCounters Counters => _server.Counters;

    private SocksPolicy Policy => _server.Policy;

    private static IPEndPoint Plain(IPEndPoint endpoint) =>
        endpoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endpoint.Address.MapToIPv4(), endpoint.Port) : endpoint;

    public async Task RunAsync(CancellationToken stop)
    {
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(stop);
        handshake.CancelAfter(_server.Options.HandshakeTimeout);
        string user;
        byte command;
        Socks5Target target;
        byte[] request;
        try
        {
            (bool ok, string? name) = await NegotiateAsync(handshake.Token).ConfigureAwait(false);
            if (!ok)
            {
                return;
            }
            user = name ?? _peer.Address.ToString();
            int length = await ReadRequestAsync(handshake.Token).ConfigureAwait(false);
            if (length == 0)
            {
                return;
            }
            request = _buffer.AsSpan(0, length).ToArray();
            Consume(length);
            Socks5ReadStatus status = Socks5.TryReadRequest(request, out command, out target);
            if (status != Socks5ReadStatus.Ok)
            {
                await RefuseAsync(status == Socks5ReadStatus.AddressType ? Refusal.AddressType : Refusal.Malformed, stop).ConfigureAwait(false);
                return;
            }
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            Refused(Refusal.HandshakeTimeout);
            return;
        }

        switch (command)
        {
            case Socks5.CommandConnect:
                await ConnectAsync(request, target, stop).ConfigureAwait(false);
                break;
            case Socks5.CommandUdpAssociate:
                await AssociateAsync(user, stop).ConfigureAwait(false);
                break;
            default:
                await RefuseAsync(Refusal.CommandNotSupported, stop).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>Section 3 and RFC 1929; (false, _) when the connection is to be closed.</summary>
    private async Task<(bool Ok, string? User)> NegotiateAsync(CancellationToken token)
    {
        if (!await FillAsync(2, token).ConfigureAwait(false))
        {
            Refused(Refusal.Malformed);
            return (false, null);
        }
        int greetingLength = Socks5.GreetingLength(_buffer.AsSpan(0, 2));
        if (greetingLength == 0 || !await FillAsync(greetingLength, token).ConfigureAwait(false))
        {
            // Not SOCKS5 (a SOCKS4 client, a browser, noise): nothing it would understand.
            Refused(Refusal.Malformed);
            return (false, null);
        }
        bool allowed = Policy.Allows(_peer.Address.GetAddressBytes());
        byte method = Policy.ChooseMethod(_buffer.AsSpan(0, greetingLength), allowed);
        Consume(greetingLength);
        await SendAsync(Socks5.WriteMethodSelection(_out, method), token).ConfigureAwait(false);
        if (method == Socks5.MethodNoAcceptable)
        {
            Refused(allowed ? Refusal.NoMethod : Refusal.NotAllowed);
            return (false, null);
        }
        if (!allowed)
        {
            // It offered "no authentication": its request is answered "not allowed by ruleset".
            if (await ReadRequestAsync(token).ConfigureAwait(false) != 0)
            {
                await RefuseAsync(Refusal.NotAllowed, token).ConfigureAwait(false);
            }
            return (false, null);
        }
        if (method != Socks5.MethodUsernamePassword)
        {
            return (true, null);
        }

        int length = 2;
        while (true)
        {
            if (!await FillAsync(length, token).ConfigureAwait(false))
            {
                Refused(Refusal.Malformed);
                return (false, null);
            }
            int known = Socks5.UsernamePasswordLength(_buffer.AsSpan(0, _have));
            if (known == 0)
            {
                Refused(Refusal.Malformed);
                await SendStatusAsync(false, token).ConfigureAwait(false);
                return (false, null);
            }
            if (known <= _have)
            {
                length = known;
                break;
            }
            length = known;
        }
        Socks5.TryReadUsernamePassword(_buffer.AsSpan(0, length), out ReadOnlySpan<byte> user, out ReadOnlySpan<byte> password);
        string? name = _server.Users?.Check(user, password);
        Consume(length);
        await SendStatusAsync(name is not null, token).ConfigureAwait(false);
        if (name is null)
        {
            Refused(Refusal.AuthFailed);
            Log.Info($"{HostEndpoint.Format(_peer)}: wrong user name or password");
            return (false, null);
        }
        return (true, name);
    }

    private Task SendStatusAsync(bool success, CancellationToken token) =>
        SendAsync(Socks5.WriteUsernamePasswordStatus(_out, success), token);

    /// <summary>Section 4: reads a whole request into the buffer's start; 0 when the client closed
    /// or sent something else (answered, counted).</summary>
    private async Task<int> ReadRequestAsync(CancellationToken token)
    {
        if (!await FillAsync(5, token).ConfigureAwait(false))
        {
            Refused(Refusal.Malformed);
            return 0;
        }
        int length = Socks5.RequestLength(_buffer.AsSpan(0, 5));
        if (length == 0)
        {
            bool addressType = _buffer[0] == Socks5.Version && _buffer[2] == 0;
            await RefuseAsync(addressType ? Refusal.AddressType : Refusal.Malformed, token).ConfigureAwait(false);
            return 0;
        }
        if (!await FillAsync(length, token).ConfigureAwait(false))
        {
            Refused(Refusal.Malformed);
            return 0;
        }
        return length;
    }

    private void Refused(Refusal refusal)
    {
        Counted = true;
        Counters.AddRefused(refusal);
    }

    private async Task RefuseAsync(Refusal refusal, CancellationToken token)
    {
        Refused(refusal);
        byte reply = SocksPolicy.ReplyFor(refusal);
        if (reply != 0)
        {
            try
            {
                await SendAsync(Socks5.WriteReply(_out, reply, default, 0), token).ConfigureAwait(false);
            }
            catch (SocketException)
            {
            }
        }
    }

    private async Task ConnectAsync(byte[] request, Socks5Target target, CancellationToken stop)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(_server.Options.HandshakeTimeout);
        IPAddress[] addresses;
        if (target.IsDomain)
        {
            string name = Encoding.ASCII.GetString(request, target.AddressOffset, target.AddressLength);
            try
            {
                addresses = await Dns.GetHostAddressesAsync(name, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ArgumentException or OperationCanceledException)
            {
                addresses = Array.Empty<IPAddress>();
            }
            if (addresses.Length == 0)
            {
                await RefuseAsync(Refusal.ResolveFailed, stop).ConfigureAwait(false);
                return;
            }
        }
        else
        {
            addresses = new[] { new IPAddress(request.AsSpan(target.AddressOffset, target.AddressLength)) };
        }

        Socket? remote = null;
        Refusal failure = Refusal.HostUnreachable;
        foreach (IPAddress address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, target.Port), timeout.Token).ConfigureAwait(false);
                remote = socket;
                break;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                failure = e.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => Refusal.ConnectionRefused,
                    SocketError.NetworkUnreachable or SocketError.NetworkDown => Refusal.NetworkUnreachable,
                    SocketError.HostUnreachable or SocketError.HostDown or SocketError.TimedOut => Refusal.HostUnreachable,
                    _ => Refusal.ConnectFailed,
                };
            }
            catch (OperationCanceledException)
            {
                socket.Dispose();
                failure = Refusal.HostUnreachable;
                if (stop.IsCancellationRequested)
                {
                    return;
                }
                break;
            }
        }
        if (remote is null)
        {
            await RefuseAsync(failure, stop).ConfigureAwait(false);
            return;
        }
        using (remote)
        {
            Counted = true;
            Counters.AddConnect();
            var bound = Plain((IPEndPoint)remote.LocalEndPoint!);
            await SendAsync(Socks5.WriteReply(_out, Socks5.ReplySucceeded, bound.Address.GetAddressBytes(), (ushort)bound.Port), stop)
                .ConfigureAwait(false);
            // Bytes the client sent after its request go first.
            if (_have > 0)
            {
                await remote.SendAsync(_buffer.AsMemory(0, _have), SocketFlags.None, stop).ConfigureAwait(false);
                _have = 0;
            }
            Task up = PumpAsync(_client, remote, stop);
            Task down = PumpAsync(remote, _client, stop);
            await Task.WhenAll(up, down).ConfigureAwait(false);
        }
    }

    /// <summary>Copies one direction until its end closes, then half-closes the other side.</summary>
    private static async Task PumpAsync(Socket from, Socket to, CancellationToken stop)
    {
        byte[] buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int read = await from.ReceiveAsync(buffer, SocketFlags.None, stop).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                int sent = 0;
                while (sent < read)
                {
                    sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, stop).ConfigureAwait(false);
                }
            }
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A reset on one side ends both.
            try
            {
                from.Shutdown(SocketShutdown.Both);
                to.Shutdown(SocketShutdown.Both);
            }
            catch (Exception f) when (f is SocketException or ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>Section 4 and 7 for UDP ASSOCIATE across NAT: DST.ADDR and DST.PORT are read and
    /// not trusted (zeros, a private address, anything); only the TCP peer's address may use the
    /// relay port, and the first datagram from it says the port.</summary>
    private async Task AssociateAsync(string user, CancellationToken stop)
    {
        if (Policy.Admit(user) is { } refusal)
        {
            await RefuseAsync(refusal, stop).ConfigureAwait(false);
            return;
        }
        using var closed = CancellationTokenSource.CreateLinkedTokenSource(stop);
        UdpAssociation association;
        try
        {
            UdpSocket client = OpenRelaySocket(_local.Address);
            UdpSocket remote;
            try
            {
                remote = OpenRelaySocket(IPAddress.IPv6Any);
            }
            catch
            {
                client.Dispose();
                throw;
            }
            association = new UdpAssociation(client, remote, _peer.Address, user, idle =>
            {
                Policy.Release(user);
                if (idle)
                {
                    // The session may have ended (and disposed this) at the same moment.
                    try
                    {
                        closed.Cancel();
                    }
                    catch (ObjectDisposedException)
                    {
                    }
                }
            });
        }
        catch (IOException e)
        {
            Policy.Release(user);
            Log.Warning($"{HostEndpoint.Format(_peer)}: UDP ASSOCIATE failed: {e.Message}");
            await RefuseAsync(Refusal.UdpSetupFailed, stop).ConfigureAwait(false);
            return;
        }

        UdpRelay relay = _server.NextRelay();
        relay.Add(association);
        Counted = true;
        Counters.AddAssociation();
        try
        {
            IPAddress announced = _server.Options.PublicAddress ?? _local.Address;
            await SendAsync(Socks5.WriteReply(_out, Socks5.ReplySucceeded, announced.GetAddressBytes(), association.Client.Port), stop)
                .ConfigureAwait(false);
            // Whatever the client sends on the control connection is read and ignored; its end
            // (or an error) ends the association.
            _have = 0;
            while (await _client.ReceiveAsync(_buffer, SocketFlags.None, closed.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            relay.Remove(association);
        }
    }

    /// <summary>One UDP socket of an association: <paramref name="address"/> on an ephemeral
    /// port (the IPv6 wildcard, dual-stack, for the remote side), with IP_RECVERR on so that an
    /// ICMP error never fails a batch. Throws <see cref="IOException"/>.</summary>
    private UdpSocket OpenRelaySocket(IPAddress address)
    {
        int error = UdpSocket.TryOpen(address, 0, reusePort: false, _server.Options.UdpBufferBytes, out UdpSocket? socket);
        if (error != 0)
        {
            throw new IOException($"cannot bind a UDP relay socket on {address}: {Errno.Describe(error)}");
        }
        error = socket!.EnableErrorQueue();
        if (error != 0)
        {
            socket.Dispose();
            throw new IOException($"cannot set IP_RECVERR on a UDP relay socket: {Errno.Describe(error)}");
        }
        return socket;
    }

    /// <summary>Reads until the buffer holds <paramref name="count"/> bytes; false if the client closed first.</summary>
    private async Task<bool> FillAsync(int count, CancellationToken token)
    {
        while (_have < count)
        {
            int read = await _client.ReceiveAsync(_buffer.AsMemory(_have), SocketFlags.None, token)
                .ConfigureAwait(false);
            if (read == 0)
            {
                return false;
            }
            _have += read;
        }
        return true;
    }

    private void Consume(int count)
    {
        Buffer.BlockCopy(_buffer, count, _buffer, 0, _have - count);
        _have -= count;
    }

    /// <summary>Sends the first <paramref name="length"/> bytes of the output buffer.</summary>
    private async Task SendAsync(int length, CancellationToken token)
    {
        int sent = 0;
        while (sent < length)
        {
            sent += await _client.SendAsync(_out.AsMemory(sent, length - sent), SocketFlags.None, token).ConfigureAwait(false);
        }
    }
}
