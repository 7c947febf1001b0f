using System.Globalization;
using System.Net;
using Postern.Testing;

namespace Postern.Reflector.Integration.Tests;

/// <summary>A UDP client run with Debian's python3 inside a namespace: from one source port it
/// sends datagrams at given offsets and prints every datagram it receives until its time is up,
/// each line stamped with CLOCK_MONOTONIC (one clock for every process on the host, so that two
/// clients' lines can be compared; a "sent" line has the time just before the send, so that
/// whatever it causes elsewhere is stamped later).</summary>
internal static class UdpScript
{
    private const string Script = """
        import socket, sys, time
        server = (sys.argv[1], int(sys.argv[2]))
        plan = [(float(a.split(':')[0]), bytes.fromhex(a.split(':')[1])) for a in sys.argv[5:]]
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(('0.0.0.0', int(sys.argv[3])))
        start = time.monotonic()
        end = start + float(sys.argv[4])
        while True:
            now = time.monotonic()
            while plan and now - start >= plan[0][0]:
                sending = time.monotonic()
                s.sendto(plan.pop(0)[1], server)
                print('sent %.6f' % sending, flush=True)
            if now >= end:
                break
            s.settimeout(max(min([end] + [start + d for d, _ in plan]) - now, 0.001))
            try:
                data, source = s.recvfrom(4096)
                print('recv %.6f %s:%d %s' % (time.monotonic(), source[0], source[1], data.hex()), flush=True)
            except socket.timeout:
                pass
        """;

    public sealed record Datagram(double Time, IPEndPoint Source, byte[] Bytes);

    public static string[] Arguments(string server, int serverPort, int sourcePort, double seconds, params (double At, byte[] Bytes)[] plan) =>
        new[] { "-c", Script, server, Str(serverPort), Str(sourcePort), seconds.ToString("0.###", CultureInfo.InvariantCulture) }
            .Concat(plan.Select(p => p.At.ToString("0.###", CultureInfo.InvariantCulture) + ":" + Convert.ToHexString(p.Bytes)))
            .ToArray();

    /// <summary>Runs it to the end inside <paramref name="host"/>.</summary>
    public static string Run(Netns host, string[] arguments, double seconds)
    {
        CommandResult result = host.Run(TimeSpan.FromSeconds(seconds + 20), "/usr/bin/python3", arguments);
        Assert.True(result.Succeeded, result.ToString());
        return result.Output;
    }

    public static BackgroundProcess Start(Netns host, string[] arguments) => host.Start("/usr/bin/python3", arguments);

    public static Datagram[] Received(string output) => output.Split('\n')
        .Where(line => line.StartsWith("recv ", StringComparison.Ordinal))
        .Select(line => line.Trim().Split(' '))
        .Select(f => new Datagram(double.Parse(f[1], CultureInfo.InvariantCulture), IPEndPoint.Parse(f[2]), Convert.FromHexString(f[3])))
        .ToArray();

    public static double[] Sent(string output) => output.Split('\n')
        .Where(line => line.StartsWith("sent ", StringComparison.Ordinal))
        .Select(line => double.Parse(line.Trim().Split(' ')[1], CultureInfo.InvariantCulture))
        .ToArray();

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);
}
