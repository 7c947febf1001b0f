using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Postern.Map;

/// <summary>The HTTP/1.1 that UPnP description and control need (RFC 9112): one request per
/// connection (<c>Connection: close</c>), from this host's address towards the IGD (the address
/// AddPortMapping names as the internal client; HttpClient would need a ConnectCallback for
/// that), the whole answer read within one deadline and up to a size limit, its body framed by
/// Content-Length, chunked coding, or the connection's close. An IGD speaks plain HTTP/1.x on the
/// LAN. Measured under Native AOT: the UPnP client without its XML reading adds 66 KB to
/// postern-map, and System.Net.Http stays out of the binary (see postern-map.csproj for XML's
/// own path to it).</summary>
public static class UpnpHttp
{
    public const int MaxHeaderLength = 8 * 1024;

    /// <summary>Sends one request to an http <paramref name="url"/> whose host is an IP address;
    /// the status and body, or a problem (never a throw) when the IGD cannot be reached, is too
    /// slow, or answers something that is not HTTP/1.x within <paramref name="limit"/> bytes of body.</summary>
    public static (int Status, string? Body, string? Problem) Exchange(IPAddress local, Uri url, string method, IReadOnlyList<(string Name, string Value)> headers,
        string? body, int limit, TimeSpan timeout)
    {
        if (!IPAddress.TryParse(url.Host, out IPAddress? address) || address.AddressFamily != AddressFamily.InterNetwork)
        {
            return (0, null, $"{url.Host} is not an IPv4 address");
        }
        byte[] content = body is null ? Array.Empty<byte>() : Encoding.UTF8.GetBytes(body);
        var head = new StringBuilder();
        head.Append(method).Append(' ').Append(url.PathAndQuery).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(url.Host).Append(':').Append(url.Port.ToString(CultureInfo.InvariantCulture)).Append("\r\n")
            .Append("Connection: close\r\n");
        foreach ((string name, string value) in headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        if (body is not null)
        {
            head.Append("Content-Length: ").Append(content.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        }
        head.Append("\r\n");
        var clock = Stopwatch.StartNew();
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(local, 0));
            using (var connecting = new CancellationTokenSource(timeout))
            {
                socket.ConnectAsync(new IPEndPoint(address, url.Port), connecting.Token).AsTask().GetAwaiter().GetResult();
            }
            socket.NoDelay = true;
            socket.SendTimeout = (int)Math.Max(1, timeout.TotalMilliseconds);
            socket.Send(Encoding.ASCII.GetBytes(head.ToString()));
            if (content.Length > 0)
            {
                socket.Send(content);
            }
            return Read(socket, limit, clock, timeout);
        }
        catch (OperationCanceledException)
        {
            return (0, null, $"no connection to {url.Host}:{url.Port} within {timeout.TotalSeconds} s");
        }
        catch (SocketException e)
        {
            return (0, null, $"{url.Host}:{url.Port}: {e.Message}");
        }
    }

