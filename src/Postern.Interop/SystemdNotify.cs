using System.Net.Sockets;
using System.Text;

namespace Postern.Interop;

/// <summary>sd_notify(3) without libsystemd: one datagram to the socket named by $NOTIFY_SOCKET
/// (a path, or an abstract name written with a leading '@'). Does nothing outside systemd.</summary>
public static class SystemdNotify
{
    /// <summary>Sends <paramref name="state"/> ("READY=1", "STOPPING=1", ...); returns false when
    /// there is no notify socket or the datagram could not be sent.</summary>
    public static bool Notify(string state)
    {
        string? path = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(path) || (path[0] != '/' && path[0] != '@'))
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
}
