using System.Net;
using System.Net.Sockets;
using Postern.Hosting;
using Postern.Interop;

namespace Postern.Reflector;

/// <summary>A bound UDP socket, ready for the shim's batch I/O.</summary>
public sealed class UdpSocket : IDisposable
{
    private UdpSocket(FdHandle handle, int ipVersion, IPAddress address, ushort port)
    {
        Handle = handle;
        IpVersion = ipVersion;
        Address = address;
        Port = port;
    }

    public FdHandle Handle { get; }

    public int Fd => Handle.Value;

    public int IpVersion { get; }

    public IPAddress Address { get; }

    public ushort Port { get; }

    /// <summary>Binds <paramref name="address"/>:<paramref name="port"/> with SO_REUSEPORT (so that
    /// every worker may bind the same one). An IPv6 wildcard takes IPv4 too; on a host without
    /// IPv6 it falls back to the IPv4 wildcard. Throws <see cref="IOException"/> naming the address.</summary>
    public static UdpSocket Open(IPAddress address, ushort port, int bufferBytes)
    {
        int error = Sockets.OpenUdp(address, port, reusePort: true, bufferBytes, out FdHandle handle, out ushort bound);
        if (error == Errno.EAFNOSUPPORT && address.Equals(IPAddress.IPv6Any))
        {
            return Open(IPAddress.Any, port, bufferBytes);
        }
        if (error != 0)
        {
            throw new IOException($"cannot bind udp:{ListenEndpoint.Format(address, port)}: {Errno.Describe(error)}");
        }
        return new UdpSocket(handle, address.AddressFamily == AddressFamily.InterNetworkV6 ? 6 : 4, address, bound);
    }

    public void Dispose() => Handle.Dispose();
}
