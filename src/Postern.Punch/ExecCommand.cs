using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Postern.Punch;

/// <summary>--exec: the command with {local_port}, {public_ip}, {public_port}, {peer_ip} and
/// {peer_port} put in, run by /bin/sh once the punch socket is closed (so the program can bind
/// the warm port).</summary>
public static class ExecCommand
{
    public static readonly string[] Placeholders = { "{local_port}", "{public_ip}", "{public_port}", "{peer_ip}", "{peer_port}" };

    public static string Substitute(string command, int localPort, IPEndPoint publicEndPoint, IPEndPoint peer) =>
        command
            .Replace("{local_port}", localPort.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{public_ip}", Endpoints.Plain(publicEndPoint.Address).ToString(), StringComparison.Ordinal)
            .Replace("{public_port}", publicEndPoint.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{peer_ip}", Endpoints.Plain(peer.Address).ToString(), StringComparison.Ordinal)
            .Replace("{peer_port}", peer.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>Runs the command with the terminal's stdin, stdout and stderr and returns its
    /// exit status.</summary>
    public static int Run(string command)
    {
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using Process process = Process.Start(start)!;
        process.WaitForExit();
        return process.ExitCode;
    }
}
