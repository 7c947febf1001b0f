using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Reflector.Integration.Tests;

/// <summary>The binary on this host's loopback, on ports the kernel picks (port 0), driven by the
/// test itself: rate limiting, STUN over TCP, readiness, signals and flags.</summary>
public class LoopbackTests
{
    private static byte[] BindingRequest(byte id)
    {
        var request = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(request, 0x0001);
        BinaryPrimitives.WriteUInt32BigEndian(request.AsSpan(4), 0x2112A442);
        request[19] = id;
        return request;
    }

    /// <summary>Sends <paramref name="count"/> requests from one socket as fast as it can and
    /// counts the answers that come back until a second passes without one.</summary>
    private static int Flood(UdpClient client, IPEndPoint server, int count)
    {
        for (int i = 0; i < count; i++)
        {
            client.Send(BindingRequest((byte)i), server);
        }
        return Drain(client, TimeSpan.FromSeconds(1));
    }

    private static int Drain(UdpClient client, TimeSpan quiet)
    {
        int answers = 0;
        client.Client.ReceiveTimeout = (int)quiet.TotalMilliseconds;
        try
        {
            var from = new IPEndPoint(IPAddress.Any, 0);
            while (true)
            {
                client.Receive(ref from);
                answers++;
            }
        }
        catch (SocketException)
        {
        }
        return answers;
    }

