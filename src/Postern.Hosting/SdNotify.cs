using System.Net.Sockets;
using System.Text;

namespace Postern.Hosting;

/// <summary>systemd readiness without libsystemd: one datagram to $NOTIFY_SOCKET (sd_notify(3));
/// a leading '@' names an abstract socket. Without $NOTIFY_SOCKET every call does nothing.</summary>
public static class SdNotify
{
    public static bool Send(string state)
    {
        string? path = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(path))
        {
            return false;
        }
        if (path[0] == '@')
        {
            path = "\0" + path.Substring(1);
        }
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.SendTo(Encoding.UTF8.GetBytes(state), new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>READY=1 with the one-line status, in one datagram.</summary>
    public static bool Ready(string status) => Send("READY=1\nSTATUS=" + OneLine(status));

    public static bool Stopping(string status) => Send("STOPPING=1\nSTATUS=" + OneLine(status));

    public static bool Status(string status) => Send("STATUS=" + OneLine(status));

    private static string OneLine(string text) => text.Replace('\n', ' ');
}
