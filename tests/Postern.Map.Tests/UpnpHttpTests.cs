using System.Net;
using System.Net.Sockets;
using System.Text;
using Postern.Map;
using Xunit;

namespace Postern.Map.Tests;

/// <summary>The UPnP client's HTTP/1.1: framing by Content-Length, chunks or close, and the
/// bounds (size, time) that keep a broken or hostile IGD from holding postern-map.</summary>
public sealed class UpnpHttpTests
{
    private static (int, string?, string?) Parse(string answer, int limit = 1000) =>
        UpnpHttp.Parse(Encoding.ASCII.GetBytes(answer), limit, out _);

    [Fact]
    public void ContentLengthChunksAndCloseFrameTheBody()
    {
        Assert.Equal((200, "<a/>", (string?)null), Parse("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n<a/>trailing"));
        Assert.Equal((500, "<fault/>", (string?)null), Parse("HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\n<fa\r\n5\r\nult/>\r\n0\r\n\r\n"));
        (int status, string? body, string? problem) = UpnpHttp.Parse(Encoding.ASCII.GetBytes("HTTP/1.0 200 OK\r\nServer: x\r\n\r\n<root/>"), 1000, out bool complete);
        Assert.Equal((200, "<root/>", (string?)null), (status, body, problem));
        Assert.False(complete);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n<a/>", "4 of its 10", false)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 4", "without the end of its headers", false)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc", "cut short", false)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", "broken size line", true)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", "longer than its size", true)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "Transfer-Encoding", true)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "Content-Length", true)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length", true)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n", "at most 1000", true)]
    [InlineData("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "without a name", true)]
    [InlineData("SSH-2.0-OpenSSH_9.2\r\n\r\n", "not an HTTP/1.x status line", true)]
    [InlineData("HTTP/1.1 2000 OK\r\n\r\n", "not an HTTP/1.x status line", true)]
    public void ABrokenAnswerSaysWhyAndWhetherMoreCouldHelp(string answer, string why, bool complete)
    {
        (_, string? body, string? problem) = UpnpHttp.Parse(Encoding.ASCII.GetBytes(answer), 1000, out bool done);
        Assert.Null(body);
        Assert.Contains(why, problem, StringComparison.Ordinal);
        Assert.Equal(complete, done);
    }

    [Fact]
    public void ABodyOverTheLimitIsRefusedWhateverItsFraming()
    {
        string big = new('x', 1001);
        Assert.Contains("over 1000", Parse("HTTP/1.1 200 OK\r\n\r\n" + big).Item3, StringComparison.Ordinal);
        Assert.Contains("over 1000", Parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3e9\r\n" + big + "\r\n0\r\n\r\n").Item3, StringComparison.Ordinal);
        byte[] latin = Encoding.Latin1.GetBytes("HTTP/1.1 200 OK\r\nX: \u00ff\r\n\r\n");
        Assert.Contains("not ASCII", UpnpHttp.Parse(latin, 1000, out _).Problem, StringComparison.Ordinal);
    }

    /// <summary>A TCP server on loopback that reads the request and writes <paramref name="answer"/>
    /// in pieces, <paramref name="pause"/> apart, then holds the connection open for 10 s.</summary>
    private static (TcpListener Listener, Thread Thread, StringBuilder Request) Serve(string[] answer, TimeSpan pause)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var request = new StringBuilder();
        var thread = new Thread(() =>
        {
            using Socket client = listener.AcceptSocket();
            var buffer = new byte[4096];
            while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                int n = client.Receive(buffer);
                if (n == 0)
                {
                    return;
                }
                lock (request)
                {
                    request.Append(Encoding.ASCII.GetString(buffer, 0, n));
                }
            }
            try
            {
                foreach (string part in answer)
                {
                    client.Send(Encoding.ASCII.GetBytes(part));
                    Thread.Sleep(pause);
                }
                client.Poll(10_000_000, SelectMode.SelectRead);
            }
            catch (SocketException)
            {
                // The client gave up first: what the slow case tests.
            }
        }) { IsBackground = true };
        thread.Start();
        return (listener, thread, request);
    }

    [Fact]
    public void AnAnswerFramedByLengthEndsWithoutWaitingForTheClose()
    {
        (TcpListener listener, Thread thread, StringBuilder request) = Serve(new[] { "HTTP/1.1 200 OK\r\nContent-Le", "ngth: 7\r\n\r\n<ro", "ot/>" }, TimeSpan.FromMilliseconds(50));
        var url = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/ctl/IPConn");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        (int status, string? body, string? problem) = UpnpHttp.Exchange(IPAddress.Loopback, url, "POST", new[] { ("SOAPAction", "\"a#b\"") }, "<x/>", 1000, TimeSpan.FromSeconds(3));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), clock.Elapsed.ToString());
        Assert.Equal((200, "<root/>", (string?)null), (status, body, problem));
        string sent = request.ToString();
        Assert.StartsWith("POST /ctl/IPConn HTTP/1.1\r\n", sent, StringComparison.Ordinal);
        Assert.Contains($"\r\nHost: 127.0.0.1:{url.Port}\r\n", sent, StringComparison.Ordinal);
        Assert.Contains("\r\nConnection: close\r\n", sent, StringComparison.Ordinal);
        Assert.Contains("\r\nSOAPAction: \"a#b\"\r\n", sent, StringComparison.Ordinal);
        Assert.Contains("\r\nContent-Length: 4\r\n", sent, StringComparison.Ordinal);
        listener.Stop();
        thread.Join();
    }

    [Fact]
    public void ASlowIgdIsGivenUpAtTheDeadline()
    {
        (TcpListener listener, Thread thread, _) = Serve(new[] { "HTTP/1.1 200 OK\r\n", "Content-Length: 7\r\n", "\r\n<ro" }, TimeSpan.FromMilliseconds(400));
        var url = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/rootDesc.xml");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        (int status, string? body, string? problem) = UpnpHttp.Exchange(IPAddress.Loopback, url, "GET", Array.Empty<(string, string)>(), null, 1000, TimeSpan.FromSeconds(1));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(2));
        Assert.Null(body);
        Assert.Equal(0, status);
        Assert.Contains("within 1 s", problem, StringComparison.Ordinal);
        listener.Stop();
        thread.Join();
    }

    [Fact]
    public void NoServerIsAProblemNotAThrow()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        (int status, string? body, string? problem) = UpnpHttp.Exchange(IPAddress.Loopback, new Uri($"http://127.0.0.1:{port}/"), "GET", Array.Empty<(string, string)>(), null, 1000, TimeSpan.FromSeconds(1));
        Assert.Equal(0, status);
        Assert.Null(body);
        Assert.Contains($"127.0.0.1:{port}", problem, StringComparison.Ordinal);
        Assert.Contains("not an IPv4 address", UpnpHttp.Exchange(IPAddress.Loopback, new Uri("http://igd.example/"), "GET", Array.Empty<(string, string)>(), null, 1000, TimeSpan.FromSeconds(1)).Problem,
            StringComparison.Ordinal);
    }
}
