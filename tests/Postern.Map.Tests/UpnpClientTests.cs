using System.Net;
using System.Net.Sockets;
using System.Text;
using Postern.Map;
using Xunit;

namespace Postern.Map.Tests;

/// <summary>The UPnP client against a scripted IGD on loopback: an SSDP responder (unicast: the
/// client is pointed at it instead of the group) and an HTTP server whose answers the test writes.</summary>
public sealed class UpnpClientTests
{
    private const string WanIp1 = "urn:schemas-upnp-org:service:WANIPConnection:1";

    /// <summary>Answers M-SEARCH with its description's LOCATION, after <c>junk</c> datagrams; serves
    /// /rootDesc.xml and POSTs to /ctl/IPConn with what <c>soap</c> returns for the SOAPAction and body.</summary>
    private sealed class ScriptedIgd : IDisposable
    {
        private readonly Socket _ssdp = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly TcpListener _http = new(IPAddress.Loopback, 0);
        private readonly Thread _ssdpThread;
        private readonly Thread _httpThread;
        private volatile bool _stop;

        public ScriptedIgd(Func<string, string, (int Status, string Body)> soap, string? description = null, IReadOnlyList<byte[]>? junk = null)
        {
            _ssdp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _http.Start();
            int httpPort = ((IPEndPoint)_http.LocalEndpoint).Port;
            string desc = description ?? "<?xml version=\"1.0\"?><root xmlns=\"urn:schemas-upnp-org:device-1-0\"><device><deviceList><device><deviceList><device>" +
                          $"<serviceList><service><serviceType>{WanIp1}</serviceType><controlURL>/ctl/IPConn</controlURL></service></serviceList>" +
                          "</device></deviceList></device></deviceList></device></root>";
            _ssdpThread = new Thread(() =>
            {
                var buffer = new byte[2048];
                while (!_stop)
                {
                    if (!_ssdp.Poll(100_000, SelectMode.SelectRead))
                    {
                        continue;
                    }
                    EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                    int n = _ssdp.ReceiveFrom(buffer, ref from);
                    string search = Encoding.ASCII.GetString(buffer, 0, n);
                    Interlocked.Increment(ref _searches);
                    foreach (byte[] j in junk ?? Array.Empty<byte[]>())
                    {
                        _ssdp.SendTo(j, from);
                    }
                    string st = search.Split("\r\n").First(l => l.StartsWith("ST: ", StringComparison.Ordinal))[4..];
                    _ssdp.SendTo(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nST: {st}\r\nLOCATION: http://127.0.0.1:{httpPort}/rootDesc.xml\r\n\r\n"), from);
                }
            }) { IsBackground = true };
            _httpThread = new Thread(() =>
            {
                while (!_stop)
                {
                    if (!_http.Server.Poll(100_000, SelectMode.SelectRead))
                    {
                        continue;
                    }
                    using TcpClient client = _http.AcceptTcpClient();
                    Serve(client.GetStream(), soap, desc);
                }
            }) { IsBackground = true };
            _ssdpThread.Start();
            _httpThread.Start();
        }

        private int _searches;

        public int Searches => Volatile.Read(ref _searches);

        public List<string> Actions { get; } = new();

        public IPEndPoint SsdpEndpoint => (IPEndPoint)_ssdp.LocalEndPoint!;

        private void Serve(NetworkStream stream, Func<string, string, (int, string)> soap, string description)
        {
            var head = new StringBuilder();
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
            {
                int b = stream.ReadByte();
                if (b < 0)
                {
                    return;
                }
                head.Append((char)b);
            }
            string[] lines = head.ToString().Split("\r\n");
            string Header(string name) => lines.FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))?[(name.Length + 1)..].Trim() ?? "";
            int length = int.TryParse(Header("Content-Length"), out int l) ? l : 0;
            var body = new byte[length];
            int read = 0;
            while (read < length)
            {
                read += stream.Read(body, read, length - read);
            }
            (int status, string answer) = lines[0].StartsWith("GET /rootDesc.xml ", StringComparison.Ordinal)
                ? (200, description)
                : Record(soap, Header("SOAPAction"), Encoding.UTF8.GetString(body));
            byte[] content = Encoding.UTF8.GetBytes(answer);
            byte[] response = Encoding.ASCII.GetBytes($"HTTP/1.1 {status} X\r\nContent-Type: text/xml\r\nContent-Length: {content.Length}\r\nConnection: close\r\n\r\n");
            stream.Write(response);
            stream.Write(content);
        }

