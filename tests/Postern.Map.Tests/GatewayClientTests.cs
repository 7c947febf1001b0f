using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Postern.Map;
using Postern.Wire;
using Xunit;

namespace Postern.Map.Tests;

/// <summary>The client against a scripted gateway on loopback: what it sends, that every datagram
/// that is not the answer is counted and ignored, and that a port with no server ends the exchange
/// at once.</summary>
public sealed class GatewayClientTests
{
    /// <summary>A gateway on 127.0.0.1 (an ephemeral port) that answers each request with what
    /// the script returns, sent from its own socket or, for wrong-source cases, from another.</summary>
    private sealed class ScriptedGateway : IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly Socket _stranger = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        private readonly Thread _thread;
        private volatile bool _stop;

        public ScriptedGateway(Func<byte[], IEnumerable<(bool FromStranger, byte[] Answer)>> script)
        {
            _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _stranger.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _thread = new Thread(() =>
            {
                var buffer = new byte[2048];
                while (!_stop)
                {
                    if (!_socket.Poll(100_000, SelectMode.SelectRead))
                    {
                        continue;
                    }
                    EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                    int n = _socket.ReceiveFrom(buffer, ref from);
                    byte[] request = buffer[..n];
                    lock (Requests)
                    {
                        Requests.Add(request);
                    }
                    foreach ((bool stranger, byte[] answer) in script(request))
                    {
                        (stranger ? _stranger : _socket).SendTo(answer, from);
                    }
                }
            }) { IsBackground = true };
            _thread.Start();
        }

        public List<byte[]> Requests { get; } = new();

