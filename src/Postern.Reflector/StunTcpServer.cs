using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Postern.Hosting;
using Postern.Wire;

namespace Postern.Reflector;

/// <summary>STUN over TCP (RFC 8489 section 6.2.2: messages back to back, each framed by its own
/// header's length) and the legacy text form on the same port: a client whose first bytes are
/// not a STUN header, or who sends nothing within a second, gets the text line once and the
/// connection is closed. A broken STUN message ends the connection (a stream cannot be resynced).
/// Per-connection allocation is fine here; the handshake already costs more.</summary>
public sealed class StunTcpServer : IDisposable
{
    private readonly Socket _listener;
    private readonly ReflectorResponder _responder;
    private readonly ReflectorCounters _counters;
    private readonly ReflectorOptions _options;
    private readonly CancellationTokenSource _stop = new();
    private int _connections;
    private Task? _acceptLoop;

    public StunTcpServer(ListenEndpoint endpoint, ReflectorResponder responder, ReflectorCounters counters, ReflectorOptions options)
    {
        _responder = responder;
        _counters = counters;
        _options = options;
        _listener = Bind(endpoint.Address, endpoint.Port);
        Endpoint = endpoint with { Port = (ushort)((IPEndPoint)_listener.LocalEndPoint!).Port };
    }

    public ListenEndpoint Endpoint { get; }

    private static Socket Bind(IPAddress address, ushort port)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = address.Equals(IPAddress.IPv6Any);
            }
            socket.Bind(new IPEndPoint(address, port));
            socket.Listen(512);
            return socket;
        }
        catch (SocketException e) when (address.Equals(IPAddress.IPv6Any) && e.SocketErrorCode == SocketError.AddressFamilyNotSupported)
        {
            socket.Dispose();
            return Bind(IPAddress.Any, port);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new IOException($"cannot bind tcp:{ListenEndpoint.Format(address, port)}: {e.Message}", e);
        }
    }

    public void Start() => _acceptLoop = Task.Run(AcceptLoop);

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                Log.Warning($"{Endpoint}: accept failed: {e.Message}");
                await Task.Delay(100).ConfigureAwait(false);
                continue;
            }
            if (Interlocked.Increment(ref _connections) > _options.MaxTcpConnections)
            {
                Interlocked.Decrement(ref _connections);
                _counters.AddTcpRefused();
                client.Dispose();
                continue;
            }
            _counters.AddTcpConnection();
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        try
        {
            client.NoDelay = true;
            var remote = (IPEndPoint)client.RemoteEndPoint!;
            IPAddress address = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
            byte[] peer = address.GetAddressBytes();
            var request = new byte[UdpWorker.ReceiveSlot];
            var reply = new byte[ReflectorResponder.MaxReplyLength];

            // The first bytes decide: a STUN header, or the text form.
            int have = await ReadAtLeastAsync(client, request, 0, 1, _options.TcpFirstByteTimeout).ConfigureAwait(false);
            if (have > 0 && (request[0] & 0xC0) == 0)
            {
                have = await ReadAtLeastAsync(client, request, have, StunMessage.HeaderLength, _options.TcpFirstByteTimeout).ConfigureAwait(false);
            }
            if (have < StunMessage.HeaderLength || StunMessage.FramedLength(request.AsSpan(0, have)) < 0)
            {
                await AnswerAsync(client, request, have, peer, (ushort)remote.Port, reply).ConfigureAwait(false);
                return;
            }

            while (true)
            {
                int length = StunMessage.FramedLength(request.AsSpan(0, have));
                if (length < 0 || length > request.Length)
                {
                    _counters.Add(ReflectorOutcome.Malformed);
                    return;
                }
                have = await ReadAtLeastAsync(client, request, have, length, _options.TcpIdleTimeout).ConfigureAwait(false);
                if (have < length)
                {
                    return;
                }
                ReflectorOutcome outcome = await AnswerAsync(client, request, length, peer, (ushort)remote.Port, reply).ConfigureAwait(false);
                if (outcome is ReflectorOutcome.Malformed or ReflectorOutcome.RateLimited or ReflectorOutcome.Oversize)
                {
                    return;
                }
                // Whatever followed the message starts the next one.
                Buffer.BlockCopy(request, length, request, 0, have - length);
                have -= length;
                have = await ReadAtLeastAsync(client, request, have, StunMessage.HeaderLength, _options.TcpIdleTimeout).ConfigureAwait(false);
                if (have < StunMessage.HeaderLength)
                {
                    return;
                }
            }
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            Interlocked.Decrement(ref _connections);
            client.Dispose();
        }
    }

    /// <summary>Answers one message (a STUN message, or whatever a text client sent) and says what
    /// became of it; a text answer closes the connection after it.</summary>
    private async Task<ReflectorOutcome> AnswerAsync(Socket client, byte[] message, int messageLength, byte[] peer, ushort port, byte[] reply)
    {
        ReflectorOutcome outcome = _responder.Answer(message.AsSpan(0, messageLength), peer, port, 0, null, 0,
            Stopwatch.GetTimestamp(), reply, out int length, out _, out _);
        _counters.Add(outcome);
        if (_options.LogRequests)
        {
            Log.Info(string.Create(CultureInfo.InvariantCulture,
                $"{Endpoint} request from {ListenEndpoint.Format(new IPAddress(peer), port)} ({messageLength} bytes): {outcome}{(length > 0 ? $", {length} bytes answered" : "")}"));
        }
        if (length > 0)
        {
            await client.SendAsync(reply.AsMemory(0, length), SocketFlags.None, _stop.Token).ConfigureAwait(false);
        }
        if (outcome == ReflectorOutcome.Text)
        {
            // Half-close, then read what the client still sends until it closes: closing with
            // unread data would reset the connection and could lose the line on its way.
            client.Shutdown(SocketShutdown.Send);
            while (await ReadAtLeastAsync(client, message, 0, 1, _options.TcpFirstByteTimeout).ConfigureAwait(false) > 0)
            {
            }
        }
        return outcome;
    }

    /// <summary>Reads until <paramref name="buffer"/> holds <paramref name="atLeast"/> bytes, the
    /// peer closes, or the time runs out; returns how many it holds.</summary>
    private async Task<int> ReadAtLeastAsync(Socket client, byte[] buffer, int have, int atLeast, TimeSpan timeout)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        deadline.CancelAfter(timeout);
        try
        {
            while (have < atLeast)
            {
                int read = await client.ReceiveAsync(buffer.AsMemory(have), SocketFlags.None, deadline.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                have += read;
            }
        }
        catch (OperationCanceledException)
        {
        }
        return have;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        try
        {
            _acceptLoop?.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }
        _stop.Dispose();
    }
}