        private (int, string) Record(Func<string, string, (int, string)> soap, string action, string body)
        {
            lock (Actions)
            {
                Actions.Add(action.Trim('"') + " " + body);
            }
            return soap(action.Trim('"'), body);
        }

        public void Dispose()
        {
            _stop = true;
            _ssdpThread.Join();
            _httpThread.Join();
            _ssdp.Dispose();
            _http.Stop();
        }
    }

    private static string Answer(string action, string arguments = "") =>
        "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>" +
        $"<u:{action}Response xmlns:u=\"{WanIp1}\">{arguments}</u:{action}Response></s:Body></s:Envelope>";

    private static string Fault(int code) =>
        "<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><s:Fault><faultcode>s:Client</faultcode>" +
        $"<faultstring>UPnPError</faultstring><detail><UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\"><errorCode>{code}</errorCode>" +
        $"<errorDescription>{UpnpSoap.ErrorName(code)}</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>";

    private static (int, string) Gateway(string action, string body, Func<string, (int, string)?>? add = null)
    {
        if (action == WanIp1 + "#GetExternalIPAddress")
        {
            return (200, Answer("GetExternalIPAddress", "<NewExternalIPAddress>203.0.113.40</NewExternalIPAddress>"));
        }
        if (action == WanIp1 + "#AddPortMapping")
        {
            return add?.Invoke(body) ?? (200, Answer("AddPortMapping"));
        }
        if (action == WanIp1 + "#DeletePortMapping")
        {
            return (200, Answer("DeletePortMapping"));
        }
        return (500, Fault(401));
    }

    [Fact]
    public void ItFindsTheIgdMapsThePortAndDeletesIt()
    {
        var junk = new[] { Encoding.ASCII.GetBytes("NOTIFY * HTTP/1.1\r\n\r\n"), new byte[] { 0, 1, 2 } };
        using var igd = new ScriptedIgd((a, b) => Gateway(a, b), junk: junk);
        var counters = new GatewayCounters();
        var client = new UpnpClient(IPAddress.Loopback, MapProtocol.Udp, 40000, counters, igd.SsdpEndpoint);

        Assert.Equal(IPAddress.Parse("203.0.113.40"), client.Map(7200, out uint granted));
        Assert.Equal(7200u, granted);
        Assert.Equal("/ctl/IPConn", client.ControlUrl!.AbsolutePath);
        Assert.Equal(1, counters.UpnpDiscoveries);
        Assert.Equal(1, counters.UpnpSearches);
        Assert.True(counters.UpnpIgnored >= 2, $"ignored {counters.UpnpIgnored}");
        string add = igd.Actions.Single(a => a.StartsWith(WanIp1 + "#AddPortMapping ", StringComparison.Ordinal));
        foreach (string argument in new[]
                 {
                     "<NewRemoteHost></NewRemoteHost>", "<NewExternalPort>40000</NewExternalPort>", "<NewProtocol>UDP</NewProtocol>",
                     "<NewInternalPort>40000</NewInternalPort>", "<NewInternalClient>127.0.0.1</NewInternalClient>", "<NewEnabled>1</NewEnabled>",
                     "<NewPortMappingDescription>postern-map</NewPortMappingDescription>", "<NewLeaseDuration>7200</NewLeaseDuration>",
                 })
        {
            Assert.Contains(argument, add, StringComparison.Ordinal);
        }

        // A renewal adds it again without searching.
        Assert.NotNull(client.Map(7200, out _));
        Assert.Equal(1, counters.UpnpSearches);
        Assert.Equal(2, counters.Requests(GatewayProtocol.Upnp));

        Assert.True(client.Delete());
        string delete = igd.Actions.Single(a => a.StartsWith(WanIp1 + "#DeletePortMapping ", StringComparison.Ordinal));
        Assert.Contains("<NewExternalPort>40000</NewExternalPort><NewProtocol>UDP</NewProtocol>", delete, StringComparison.Ordinal);
        Assert.Equal(0, counters.UpnpErrors);
    }

    [Fact]
    public void OnlyPermanentLeasesAreTakenWithLeaseZeroAndKeptSo()
    {
        using var igd = new ScriptedIgd((a, b) => Gateway(a, b, body =>
            body.Contains("<NewLeaseDuration>0</NewLeaseDuration>", StringComparison.Ordinal) ? null : (500, Fault(725))));
        var counters = new GatewayCounters();
        var client = new UpnpClient(IPAddress.Loopback, MapProtocol.Tcp, 40001, counters, igd.SsdpEndpoint);

        Assert.NotNull(client.Map(60, out uint granted));
        Assert.Equal(0u, granted);
        Assert.True(client.PermanentOnly);
        Assert.Equal(1, counters.UpnpRefused(725));
        Assert.NotNull(client.Map(60, out granted));
        Assert.Equal(0u, granted);
        Assert.Equal(1, counters.UpnpRefused(725));
        string[] adds = igd.Actions.Where(a => a.StartsWith(WanIp1 + "#AddPortMapping ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(3, adds.Length);
        Assert.All(adds, a => Assert.Contains("<NewProtocol>TCP</NewProtocol>", a, StringComparison.Ordinal));
    }

    [Fact]
    public void AConflictIsARefusalByItsCode()
    {
        using var igd = new ScriptedIgd((a, b) => Gateway(a, b, _ => (500, Fault(UpnpSoap.ConflictInMappingEntry))));
        var counters = new GatewayCounters();
        var client = new UpnpClient(IPAddress.Loopback, MapProtocol.Udp, 40002, counters, igd.SsdpEndpoint);

        Assert.Null(client.Map(7200, out _));
        Assert.Equal(1, counters.UpnpRefused(718));
        Assert.Equal(0, counters.UpnpErrors);
        Assert.Equal(1, counters.Requests(GatewayProtocol.Upnp));
    }

    [Theory]
    [InlineData(200, "<s:Envelope")]
    [InlineData(500, "<html>oops</html>")]
    [InlineData(302, "")]
    public void AMalformedAnswerIsCountedAndTheNextTrySearchesAgain(int status, string body)
    {
        using var igd = new ScriptedIgd((a, b) => a.EndsWith("#AddPortMapping", StringComparison.Ordinal) ? (status, body) : Gateway(a, b));
        var counters = new GatewayCounters();
        var client = new UpnpClient(IPAddress.Loopback, MapProtocol.Udp, 40003, counters, igd.SsdpEndpoint);

        Assert.Null(client.Map(7200, out _));
        Assert.Equal(1, counters.UpnpErrors);
        Assert.Null(client.ControlUrl);
        Assert.Null(client.Map(7200, out _));
        Assert.Equal(2, counters.UpnpSearches);
        Assert.Equal(2, counters.UpnpErrors);
    }

    [Fact]
    public void ADescriptionWithoutAWanServiceIsNoIgd()
    {
        using var igd = new ScriptedIgd((a, b) => Gateway(a, b), description: "<root><device><serviceList/></device></root>");
        var counters = new GatewayCounters();
        var client = new UpnpClient(IPAddress.Loopback, MapProtocol.Udp, 40004, counters, igd.SsdpEndpoint);

        Assert.Null(client.Map(7200, out _));
        Assert.Equal(0, counters.UpnpDiscoveries);
        Assert.True(counters.UpnpErrors >= 1);
        Assert.Empty(igd.Actions);
    }

    [Fact]
    public void NoIgdEndsAfterTheBoundedSearch()
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var counters = new GatewayCounters();
        var client = new UpnpClient(IPAddress.Loopback, MapProtocol.Udp, 40005, counters, (IPEndPoint)silent.LocalEndPoint!);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Null(client.Map(7200, out _));
        Assert.InRange(clock.Elapsed, UpnpClient.SearchWait * UpnpClient.SearchTries - TimeSpan.FromMilliseconds(100), UpnpClient.SearchWait * UpnpClient.SearchTries + TimeSpan.FromSeconds(2));
        Assert.Equal(UpnpClient.SearchTries, counters.UpnpSearches);
        Assert.Equal(0, counters.UpnpDiscoveries);
        Assert.Equal(0, counters.Requests(GatewayProtocol.Upnp));
    }
}
