using System.Net;
using System.Net.Sockets;
using Postern.Interop;

namespace Postern.Reflector;

/// <summary>A UDP socket opened by the native shim, bound and ready for batch I/O.</summary>
public sealed class UdpSocket : IDisposable
{
    private int _fd;

    private UdpSocket(int fd, int ipVersion, IPAddress address, ushort port)
    {
        _fd = fd;
        IpVersion = ipVersion;
        Address = address;
        Port = port;
    }

    public int Fd => _fd;

    public int IpVersion { get; }

    public IPAddress Address { get; }

    public ushort Port { get; }

    /// <summary>Binds <paramref name="address"/>:<paramref name="port"/> with SO_REUSEPORT (so that
    /// every worker may bind the same one). An IPv6 wildcard takes IPv4 too; on a host without
    /// IPv6 it falls back to the IPv4 wildcard. Throws <see cref="SocketException"/> with the errno.</summary>
    public static unsafe UdpSocket Open(IPAddress address, ushort port, int bufferBytes)
    {
        int ipVersion = address.AddressFamily == AddressFamily.InterNetworkV6 ? 6 : 4;
        byte[] bytes = address.GetAddressBytes();
        int flags = Interop.Interop.UdpOpenReusePort;
        int error;
        int fd;
        ushort bound;
        fixed (byte* pointer = bytes)
        {
            error = Interop.Interop.UdpOpen(ipVersion, pointer, port, flags, bufferBytes, out fd, out bound);
        }
        if (error == Errno.EAFNOSUPPORT && address.Equals(IPAddress.IPv6Any))
        {
            return Open(IPAddress.Any, port, bufferBytes);
        }
        if (error != 0)
        {
            throw new IOException($"cannot bind udp:{ListenEndpoint.Format(address, port)}: {Errno.Describe(error)}");
        }
        return new UdpSocket(fd, ipVersion, address, bound);
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            Interop.Interop.Close(fd);
        }
    }
}
