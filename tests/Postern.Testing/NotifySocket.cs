using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Postern.Testing;

/// <summary>A stand-in for systemd's $NOTIFY_SOCKET: a Unix datagram socket under /tmp that a
/// test hands to a role and reads the role's sd_notify states from. Removed on dispose.</summary>
public sealed class NotifySocket : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly byte[] _buffer = new byte[512];

    public NotifySocket()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"postern-notify-{Environment.ProcessId}-{Guid.NewGuid():N}.sock");
        _socket.Bind(new UnixDomainSocketEndPoint(Path));
    }

    public string Path { get; }

    /// <summary>The next datagram; a SocketException when none comes in time.</summary>
    public string Receive(TimeSpan timeout)
    {
        _socket.ReceiveTimeout = Math.Max(1, (int)timeout.TotalMilliseconds);
        return Encoding.UTF8.GetString(_buffer, 0, _socket.Receive(_buffer));
    }

    /// <summary>The next datagram that is not a STATUS= update (those come with every counter line).</summary>
    public string ReceiveSkippingStatus(TimeSpan timeout)
    {
        string state;
        do
        {
            state = Receive(timeout);
        }
        while (state.StartsWith("STATUS=", StringComparison.Ordinal));
        return state;
    }

    /// <summary>How many WATCHDOG=1 pings come within <paramref name="during"/>.</summary>
    public int CountWatchdogPings(TimeSpan during)
    {
        var clock = Stopwatch.StartNew();
        int pings = 0;
        while (clock.Elapsed < during)
        {
            try
            {
                if (Receive(during - clock.Elapsed) == "WATCHDOG=1")
                {
                    pings++;
                }
            }
            catch (SocketException)
            {
                break;
            }
        }
        return pings;
    }

    /// <summary>Throws away what has come so far.</summary>
    public void Drain()
    {
        while (_socket.Available > 0)
        {
            _socket.Receive(_buffer);
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        File.Delete(Path);
    }
}
