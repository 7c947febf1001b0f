using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Postern.Testing;

namespace Postern.Arm64.Integration.Tests;

/// <summary>The arm64 postern-reflector, under qemu-user on loopback high ports, answers a real
/// STUN Binding request with the sender's address and any other datagram with the text line.</summary>
[Collection(Arm64Collection.Name)]
public sealed class ReflectorTests
{
    private const uint MagicCookie = 0x2112A442;

    private readonly Arm64Build _build;

    public ReflectorTests(Arm64Build build)
    {
        _build = build;
    }

    [Arm64Fact]
    public void Reflector_answers_stun_binding_and_the_text_line_on_loopback()
    {
        int port = FreeUdpPort();
        using BackgroundProcess reflector = Arm64Tools.Start(_build.Binary("postern-reflector"),
            "--listen", $"udp:127.0.0.1:{port}", "--workers", "1", "--stats-interval", "0");
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var server = new IPEndPoint(IPAddress.Loopback, port);
        var self = (IPEndPoint)client.Client.LocalEndPoint!;

        // RFC 8489 section 5: a Binding request with no attributes, and a new transaction ID.
        byte[] transaction = RandomNumberGenerator.GetBytes(12);
        byte[] request = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(request, 0x0001);
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(2), 0);
        BinaryPrimitives.WriteUInt32BigEndian(request.AsSpan(4), MagicCookie);
        transaction.CopyTo(request, 8);

        // The emulated start-up takes a few seconds: ask again until it answers.
        byte[] response = Ask(client, server, request, reflector);
        Assert.Equal(0x0101, BinaryPrimitives.ReadUInt16BigEndian(response)); // Binding success response
        Assert.Equal(response.Length - 20, BinaryPrimitives.ReadUInt16BigEndian(response.AsSpan(2)));
        Assert.Equal(MagicCookie, BinaryPrimitives.ReadUInt32BigEndian(response.AsSpan(4)));
        Assert.Equal(transaction, response.AsSpan(8, 12).ToArray());
        Assert.Equal(self, XorMappedAddress(response));

        // Not STUN: the legacy reflector's text line.
        byte[] text = Ask(client, server, Encoding.ASCII.GetBytes("hello\n"), reflector);
        Assert.Equal($"Your address is ('127.0.0.1', {self.Port})\n", Encoding.ASCII.GetString(text));

        reflector.Signal(15);
        Assert.True(reflector.WaitForExit(TimeSpan.FromSeconds(30)), "postern-reflector did not stop on SIGTERM:\n" + reflector.Output);
        Assert.True(reflector.ExitCode == 0, $"postern-reflector exited {reflector.ExitCode}:\n{reflector.Output}");
    }

    private static byte[] Ask(UdpClient client, IPEndPoint server, byte[] datagram, BackgroundProcess reflector)
    {
        client.Client.ReceiveTimeout = 500;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            Assert.False(reflector.HasExited, "postern-reflector exited:\n" + reflector.Output);
            client.Send(datagram, datagram.Length, server);
            try
            {
                IPEndPoint? from = null;
                byte[] answer = client.Receive(ref from);
                Assert.Equal(server, from);
                return answer;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.ConnectionRefused)
            {
                // Not listening yet (ICMP port unreachable) or not answered yet: ask again.
            }
        }
        throw new TimeoutException("postern-reflector did not answer in 60 s:\n" + reflector.Output);
    }

    /// <summary>RFC 8489 section 14.2: the address and port XORed with the magic cookie.</summary>
    private static IPEndPoint XorMappedAddress(ReadOnlySpan<byte> message)
    {
        ReadOnlySpan<byte> attributes = message[20..];
        while (attributes.Length >= 4)
        {
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(attributes);
            ushort length = BinaryPrimitives.ReadUInt16BigEndian(attributes[2..]);
            ReadOnlySpan<byte> value = attributes.Slice(4, length);
            if (type == 0x0020)
            {
                Assert.Equal(0x01, value[1]); // IPv4
                int port = BinaryPrimitives.ReadUInt16BigEndian(value[2..]) ^ (int)(MagicCookie >> 16);
                byte[] address = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(address, BinaryPrimitives.ReadUInt32BigEndian(value[4..]) ^ MagicCookie);
                return new IPEndPoint(new IPAddress(address), port);
            }
            attributes = attributes[Math.Min(attributes.Length, 4 + ((length + 3) & ~3))..];
        }
        throw new Xunit.Sdk.XunitException("no XOR-MAPPED-ADDRESS in the answer");
    }

    private static int FreeUdpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }
}