        public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
            _socket.Dispose();
            _stranger.Dispose();
        }
    }

    private static byte[] PcpAnswerTo(byte[] request, byte result = 0, uint epoch = 100, ushort externalPort = 40000, string external = "203.0.113.1")
    {
        var answer = new byte[Pcp.MapLength];
        answer[0] = 2;
        answer[1] = 0x81;
        answer[3] = result;
        answer.AsSpan(4, 4).Clear();
        BinaryPrimitives.WriteUInt32BigEndian(answer.AsSpan(4), BinaryPrimitives.ReadUInt32BigEndian(request.AsSpan(4)));
        BinaryPrimitives.WriteUInt32BigEndian(answer.AsSpan(8), epoch);
        request.AsSpan(24, 20).CopyTo(answer.AsSpan(24));
        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(42), externalPort);
        Address16.From(IPAddress.Parse(external)).WriteTo(answer.AsSpan(44));
        return answer;
    }

    private static byte[] NatPmpAnswerTo(byte[] request, ushort result = 0, uint epoch = 100)
    {
        if (request[1] == 0)
        {
            var address = new byte[] { 0, 128, 0, 0, 0, 0, 0, 0, 203, 0, 113, 1 };
            BinaryPrimitives.WriteUInt16BigEndian(address.AsSpan(2), result);
            BinaryPrimitives.WriteUInt32BigEndian(address.AsSpan(4), epoch);
            return address;
        }
        var answer = new byte[16];
        answer[1] = (byte)(128 + request[1]);
        BinaryPrimitives.WriteUInt16BigEndian(answer.AsSpan(2), result);
        BinaryPrimitives.WriteUInt32BigEndian(answer.AsSpan(4), epoch);
        request.AsSpan(4, 2).CopyTo(answer.AsSpan(8));
        request.AsSpan(4, 2).CopyTo(answer.AsSpan(10));
        request.AsSpan(8, 4).CopyTo(answer.AsSpan(12));
        return answer;
    }

    private static GatewayClient Client(ScriptedGateway gateway, GatewayCounters counters, params GatewayProtocol[] protocols) =>
        new(IPAddress.Loopback, MapProtocol.Udp, new IPEndPoint(IPAddress.Any, 40000),
            protocols.Length == 0 ? new[] { GatewayProtocol.Pcp, GatewayProtocol.NatPmp } : protocols, counters, gateway.Port);

    [Fact]
    public void PcpIsGrantedPastAWrongNonceATruncatedAnswerAndAStrangersAnswer()
    {
        using var gateway = new ScriptedGateway(request =>
        {
            byte[] wrongNonce = PcpAnswerTo(request, externalPort: 1);
            wrongNonce[24] ^= 0xff;
            return new[] { (true, PcpAnswerTo(request, externalPort: 2)), (false, wrongNonce), (false, PcpAnswerTo(request)[..30]), (false, PcpAnswerTo(request)) };
        });
        var counters = new GatewayCounters();
        using GatewayClient client = Client(gateway, counters);
        GatewayGrant? grant = client.Map(7200);

        Assert.NotNull(grant);
        Assert.Equal(GatewayProtocol.Pcp, grant.Protocol);
        Assert.Equal(IPEndPoint.Parse("203.0.113.1:40000"), grant.External);
        Assert.Equal(TimeSpan.FromSeconds(7200), grant.Lifetime);
        // The stranger's answer (external port 2) never reaches the connected socket; the wrong
        // nonce and the truncated answer are read and ignored.
        Assert.Equal(2, counters.Ignored);
        Assert.Equal(1, counters.Granted(GatewayProtocol.Pcp));
        Assert.Equal(0, counters.Requests(GatewayProtocol.NatPmp));
    }

    [Fact]
    public void ANatPmpOnlyGatewayIsAskedWithNatPmpAfterItsVersionZeroAnswer()
    {
        using var gateway = new ScriptedGateway(request => request[0] == 2
            ? new[] { (false, new byte[] { 0, 129, 0, 1, 0, 0, 0, 100 }) }
            : new[] { (false, NatPmpAnswerTo(request)) });
        var counters = new GatewayCounters();
        using GatewayClient client = Client(gateway, counters);
        GatewayGrant? grant = client.Map(60);

        Assert.NotNull(grant);
        Assert.Equal(GatewayProtocol.NatPmp, grant.Protocol);
        Assert.Equal(IPEndPoint.Parse("203.0.113.1:40000"), grant.External);
        Assert.Equal(1, counters.Requests(GatewayProtocol.Pcp));
        Assert.Equal(1, counters.Granted(GatewayProtocol.NatPmp));

        // The renewal goes straight to NAT-PMP, the deletion asks for lifetime 0.
        Assert.NotNull(client.Map(60));
        Assert.Equal(1, counters.Renewals(GatewayProtocol.NatPmp));
        Assert.Equal(1, counters.Requests(GatewayProtocol.Pcp));
        Assert.Equal(0, counters.Deleted(GatewayProtocol.NatPmp));
        Assert.True(client.Delete());
        Assert.Equal(1, counters.Deleted(GatewayProtocol.NatPmp));
        byte[] last;
        lock (gateway.Requests)
        {
            last = gateway.Requests[^1];
        }
        Assert.Equal(new byte[] { 0, 1, 0, 0, 0x9c, 0x40, 0, 0, 0, 0, 0, 0 }, last);
    }

    [Fact]
    public void ARefusalIsCountedByItsResultCodeAndNoGrantComes()
    {
        using var gateway = new ScriptedGateway(request => request[0] == 2
            ? new[] { (false, PcpAnswerTo(request, result: 2)) }
            : new[] { (false, NatPmpAnswerTo(request, result: 3)) });
        var counters = new GatewayCounters();
        using GatewayClient client = Client(gateway, counters);

        Assert.Null(client.Map(7200));
        Assert.Equal(1, counters.PcpRefused(2));
        Assert.Equal(1, counters.NatPmpRefused(3));
        Assert.Equal(0, counters.Granted(GatewayProtocol.Pcp) + counters.Granted(GatewayProtocol.NatPmp));
    }

    [Fact]
    public void AnEpochThatWentBackIsALostStateAndTheMappingIsMadeAgain()
    {
        uint epoch = 1000;
        using var gateway = new ScriptedGateway(request => new[] { (false, PcpAnswerTo(request, epoch: epoch)) });
        var counters = new GatewayCounters();
        using GatewayClient client = Client(gateway, counters, GatewayProtocol.Pcp);
        Assert.NotNull(client.Map(120));
        Assert.False(client.LastEpochReset);
        epoch = 3; // the gateway restarted
        Assert.NotNull(client.Map(120));
        Assert.True(client.LastEpochReset);
        Assert.Equal(1, counters.EpochResets(GatewayProtocol.Pcp));
        Assert.Equal(0, counters.Renewals(GatewayProtocol.Pcp));
    }

    /// <summary>RFC 6886 section 3.1: an ICMP port unreachable for 5351 ends the retransmissions.
    /// Loopback answers a closed UDP port so (and rate-limits no ICMP there).</summary>
    [Theory]
    [InlineData(new[] { GatewayProtocol.Pcp, GatewayProtocol.NatPmp })]
    [InlineData(new[] { GatewayProtocol.NatPmp })]
    public void AClosedPortEndsTheExchangeAtOnceWithoutRetransmissions(GatewayProtocol[] protocols)
    {
        int closed;
        using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            closed = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }
        var counters = new GatewayCounters();
        using var client = new GatewayClient(IPAddress.Loopback, MapProtocol.Udp, new IPEndPoint(IPAddress.Any, 40000), protocols, counters, closed);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        Assert.Null(client.Map(7200));
        // One round trip, well under the first retransmission (250 ms).
        Assert.True(clock.Elapsed < GatewayClient.InitialRetransmit, clock.Elapsed.ToString());
        Assert.True(client.LastUnreachable);
        Assert.Equal(1, counters.Unreachable(protocols[0]));
        Assert.Equal(0, counters.Timeouts(GatewayProtocol.Pcp) + counters.Timeouts(GatewayProtocol.NatPmp));
        // The other protocol shares the port and is not asked.
        Assert.Equal(1, counters.Requests(GatewayProtocol.Pcp) + counters.Requests(GatewayProtocol.NatPmp));
    }

    [Fact]
    public void ASilentGatewayTimesOutWithinTheBoundedRetransmissions()
    {
        using var gateway = new ScriptedGateway(_ => Array.Empty<(bool, byte[])>());
        var counters = new GatewayCounters();
        using GatewayClient client = Client(gateway, counters);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Null(client.Map(7200));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), clock.Elapsed.ToString());
        Assert.Equal(1, counters.Timeouts(GatewayProtocol.Pcp));
        Assert.Equal(1, counters.Timeouts(GatewayProtocol.NatPmp));
        Assert.False(client.LastUnreachable);
        Assert.Equal(0, counters.Unreachable(GatewayProtocol.Pcp) + counters.Unreachable(GatewayProtocol.NatPmp));
        // 4 PCP tries, 4 NAT-PMP external-address tries.
        lock (gateway.Requests)
        {
            Assert.Equal(GatewayClient.Attempts * 2, gateway.Requests.Count);
        }
    }
}
