using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Postern.Hosting;

namespace Postern.Socks;

/// <summary>The whole server: one accepting socket per --listen address, a session per
/// connection, and --relay-threads UDP relay threads that associations are spread over.
/// SIGHUP rereads the users file.</summary>
public sealed class SocksServer : IRole, IReloadable, IDisposable
{
    private readonly List<Socket> _listeners = new();
    private readonly List<string> _bound = new();
    private readonly UdpRelay[] _relays;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _acceptLoops = new();

    /// <summary>The sessions being served, so that stopping waits for them to end their
    /// associations before the relays stop.</summary>
    private readonly ConcurrentDictionary<Task, bool> _sessions = new();
    private volatile SocksUsers? _users;
    private int _connections;
    private int _nextRelay;

    public SocksServer(SocksOptions options)
    {
        string? problem = Validate(options, out SocksUsers? users);
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(options));
        }
        Options = options;
        _users = users;
        Policy = new SocksPolicy(options);
        Counters.AddTo(Metrics, Policy, () => Volatile.Read(ref _connections));
        _relays = new UdpRelay[options.RelayThreads];
        try
        {
            for (int i = 0; i < _relays.Length; i++)
            {
                _relays[i] = new UdpRelay(Counters, options.MaxDatagram, options.IdleTimeout);
            }
            foreach (IPEndPoint endpoint in options.Listen)
            {
                Socket listener = Bind(endpoint);
                _listeners.Add(listener);
                _bound.Add(HostEndpoint.Format((IPEndPoint)listener.LocalEndPoint!));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public SocksOptions Options { get; }

    public SocksPolicy Policy { get; }

    public SocksCounters Counters { get; } = new();

    public MetricSet Metrics { get; } = new("socks");

    internal SocksUsers? Users => _users;

    public IReadOnlyList<string> Bound => _bound;

    /// <summary>Where it listens (a --listen port 0 resolved).</summary>
    public IReadOnlyList<IPEndPoint> ListenEndpoints => _listeners.Select(l => (IPEndPoint)l.LocalEndPoint!).ToList();

    public string Status =>
        $"listening on {string.Join(", ", _bound)}; " +
        (_users is { } users ? $"RFC 1929, {users.Count} users" : "no authentication") +
        (Options.Allow.Count > 0 ? $"; {Options.Allow.Count} --allow prefixes" : "") +
        (Options.PublicAddress is { } address ? $"; announcing {address}" : "") +
        string.Create(CultureInfo.InvariantCulture,
            $"; at most {Options.MaxAssociations} associations ({Options.MaxAssociationsPerUser} per user), idle timeout {Options.IdleTimeout.TotalSeconds} s");

    /// <summary>What the relay threads allocated while relaying.</summary>
    public long RelayAllocatedBytes => _relays.Sum(r => r?.AllocatedBytes ?? 0);

    /// <summary>One sentence on what is wrong, or null; the users file is read here, so a bad
    /// one stops the start before anything is bound.</summary>
    public static string? Validate(SocksOptions options, out SocksUsers? users)
    {
        users = null;
        if (options.Listen.Count == 0)
        {
            return "nothing to listen on: give at least one --listen address.";
        }
        if (options.MaxConnections < 1 || options.MaxAssociations < 1 || options.MaxAssociationsPerUser < 1)
        {
            return "--max-connections, --max-associations and --max-user-associations must be at least 1.";
        }
        if (options.IdleTimeout < TimeSpan.FromSeconds(1) || options.IdleTimeout > TimeSpan.FromDays(1))
        {
            return "--idle-timeout must be between 1 and 86400 seconds.";
        }
        if (options.MaxDatagram is < 64 or > 65507)
        {
            return "--max-datagram must be between 64 and 65507 bytes.";
        }
        if (options.RelayThreads is < 1 or > 64)
        {
            return "--relay-threads must be between 1 and 64.";
        }
        if (options.PublicAddress is { } address &&
            (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.IsIPv6LinkLocal))
        {
            return $"--public-address {address}: give the address clients reach this host at.";
        }
        if (options.UsersFile is { } path)
        {
            users = SocksUsers.Load(path, out string? problem);
            if (users is null)
            {
                return problem;
            }
        }
        return null;
    }

    private static Socket Bind(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = endpoint.Address.Equals(IPAddress.IPv6Any);
            }
            socket.Bind(endpoint);
            socket.Listen(512);
            return socket;
        }
        catch (SocketException e) when (endpoint.Address.Equals(IPAddress.IPv6Any) && e.SocketErrorCode == SocketError.AddressFamilyNotSupported)
        {
            socket.Dispose();
            return Bind(new IPEndPoint(IPAddress.Any, endpoint.Port));
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new IOException($"cannot listen on {HostEndpoint.Format(endpoint)}: {e.Message}", e);
        }
    }

    public void Start()
    {
        for (int i = 0; i < _relays.Length; i++)
        {
            _relays[i].Start(string.Create(CultureInfo.InvariantCulture, $"udp-relay-{i}"));
        }
        foreach (Socket listener in _listeners)
        {
            _acceptLoops.Add(Task.Run(() => AcceptLoop(listener)));
        }
    }

    internal UdpRelay NextRelay() => _relays[(int)((uint)Interlocked.Increment(ref _nextRelay) % (uint)_relays.Length)];

    private async Task AcceptLoop(Socket listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                Log.Warning($"accept failed: {e.Message}");
                await Task.Delay(100).ConfigureAwait(false);
                continue;
            }
            Counters.AddConnection();
            if (Interlocked.Increment(ref _connections) > Options.MaxConnections)
            {
                Interlocked.Decrement(ref _connections);
                Counters.AddRefused(Refusal.TooManyConnections);
                // The method selection "no acceptable methods": the one refusal a client can
                // read before it has sent anything.
                try
                {
                    client.Send(new byte[] { 5, 0xFF });
                }
                catch (SocketException)
                {
                }
                client.Dispose();
                continue;
            }
            Task session = Task.Run(() => ServeAsync(client));
            _sessions.TryAdd(session, true);
            _ = session.ContinueWith(static (done, state) => ((ConcurrentDictionary<Task, bool>)state!).TryRemove(done, out _),
                _sessions, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        SocksSession? session = null;
        try
        {
            client.NoDelay = true;
            session = new SocksSession(this, client);
            await session.RunAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
        }
        catch (Exception e)
        {
            // A bug in a session must not end the server: log it, close this connection.
            Log.Error("session failed: " + e);
        }
        finally
        {
            if (session is null || !session.Counted)
            {
                // Reset, or gone mid-handshake before anything could be said or counted.
                Counters.AddAborted();
            }
            Interlocked.Decrement(ref _connections);
            client.Dispose();
        }
    }

    /// <summary>SIGHUP: rereads the users file; a bad file keeps the users there were.</summary>
    public void Reload()
    {
        if (Options.UsersFile is not { } path)
        {
            Log.Info("SIGHUP: no --users file to reread");
            return;
        }
        SocksUsers? users = SocksUsers.Load(path, out string? problem);
        if (users is null)
        {
            Counters.AddReload(false);
            Log.Error($"SIGHUP: keeping the {(_users?.Count ?? 0)} users loaded before: {problem}");
            return;
        }
        _users = users;
        Counters.AddReload(true);
        Log.Info($"SIGHUP: {users.Count} users loaded from {path}");
    }

    public void Stop() => Dispose();

    public void Dispose()
    {
        _stop.Cancel();
        foreach (Socket listener in _listeners)
        {
            listener.Dispose();
        }
        try
        {
            Task.WaitAll(_acceptLoops.ToArray(), TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }
        try
        {
            // Cancelled, every session closes its connection and ends its association.
            Task.WaitAll(_sessions.Keys.ToArray(), TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }
        foreach (UdpRelay? relay in _relays)
        {
            relay?.Dispose();
        }
        _listeners.Clear();
        _acceptLoops.Clear();
    }
}
