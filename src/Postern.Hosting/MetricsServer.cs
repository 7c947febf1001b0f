using System.Net;
using System.Net.Sockets;
using System.Text;
using Tmds.Linux;

namespace Postern.Hosting;

/// <summary>Serves a role's <see cref="MetricSet"/> in the Prometheus text format over HTTP/1.1 at
/// /metrics (--metrics-listen). One thread, one connection at a time, each closed after its
/// answer: a scraper asks every few seconds, and nothing a client sends can hold the thread for
/// more than the read timeout or make it allocate more than one request's bounded buffer. Off the
/// packet path: reading the counters costs the workers nothing.</summary>
public sealed class MetricsServer : IDisposable
{
    private const int MaxRequestBytes = 8192;
    private static readonly TimeSpan s_readTimeout = TimeSpan.FromSeconds(5);

    private readonly Socket _listener;
    private readonly MetricSet _metrics;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private long _scrapes;

    private MetricsServer(Socket listener, MetricSet metrics)
    {
        _listener = listener;
        _metrics = metrics;
        Endpoint = (IPEndPoint)listener.LocalEndPoint!;
        _thread = new Thread(Serve) { IsBackground = true, Name = "metrics" };
    }

    /// <summary>Where it listens (the real port when 0 was asked for).</summary>
    public IPEndPoint Endpoint { get; }

    /// <summary>Answers to /metrics so far.</summary>
    public long Scrapes => Interlocked.Read(ref _scrapes);

    /// <summary>Binds and starts serving; a bind that fails is a <see cref="StartupException"/>.</summary>
    public static unsafe MetricsServer Start(IPEndPoint endpoint, MetricSet metrics)
    {
        var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // SO_REUSEADDR alone, so that a restart binds past the last scrapes' TIME_WAIT; .NET's
            // ReuseAddress would add SO_REUSEPORT, which lets a second process share the port.
            int one = 1;
            LibC.setsockopt((int)listener.Handle, LibC.SOL_SOCKET, LibC.SO_REUSEADDR, &one, sizeof(int));
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                listener.DualMode = endpoint.Address.Equals(IPAddress.IPv6Any);
            }
            listener.Bind(endpoint);
            listener.Listen(16);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new StartupException($"--metrics-listen {HostEndpoint.Format(endpoint)}: cannot listen: {e.Message}");
        }
        var server = new MetricsServer(listener, metrics);
        server._thread.Start();
        return server;
    }

    private void Serve()
    {
        byte[] request = new byte[MaxRequestBytes];
        while (!_stopping)
        {
            Socket client;
            try
            {
                client = _listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (_stopping)
                {
                    return;
                }
                Log.Warning($"metrics: accept failed: {e.Message}");
                Thread.Sleep(100);
                continue;
            }
            using (client)
            {
                try
                {
                    Answer(client, request);
                }
                catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
                {
                    // The scraper went away or was too slow: nothing to answer.
                }
            }
        }
    }

    private void Answer(Socket client, byte[] request)
    {
        client.ReceiveTimeout = (int)s_readTimeout.TotalMilliseconds;
        client.SendTimeout = (int)s_readTimeout.TotalMilliseconds;
        int length = 0;
        while (length < request.Length && request.AsSpan(0, length).IndexOf("\r\n\r\n"u8) < 0)
        {
            int read = client.Receive(request, length, request.Length - length, SocketFlags.None);
            if (read == 0)
            {
                return;
            }
            length += read;
        }
        if (request.AsSpan(0, length).IndexOf("\r\n\r\n"u8) < 0)
        {
            Send(client, "431 Request Header Fields Too Large", "request too large\n", head: false);
            return;
        }

        int lineEnd = request.AsSpan(0, length).IndexOf("\r\n"u8);
        string[] words = Encoding.ASCII.GetString(request, 0, lineEnd).Split(' ');
        if (words.Length != 3 || !words[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            Send(client, "400 Bad Request", "bad request\n", head: false);
            return;
        }
        bool head = words[0] == "HEAD";
        if (words[0] != "GET" && !head)
        {
            Send(client, "405 Method Not Allowed", "only GET and HEAD\n", head: false, allow: true);
            return;
        }
        string path = words[1];
        int query = path.IndexOf('?');
        if (query >= 0)
        {
            path = path.Substring(0, query);
        }
        if (path == "/metrics")
        {
            var text = new StringBuilder(4096);
            _metrics.WritePrometheus(text);
            Interlocked.Increment(ref _scrapes);
            Send(client, "200 OK", text.ToString(), head, contentType: "text/plain; version=0.0.4; charset=utf-8");
        }
        else if (path == "/")
        {
            Send(client, "200 OK", $"{Log.Program}: metrics at /metrics\n", head);
        }
        else
        {
            Send(client, "404 Not Found", "not found: metrics are at /metrics\n", head);
        }
    }

    private static void Send(Socket client, string status, string body, bool head, string contentType = "text/plain; charset=utf-8", bool allow = false)
    {
        byte[] content = Encoding.UTF8.GetBytes(body);
        string header = $"HTTP/1.1 {status}\r\nContent-Type: {contentType}\r\nContent-Length: {content.Length}\r\n" +
                        (allow ? "Allow: GET, HEAD\r\n" : "") + "Connection: close\r\n\r\n";
        client.Send(Encoding.ASCII.GetBytes(header));
        if (!head)
        {
            client.Send(content);
        }
        client.Shutdown(SocketShutdown.Send);
    }

    public void Dispose()
    {
        _stopping = true;
        _listener.Dispose();
        _thread.Join(TimeSpan.FromSeconds(10));
    }
}
