using System.Net;
using System.Net.Sockets;
using Postern.Hosting;
using Postern.Interop;

namespace Postern.Socks;

/// <summary>One UDP socket of an association, bound and with IP_RECVERR on, ready for the
/// shim's batch I/O.</summary>
public sealed class RelaySocket : IDisposable
{
    private RelaySocket(FdHandle handle, int ipVersion, ushort port)
    {
        Handle = handle;
        IpVersion = ipVersion;
        Port = port;
    }

    public FdHandle Handle { get; }

    public int Fd => Handle.Value;

    /// <summary>4 for an AF_INET socket, 6 for an AF_INET6 (dual-stack) one.</summary>
    public int IpVersion { get; }

    public ushort Port { get; }

    /// <summary>Binds <paramref name="address"/> on an ephemeral port; the IPv6 wildcard (a
    /// dual-stack socket, for a remote side that reaches either family) falls back to IPv4 on a
    /// host without IPv6. Throws <see cref="IOException"/>.</summary>
    public static RelaySocket Open(IPAddress address, int bufferBytes)
    {
        int error = Sockets.OpenUdp(address, 0, reusePort: false, bufferBytes, out FdHandle handle, out ushort port);
        if (error == Errno.EAFNOSUPPORT && address.Equals(IPAddress.IPv6Any))
        {
            return Open(IPAddress.Any, bufferBytes);
        }
        if (error != 0)
        {
            throw new IOException($"cannot bind a UDP relay socket on {address}: {Errno.Describe(error)}");
        }
        bool ipv6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        error = ErrorQueue.Enable(handle.Value, ipv6);
        if (error != 0)
        {
            handle.Dispose();
            throw new IOException($"cannot set IP_RECVERR on a UDP relay socket: {Errno.Describe(error)}");
        }
        return new RelaySocket(handle, ipv6 ? 6 : 4, port);
    }

    public void Dispose() => Handle.Dispose();
}
