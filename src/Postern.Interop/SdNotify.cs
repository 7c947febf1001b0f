using System.Net.Sockets;
using System.Text;

namespace Postern.Interop;

/// <summary>systemd readiness without libsystemd: one datagram to $NOTIFY_SOCKET (sd_notify(3));
/// a leading '@' names an abstract socket.</summary>
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

    public static bool Ready() => Send("READY=1");

    public static bool Stopping() => Send("STOPPING=1");

    public static bool Status(string text) => Send("STATUS=" + text);
}
