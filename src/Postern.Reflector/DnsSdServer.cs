using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net.Dns;
using Postern.Hosting;

namespace Postern.Reflector;

/// <summary>Serves <see cref="DnsSdZone"/> over UDP and TCP with ARSoft.Tools.Net's DNS server
/// (off the packet path: DNS-SD lookups are rare next to STUN, and a hand-written server would be
/// one more DNS parser facing the internet). One transport per --dns-listen address.</summary>
public sealed class DnsSdServer : IDisposable
{
    private const int TimeoutMilliseconds = 5000;
    private const int TcpKeepAliveMilliseconds = 10000;

    private readonly DnsServer _server;
    private readonly DnsSdZone _zone;
    private long _errors;

    /// <summary>Binds every address (a taken port is an <see cref="IOException"/> naming it) and
    /// starts answering.</summary>
    public DnsSdServer(IReadOnlyList<ListenEndpoint> listen, DnsSdZone zone)
    {
        _zone = zone;
        RequireRandomNumberGenerator();
        var transports = new List<IServerTransport>();
        var bound = new List<string>();
        foreach (ListenEndpoint endpoint in listen)
        {
            // ARSoft binds when the server starts; binding here first gives a clear error, and
            // the probe socket is closed again at once.
            CheckFree(endpoint);
            var address = new IPEndPoint(endpoint.Address, endpoint.Port);
            transports.Add(endpoint.Transport == ListenTransport.Udp
                ? new UdpServerTransport(address, TimeoutMilliseconds)
                : new TcpServerTransport(address, TimeoutMilliseconds, TcpKeepAliveMilliseconds));
            bound.Add("dns-" + endpoint);
        }
        Bound = bound;
        _server = new DnsServer(transports.ToArray());
        _server.QueryReceived += OnQueryReceived;
        _server.ExceptionThrown += OnException;
        try
        {
            _server.Start();
        }
        catch (SocketException e)
        {
            _server.Stop();
            throw new IOException($"cannot serve DNS-SD on {string.Join(", ", listen)}: {e.Message}", e);
        }
    }

    /// <summary>"dns-udp:[::]:53" and the like, for the ready line.</summary>
    public IReadOnlyList<string> Bound { get; }

    /// <summary>Exceptions ARSoft reported while serving (a broken TCP client, a send that failed).</summary>
    public long Errors => Volatile.Read(ref _errors);

    private Task OnQueryReceived(object sender, QueryReceivedEventArgs e)
    {
        if (e.Query is DnsMessage query)
        {
            e.Response = _zone.Answer(query);
        }
        return Task.CompletedTask;
    }

    private Task OnException(object sender, ExceptionEventArgs e)
    {
        Interlocked.Increment(ref _errors);
        return Task.CompletedTask;
    }

    /// <summary>Every DnsMessage ARSoft makes draws an ID from BouncyCastle's SecureRandom, which
    /// reads .NET's RandomNumberGenerator, which on Linux is OpenSSL's: --dns-sd needs libssl 3
    /// (the rest of the reflector, the registrations' X25519 and HMAC included, does not). Asked
    /// once at start, so that a system without it fails here in one sentence, not on every query.</summary>
    private static void RequireRandomNumberGenerator()
    {
        try
        {
            System.Security.Cryptography.RandomNumberGenerator.GetInt32(2);
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or EntryPointNotFoundException or
                                      System.Security.Cryptography.CryptographicException)
        {
            throw new IOException("--dns-sd needs libssl 3: ARSoft.Tools.Net's DNS messages take their IDs from the runtime's " +
                                  "random number generator, which is OpenSSL's (install libssl3)", e);
        }
    }

    private static void CheckFree(ListenEndpoint endpoint)
    {
        bool udp = endpoint.Transport == ListenTransport.Udp;
        using var socket = new Socket(endpoint.Address.AddressFamily, udp ? SocketType.Dgram : SocketType.Stream,
            udp ? ProtocolType.Udp : ProtocolType.Tcp);
        if (endpoint.Address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            socket.DualMode = true;
        }
        if (!udp)
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        }
        try
        {
            socket.Bind(new IPEndPoint(endpoint.Address, endpoint.Port));
        }
        catch (SocketException e)
        {
            throw new IOException($"cannot bind dns-{endpoint}: {e.Message}", e);
        }
    }

    public void Dispose() => _server.Stop();
}
