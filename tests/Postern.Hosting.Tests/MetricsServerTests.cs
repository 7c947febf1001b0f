using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Postern.Hosting.Tests;

/// <summary>The /metrics endpoint on loopback, spoken to with raw HTTP so that every answer is seen
/// as a scraper sees it.</summary>
public sealed class MetricsServerTests : IDisposable
{
    private readonly MetricSet _metrics = new("example");
    private readonly MetricsServer _server;
    private long _answered;

    public MetricsServerTests()
    {
        _metrics.AddCounter("answered", "Queries answered.", () => Interlocked.Read(ref _answered));
        _server = MetricsServer.Start(new IPEndPoint(IPAddress.Loopback, 0), _metrics);
    }

    private string Ask(string request)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.ReceiveTimeout = 10_000;
        client.Connect(_server.Endpoint);
        client.Send(Encoding.ASCII.GetBytes(request));
        var answer = new MemoryStream();
        byte[] buffer = new byte[4096];
        int read;
        while ((read = client.Receive(buffer)) > 0)
        {
            answer.Write(buffer, 0, read);
        }
        return Encoding.UTF8.GetString(answer.ToArray());
    }

    [Fact]
    public void Get_Metrics_AnswersThePrometheusText_WithTheCurrentValues()
    {
        Interlocked.Add(ref _answered, 41);
        string first = Ask("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        Interlocked.Increment(ref _answered);
        string second = Ask("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", first);
        Assert.Contains("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n", first);
        Assert.EndsWith("\npostern_example_answered_total 41\n", first);
        Assert.EndsWith("\npostern_example_answered_total 42\n", second);
        Assert.Equal(2, _server.Scrapes);
    }

    [Fact]
    public void ContentLength_MatchesTheBody()
    {
        string answer = Ask("GET /metrics?x=1 HTTP/1.0\r\n\r\n");
        int split = answer.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        string header = answer.Substring(0, split);
        string body = answer.Substring(split + 4);

        Assert.Contains($"Content-Length: {Encoding.UTF8.GetByteCount(body)}", header);
    }

    [Fact]
    public void Head_HasHeadersOnly()
    {
        string answer = Ask("HEAD /metrics HTTP/1.1\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", answer);
        Assert.EndsWith("\r\n\r\n", answer);
    }

    [Theory]
    [InlineData("GET /other HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found")]
    [InlineData("POST /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 405 Method Not Allowed")]
    [InlineData("nonsense\r\n\r\n", "HTTP/1.1 400 Bad Request")]
    [InlineData("GET /metrics SPDY/3\r\n\r\n", "HTTP/1.1 400 Bad Request")]
    public void BadRequests_GetAnHttpError_AndTheServerGoesOn(string request, string status)
    {
        Assert.StartsWith(status + "\r\n", Ask(request));
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", Ask("GET /metrics HTTP/1.1\r\n\r\n"));
    }

    [Fact]
    public void OversizeRequest_IsRefused_AndTheServerGoesOn()
    {
        string huge = "GET /metrics HTTP/1.1\r\nX-Padding: " + new string('a', 20_000) + "\r\n\r\n";
        string answer;
        try
        {
            answer = Ask(huge);
        }
        catch (SocketException)
        {
            answer = "reset";
        }

        Assert.True(answer.StartsWith("HTTP/1.1 431", StringComparison.Ordinal) || answer == "reset", answer);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", Ask("GET /metrics HTTP/1.1\r\n\r\n"));
    }

    [Fact]
    public void AClientThatSaysNothing_DoesNotStopTheNextScrape()
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        silent.Connect(_server.Endpoint);
        silent.Send(Encoding.ASCII.GetBytes("GET /met"));

        // The silent client holds the one serving thread until its read times out (5 s).
        string answer = Ask("GET /metrics HTTP/1.1\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", answer);
    }

    [Fact]
    public void APortInUse_IsAStartupException_NamingTheFlag()
    {
        var error = Assert.Throws<StartupException>(() => MetricsServer.Start(_server.Endpoint, _metrics));
        Assert.StartsWith($"--metrics-listen 127.0.0.1:{_server.Endpoint.Port}: cannot listen: ", error.Message);
    }

    public void Dispose() => _server.Dispose();
}
