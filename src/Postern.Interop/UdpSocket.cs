using System.Net;
using System.Net.Sockets;
using Postern.Hosting;

namespace Postern.Interop;

/// <summary>A bound UDP socket that C# opened itself, for the shim's batch I/O (recvmmsg and
/// sendmmsg on <see cref="Fd"/>): the reflector's listeners and postern-socks' association
/// sockets.</summary>
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

    /// <summary>4 for an AF_INET socket, 6 for an AF_INET6 (dual-stack) one.</summary>
    public int IpVersion { get; }

    /// <summary>The address bound: the one asked for, or the IPv4 wildcard it fell back to.</summary>
    public IPAddress Address { get; }

    /// <summary>The port bound (the ephemeral one the kernel chose when 0 was asked for).</summary>
    public ushort Port { get; }

    /// <summary>Binds <paramref name="address"/>:<paramref name="port"/> (SO_REUSEPORT when asked,
    /// so that every worker may bind the same one). The IPv6 wildcard takes IPv4 too; on a host
    /// without IPv6 it falls back to the IPv4 wildcard. Returns 0 or the errno.</summary>
    public static int TryOpen(IPAddress address, ushort port, bool reusePort, int bufferBytes, out UdpSocket? socket)
    {
        socket = null;
        int error = Sockets.OpenUdp(address, port, reusePort, bufferBytes, out FdHandle handle, out ushort bound);
        if (error == Errno.EAFNOSUPPORT && address.Equals(IPAddress.IPv6Any))
        {
            return TryOpen(IPAddress.Any, port, reusePort, bufferBytes, out socket);
        }
        if (error != 0)
        {
            return error;
        }
        socket = new UdpSocket(handle, address.AddressFamily == AddressFamily.InterNetworkV6 ? 6 : 4, address, bound);
        return 0;
    }

    /// <summary>Turns IP_RECVERR (IPV6_RECVERR) on: ICMP errors wait in the error queue
    /// (<see cref="ErrorQueue"/>) instead of failing the next call. Returns 0 or the errno.</summary>
    public int EnableErrorQueue() => ErrorQueue.Enable(Fd, IpVersion == 6);

    public void Dispose() => Handle.Dispose();
}
