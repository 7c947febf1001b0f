namespace Postern.Testing;

/// <summary>udppeer.py, a small UDP tool in Debian's python3 for the NAT labs: an echo server that
/// tells each sender its source ("seen IP:PORT"), a client that asks it from a chosen port, a
/// sender (with a TTL), a receiver, an ICMP-unreachable check and one side of a punch. Its
/// docstring lists the modes and what each prints.</summary>
public static class UdpPeer
{
    /// <summary>Debian's interpreter: the python3 on PATH may be a pyenv build (DESIGN.md).</summary>
    public const string Python = "/usr/bin/python3";

    public static string Script { get; } = Path.Combine(AppContext.BaseDirectory, "udppeer.py");

    /// <summary>Runs one mode to completion inside <paramref name="host"/>.</summary>
    public static CommandResult Run(Netns host, TimeSpan timeout, params string[] arguments) =>
        host.Run(timeout, Python, new[] { Script }.Concat(arguments).ToArray());

    /// <summary>Starts one mode in the background inside <paramref name="host"/> (ended with the
    /// namespace at the latest).</summary>
    public static BackgroundProcess Start(Netns host, params string[] arguments) =>
        host.Start(Python, new[] { Script }.Concat(arguments));

    /// <summary>Starts an echo server on the given ADDR:PORT endpoints and waits until it listens.</summary>
    public static BackgroundProcess StartEcho(Netns host, params string[] endpoints)
    {
        BackgroundProcess echo = Start(host, new[] { "echo" }.Concat(endpoints).ToArray());
        if (!echo.WaitForOutput("listening", TimeSpan.FromSeconds(10)))
        {
            throw new InvalidOperationException("udppeer echo did not start: " + echo.Output);
        }
        return echo;
    }
}