    /// <summary>Reads until the answer is complete by its framing, or the IGD closes (it was asked
    /// to), within the deadline and a size bound.</summary>
    private static (int Status, string? Body, string? Problem) Read(Socket socket, int limit, Stopwatch clock, TimeSpan timeout)
    {
        int max = MaxHeaderLength + limit + 1024;
        var buffer = new byte[Math.Min(max, 16 * 1024)];
        int total = 0;
        while (true)
        {
            TimeSpan left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero || !socket.Poll((int)Math.Max(1000, left.TotalMicroseconds), SelectMode.SelectRead))
            {
                return (0, null, $"no complete answer within {timeout.TotalSeconds} s");
            }
            if (total == buffer.Length)
            {
                if (buffer.Length >= max)
                {
                    return (0, null, $"an answer over {max} bytes");
                }
                Array.Resize(ref buffer, Math.Min(max, buffer.Length * 2));
            }
            int n = socket.Receive(buffer, total, buffer.Length - total, SocketFlags.None);
            total += n;
            (int status, string? body, string? problem) = Parse(buffer.AsSpan(0, total), limit, out bool complete);
            if (n == 0 || complete)
            {
                return (status, body, problem);
            }
        }
    }

    /// <summary>Status line, headers, body (RFC 9112 sections 4, 5, 6 and 7.1).</summary>
    /// <param name="complete">Set when the answer is all there by its own framing (or is broken
    /// beyond repair): no more bytes are needed.</param>
    public static (int Status, string? Body, string? Problem) Parse(ReadOnlySpan<byte> answer, int limit, out bool complete)
    {
        complete = true;
        int end = answer.IndexOf("\r\n\r\n"u8);
        if (end < 0 && answer.Length <= MaxHeaderLength)
        {
            complete = false;
            return (0, null, "an answer without the end of its headers");
        }
        if (end < 0 || end > MaxHeaderLength)
        {
            return (0, null, $"headers over {MaxHeaderLength} bytes");
        }
        foreach (byte b in answer[..end])
        {
            if (b is 0 or >= 0x80)
            {
                return (0, null, "headers with bytes that are not ASCII text");
            }
        }
        string[] lines = Encoding.ASCII.GetString(answer[..end]).Split("\r\n");
        string[] status = lines[0].Split(' ', 3);
        if (status.Length < 2 || !status[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || status[1].Length != 3 ||
            !int.TryParse(status[1], NumberStyles.None, CultureInfo.InvariantCulture, out int code) || code < 100)
        {
            return (0, null, $"not an HTTP/1.x status line: '{Shorten(lines[0])}'");
        }
        long? length = null;
        bool chunked = false;
        for (int i = 1; i < lines.Length; i++)
        {
            int colon = lines[i].IndexOf(':');
            if (colon <= 0)
            {
                return (0, null, $"a header line without a name: '{Shorten(lines[i])}'");
            }
            string name = lines[i][..colon].Trim();
            string value = lines[i][(colon + 1)..].Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long l) || (length is { } seen && seen != l))
                {
                    return (0, null, $"a Content-Length of '{Shorten(value)}'");
                }
                length = l;
            }
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                chunked = value.Equals("chunked", StringComparison.OrdinalIgnoreCase);
                if (!chunked)
                {
                    return (code, null, $"a Transfer-Encoding of '{Shorten(value)}'");
                }
            }
        }
        ReadOnlySpan<byte> rest = answer[(end + 4)..];
        byte[] body;
        if (chunked)
        {
            if (!TryDechunk(rest, limit, out body, out string? why, out bool cut))
            {
                complete = !cut;
                return (code, null, why);
            }
        }
        else if (length is { } l)
        {
            if (l > limit)
            {
                return (code, null, $"HTTP {code} with a {l}-byte body (at most {limit})");
            }
            if (rest.Length < l)
            {
                complete = false;
                return (code, null, $"HTTP {code} with {rest.Length} of its {l} body bytes");
            }
            body = rest[..(int)l].ToArray();
        }
        else
        {
            // Framed by the connection's close: complete only then (the caller knows).
            complete = false;
            body = rest.ToArray();
        }
        if (body.Length > limit)
        {
            return (code, null, $"HTTP {code} with a body over {limit} bytes");
        }
        return (code, Encoding.UTF8.GetString(body), null);
    }

    /// <summary>RFC 9112 section 7.1: hex size lines (extensions ignored), data, CRLF; a zero size ends it.</summary>
    private static bool TryDechunk(ReadOnlySpan<byte> rest, int limit, out byte[] body, out string? problem, out bool cut)
    {
        var output = new MemoryStream();
        body = Array.Empty<byte>();
        cut = false;
        while (true)
        {
            int line = rest.IndexOf("\r\n"u8);
            if (line < 0 && rest.Length <= 32)
            {
                cut = true;
                problem = "a chunked body cut short";
                return false;
            }
            if (line <= 0 || line > 32)
            {
                problem = "a chunked body with a broken size line";
                return false;
            }
            ReadOnlySpan<byte> size = rest[..line];
            int semicolon = size.IndexOf((byte)';');
            if (semicolon >= 0)
            {
                size = size[..semicolon];
            }
            if (!int.TryParse(Encoding.ASCII.GetString(size).Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int n) || n < 0)
            {
                problem = "a chunked body with a broken size line";
                return false;
            }
            rest = rest[(line + 2)..];
            if (n == 0)
            {
                body = output.ToArray();
                problem = null;
                return true;
            }
            if (output.Length + n > limit)
            {
                problem = $"a chunked body over {limit} bytes";
                return false;
            }
            if (rest.Length < n + 2)
            {
                cut = true;
                problem = "a chunked body cut short";
                return false;
            }
            if (rest[n] != '\r' || rest[n + 1] != '\n')
            {
                problem = "a chunked body with a chunk longer than its size";
                return false;
            }
            output.Write(rest[..n]);
            rest = rest[(n + 2)..];
        }
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "...";
}
