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

    /// <summary>Tells the systemd watchdog (WatchdogSec=) that the service is alive.</summary>
    public static bool Watchdog() => Send("WATCHDOG=1");

    /// <summary>How often to ping the watchdog: half of $WATCHDOG_USEC (sd_watchdog_enabled(3)),
    /// when it is set for this process ($WATCHDOG_PID absent or ours); null when there is none.</summary>
    public static TimeSpan? WatchdogInterval()
    {
        string? usec = Environment.GetEnvironmentVariable("WATCHDOG_USEC");
        if (!ulong.TryParse(usec, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong microseconds) ||
            microseconds == 0)
        {
            return null;
        }
        string? pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        if (!string.IsNullOrEmpty(pid) && pid != Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            return null;
        }
        return TimeSpan.FromTicks((long)Math.Min(microseconds / 2 * 10, (ulong)TimeSpan.FromDays(1).Ticks));
    }

    private static string OneLine(string text) => text.Replace('\n', ' ');
}
