using System.Globalization;
using System.Text.RegularExpressions;
using Postern.Testing;

namespace Postern.Punch.Integration.Tests;

/// <summary>The real postern-punch and postern-reflector binaries in a PunchLab: the reflector on
/// the public side (RFC 5780 addresses), one punch per site, the pairing code passed from the
/// first to the second the way a person would, and the punched line read back.</summary>
internal static class Punch
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static string Binary => Repository.Binary("postern-punch");

    public static string ReflectorBinary => Repository.Binary("postern-reflector");

    public const string Server = PunchLab.ReflectorAddress + ":3478";

    public static BackgroundProcess StartReflector(Netns host, string address = PunchLab.ReflectorAddress,
        string alternate = PunchLab.ReflectorAlternateAddress, params string[] extra)
    {
        BackgroundProcess reflector = host.Start(ReflectorBinary,
            new[] { "--listen", $"udp:{address}:3478", "--alternate", $"{alternate}:3479", "--stats-interval", "0" }.Concat(extra).ToArray());
        Assert.True(reflector.WaitForOutput("listening on", TimeSpan.FromSeconds(20)), "postern-reflector did not start:\n" + reflector.Output);
        return reflector;
    }

    public static BackgroundProcess Start(PunchSite site, params string[] arguments) => site.Host.Start(Binary, arguments);

    /// <summary>A runs connect without a code; B joins with the code A printed.</summary>
    public static (BackgroundProcess A, BackgroundProcess B) Pair(PunchLab lab, string[]? a = null, string[]? b = null)
    {
        BackgroundProcess first = Start(lab.A, new[] { "connect", "--server", Server }.Concat(a ?? Array.Empty<string>()).ToArray());
        try
        {
            string code = CodeOf(first);
            BackgroundProcess second = Start(lab.B, new[] { "connect", "--server", Server, "--code", code }.Concat(b ?? Array.Empty<string>()).ToArray());
            return (first, second);
        }
        catch
        {
            first.Dispose();
            throw;
        }
    }

    public static string CodeOf(BackgroundProcess first)
    {
        Assert.True(first.WaitForOutput("on the other host run:", Timeout), "no code printed:\n" + first.Output);
        Match match = Regex.Match(first.Output, @"^code: (\S+)$", RegexOptions.Multiline);
        Assert.True(match.Success, first.Output);
        return match.Groups[1].Value;
    }

    public static Punched WaitPunched(BackgroundProcess process, TimeSpan? timeout = null)
    {
        Assert.True(process.WaitForOutput("punched local=", timeout ?? Timeout), process.Command + " did not punch:\n" + process.Output);
        return Punched.Parse(process.Output);
    }

    public static int WaitExit(BackgroundProcess process, TimeSpan? timeout = null)
    {
        Assert.True(process.WaitForExit(timeout ?? Timeout), process.Command + " did not end:\n" + process.Output);
        return process.ExitCode;
    }

    /// <summary>A counter of postern-punch's closing stats line; a name that is not there fails.</summary>
    public static long Stat(BackgroundProcess process, string name) => Stat(process.Output, name);

    /// <summary>A counter of the closing stats line in <paramref name="output"/> (a log file).</summary>
    public static long Stat(string output, string name)
    {
        Match line = Regex.Match(output, @"stats: (.*)$", RegexOptions.Multiline);
        Assert.True(line.Success, "no stats line:\n" + output);
        Match value = Regex.Match(line.Groups[1].Value, @"(?:^| )" + Regex.Escape(name) + @"=(\d+)");
        Assert.True(value.Success, $"no {name} in: {line.Value}");
        return long.Parse(value.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}

/// <summary>"punched local=IP:PORT public=IP:PORT peer=IP:PORT path=... rtt=MS attempts=N".</summary>
internal sealed record Punched(string LocalIp, int LocalPort, string PublicIp, int PublicPort, string PeerIp, int PeerPort, string Path,
    double RttMilliseconds, int Attempts)
{
    public static Punched Parse(string output)
    {
        Match m = Regex.Match(output,
            @"^punched local=([\d.]+):(\d+) public=([\d.]+):(\d+) peer=([\d.]+):(\d+) path=(direct|lan|relay) rtt=([\d.]+) attempts=(\d+)$",
            RegexOptions.Multiline);
        Assert.True(m.Success, "no well-formed punched line in:\n" + output);
        int Int(int g) => int.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
        return new Punched(m.Groups[1].Value, Int(2), m.Groups[3].Value, Int(4), m.Groups[5].Value, Int(6), m.Groups[7].Value,
            double.Parse(m.Groups[8].Value, CultureInfo.InvariantCulture), Int(9));
    }
}

/// <summary>A reflector and a pair of connect runs in a lab (A makes the code, B joins), and the
/// steps every connect test takes with them; disposing stops all three.</summary>
internal sealed class PunchPair : IDisposable
{
    private PunchPair(BackgroundProcess reflector, BackgroundProcess a, BackgroundProcess b)
    {
        Reflector = reflector;
        A = a;
        B = b;
    }

    public BackgroundProcess Reflector { get; }
    public BackgroundProcess A { get; }
    public BackgroundProcess B { get; }

    public static PunchPair Start(PunchLab lab, string[]? a = null, string[]? b = null)
    {
        BackgroundProcess reflector = Punch.StartReflector(lab.Reflector);
        try
        {
            (BackgroundProcess first, BackgroundProcess second) = Punch.Pair(lab, a, b);
            return new PunchPair(reflector, first, second);
        }
        catch
        {
            reflector.Dispose();
            throw;
        }
    }

    /// <summary>Both punched lines; a side that does not punch fails with both sides' output.</summary>
    public (Punched A, Punched B) WaitPunched()
    {
        foreach (BackgroundProcess side in new[] { A, B })
        {
            Assert.True(side.WaitForOutput("punched local=", Punch.Timeout),
                $"{side.Command} did not punch.\n--- A:\n{A.Output}\n--- B:\n{B.Output}");
        }
        return (Punched.Parse(A.Output), Punched.Parse(B.Output));
    }

    /// <summary>Both punched lines, then both processes' exit status.</summary>
    public (Punched A, Punched B) WaitPunchedAndExit(int statusA = 0, int statusB = 0)
    {
        (Punched a, Punched b) = WaitPunched();
        Assert.Equal(statusA, Punch.WaitExit(A));
        Assert.Equal(statusB, Punch.WaitExit(B));
        return (a, b);
    }

    /// <summary>With --forward: both punched and holding the path.</summary>
    public (Punched A, Punched B) WaitForwarding()
    {
        (Punched a, Punched b) = WaitPunched();
        Assert.True(A.WaitForOutput("forwarding 127.0.0.1:", Punch.Timeout), A.Output);
        Assert.True(B.WaitForOutput("forwarding 127.0.0.1:", Punch.Timeout), B.Output);
        return (a, b);
    }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
        Reflector.Dispose();
    }
}