    [RootFact]
    public void RateLimitingHoldsAFloodToItsBudgetWhileAnotherSourceIsServed()
    {
        using BackgroundProcess reflector = Reflector.StartOnLoopback(null, "--listen", "udp:127.0.0.1:0",
            "--rate-limit", "10", "--rate-burst", "20", "--global-rate", "0");
        var server = new IPEndPoint(IPAddress.Loopback, Reflector.BoundPort(reflector, "udp:127.0.0.1"));

        using var flooder = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var bystander = new UdpClient(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int flooded = Flood(flooder, server, 2000);
        double seconds = clock.Elapsed.TotalSeconds;
        // Some of the burst is answered, and never more than the burst plus what 10/s refills
        // while the flood and the wait last (however slowly a loaded machine runs them).
        Assert.InRange(flooded, 1, 20 + (int)Math.Ceiling(10 * seconds) + 1);

        // Another source has its own budget: each request, sent alone, is answered.
        for (byte id = 0; id < 5; id++)
        {
            bystander.Send(BindingRequest(id), server);
            bystander.Client.ReceiveTimeout = 5000;
            var from = new IPEndPoint(IPAddress.Any, 0);
            Assert.Equal(id, bystander.Receive(ref from)[19]);
        }

        // The kernel may drop part of a flood before the reflector reads it, so the totals are not
        // exact; what is: every answer the clients got was counted, the flood was limited, and
        // nothing was counted as malformed.
        string line = Reflector.PollCounters(reflector, l => Reflector.Counter(l, "answered") >= flooded + 5, TimeSpan.FromSeconds(20));
        long answered = Reflector.Counter(line, "answered");
        long limited = Reflector.Counter(line, "rate-limited");
        Assert.InRange(answered, flooded + 5, 2005);
        Assert.InRange(limited, 1, 2000 - flooded);
        Assert.Equal(0, Reflector.Counter(line, "malformed"));
    }

    [RootFact]
    public void StunOverTcpAnswersEveryMessageOnOneConnection()
    {
        using BackgroundProcess reflector = Reflector.StartOnLoopback(null, "--listen", "tcp:127.0.0.1:0", "--software", "postern test");
        int port = Reflector.BoundPort(reflector, "tcp:127.0.0.1");
        using var client = new TcpClient(new IPEndPoint(IPAddress.Loopback, 0));
        client.Connect(IPAddress.Loopback, port);
        NetworkStream stream = client.GetStream();
        stream.ReadTimeout = 5000;
        var local = (IPEndPoint)client.Client.LocalEndPoint!;

        // Two requests in one write: framing comes from each header's length (RFC 8489 6.2.2).
        stream.Write(BindingRequest(1).Concat(BindingRequest(2)).ToArray());
        for (byte id = 1; id <= 2; id++)
        {
            var header = new byte[20];
            stream.ReadExactly(header);
            Assert.Equal(0x0101, BinaryPrimitives.ReadUInt16BigEndian(header));
            Assert.Equal(id, header[19]);
            var body = new byte[BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(2))];
            stream.ReadExactly(body);
            // XOR-MAPPED-ADDRESS first: the client's own address and port.
            Assert.Equal(0x0020, BinaryPrimitives.ReadUInt16BigEndian(body));
            Assert.Equal(local.Port, BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(6)) ^ 0x2112);
            Assert.Equal(new byte[] { 127, 0, 0, 1 }, body.AsSpan(8, 4).ToArray().Select((b, i) => (byte)(b ^ header[4 + i])).ToArray());
            Assert.Contains("postern test", Encoding.ASCII.GetString(body), StringComparison.Ordinal);
        }
    }

    [RootFact]
    public void TellsSystemdItIsReadyLogsCountersOnSigusr1AndStopsCleanlyOnSigterm()
    {
        using var notify = new NotifySocket();
        TimeSpan timeout = TimeSpan.FromSeconds(5);
        using BackgroundProcess reflector = Reflector.StartOnLoopback(new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Path },
            "--listen", "udp:127.0.0.1:0,tcp:127.0.0.1:0");
        Assert.StartsWith("READY=1\nSTATUS=listening on udp:127.0.0.1:", notify.Receive(timeout));
        Assert.StartsWith("postern-reflector: ready: listening on ", reflector.Output, StringComparison.Ordinal);

        // One SIGUSR1, one summary line: counted once the process has exited and all its
        // output is in, not after a sleep.
        reflector.Signal(10); // SIGUSR1
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Reflector.CounterLines(reflector.Output).Length == 0 && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            Thread.Sleep(20);
        }
        string[] lines = Reflector.CounterLines(reflector.Output);
        Assert.True(lines.Length > 0, reflector.Output);
        Assert.Equal(0, Reflector.Counter(lines[0], "answered"));
        Assert.False(reflector.HasExited);

        reflector.Signal(15); // SIGTERM
        Assert.True(reflector.WaitForExit(TimeSpan.FromSeconds(10)), "still running after SIGTERM");
        Assert.Equal(0, reflector.ExitCode);
        Assert.Contains("postern-reflector: stopping on SIGTERM\n", reflector.Output, StringComparison.Ordinal);
        Assert.Contains("postern-reflector: stopped\n", reflector.Output, StringComparison.Ordinal);
        // One counter line for the SIGUSR1, one at the stop: counted now that all output is in.
        Assert.Equal(2, Reflector.CounterLines(reflector.Output).Length);
        // STATUS= updates came with each counter line; STOPPING=1 is the last datagram.
        Assert.Equal("STOPPING=1\nSTATUS=stopping on SIGTERM", notify.ReceiveSkippingStatus(timeout));
    }

    [RootTheory]
    [InlineData("--listen", "udp:reflector.example:3478", "not an IP address")]
    [InlineData("--listen", "sctp:[::]:1", "must start with udp: or tcp:")]
    [InlineData("--alternate", "192.0.2.2:3479", "--alternate needs the first UDP --listen address to name the primary IP")]
    [InlineData("--workers", "many", "many")]
    [InlineData("--no-such-flag", "", "--no-such-flag")]
    public void BadFlagsGiveOneSentenceAndExitNonZero(string flag, string value, string expected)
    {
        CommandResult result = Shell.Run(Reflector.Binary, value.Length == 0 ? new[] { flag } : new[] { flag, value });
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("postern-reflector: ", result.Error, StringComparison.Ordinal);
    }

    [RootFact]
    public void VersionAndHelp()
    {
        string version = File.ReadAllText(Path.Combine(Repository.Root, "VERSION")).Trim();
        Assert.StartsWith(version, Shell.Check(Reflector.Binary, "--version").Trim(), StringComparison.Ordinal);
        string help = Shell.Check(Reflector.Binary, "--help");
        foreach (string flag in new[] { "--listen", "--alternate", "--strict-size", "--log-requests", "--software", "--rate-limit", "--no-rate-limit" })
        {
            Assert.Contains(flag, help, StringComparison.Ordinal);
        }
    }

    [RootFact]
    public void BindingAPortInUseFailsWithOneSentence()
    {
        using var taken = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)taken.Client.LocalEndPoint!).Port;
        CommandResult result = Shell.Run(Reflector.Binary, "--listen", $"udp:127.0.0.1:{port}");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"cannot bind udp:127.0.0.1:{port}", result.Error, StringComparison.Ordinal);
    }
}
