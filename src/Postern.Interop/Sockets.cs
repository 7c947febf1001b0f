using System.Net;
using System.Net.Sockets;
using Postern.Hosting;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Postern.Interop;

/// <summary>The sockets Postern opens and configures in C#, through Tmds.LibC (whose constants
/// are this architecture's): UDP servers, raw senders, the route monitor. The shim only moves
/// batches on the descriptors these return. Errors come back as errno values, as from the shim.</summary>
public static unsafe class Sockets
{
    /// <summary>A UDP socket bound to <paramref name="address"/>:<paramref name="port"/>, with
    /// SO_REUSEPORT when asked (one socket per worker thread on one port), packet info on receive
    /// when bound to a wildcard (so answers leave from the address asked), and buffers of
    /// <paramref name="bufferBytes"/> (0: the kernel's). An IPv6 wildcard takes IPv4 too.</summary>
    public static int OpenUdp(IPAddress address, ushort port, bool reusePort, int bufferBytes, out FdHandle handle, out ushort boundPort)
    {
        boundPort = 0;
        bool ipv6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        int error = Open(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM, IPPROTO_UDP, out handle);
        if (error != 0)
        {
            return error;
        }
        int fd = handle.Value;
        bool wildcard = address.Equals(ipv6 ? IPAddress.IPv6Any : IPAddress.Any);
        if (reusePort)
        {
            error = SetInt(fd, SOL_SOCKET, SO_REUSEPORT, 1);
        }
        if (error == 0 && ipv6)
        {
            error = SetInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0);
            // IPv4 datagrams on a dual-stack socket report their destination as IPV6_PKTINFO with
            // a mapped address, and take one back on send (the kernel's ip_cmsg_send allows it).
            if (error == 0 && wildcard)
            {
                error = SetInt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
            }
        }
        else if (error == 0 && wildcard)
        {
            error = SetInt(fd, IPPROTO_IP, IP_PKTINFO, 1);
        }
        if (error == 0 && bufferBytes > 0)
        {
            // Best effort: unprivileged, the kernel's cap applies and that is not an error.
            SetBufferSize(fd, SO_RCVBUFFORCE, SO_RCVBUF, bufferBytes);
            SetBufferSize(fd, SO_SNDBUFFORCE, SO_SNDBUF, bufferBytes);
        }
        if (error == 0)
        {
            error = Bind(fd, address, port, out boundPort);
        }
        return Fail(error, ref handle);
    }

    /// <summary>An IPPROTO_RAW socket that takes whole IP packets (IP_HDRINCL / IPV6_HDRINCL),
    /// marks what it sends with <paramref name="mark"/> (SO_MARK, 0 for none; needs
    /// CAP_NET_ADMIN) and has a send buffer of <paramref name="sendBufferBytes"/>.</summary>
    public static int OpenRaw(int ipVersion, uint mark, int sendBufferBytes, out FdHandle handle)
    {
        if (ipVersion is not (4 or 6))
        {
            handle = new FdHandle();
            return EINVAL;
        }
        int error = Open(ipVersion == 4 ? AF_INET : AF_INET6, SOCK_RAW, IPPROTO_RAW, out handle);
        if (error != 0)
        {
            return error;
        }
        int fd = handle.Value;
        error = ipVersion == 4 ? SetInt(fd, IPPROTO_IP, IP_HDRINCL, 1) : SetInt(fd, IPPROTO_IPV6, IPV6_HDRINCL, 1);
        if (error == 0 && mark != 0)
        {
            error = SetInt(fd, SOL_SOCKET, SO_MARK, unchecked((int)mark));
        }
        if (error == 0 && sendBufferBytes > 0)
        {
            error = SetBufferSize(fd, SO_SNDBUFFORCE, SO_SNDBUF, sendBufferBytes);
        }
        return Fail(error, ref handle);
    }

    /// <summary>A non-blocking netlink route socket subscribed to <paramref name="groups"/>
    /// (<see cref="RouteGroups"/>).</summary>
    public static int OpenRouteMonitor(uint groups, out FdHandle handle)
    {
        int error = Open(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK, RouteGroups.NETLINK_ROUTE, out handle);
        if (error != 0)
        {
            return error;
        }
        var address = new SockaddrNetlink { Family = (ushort)AF_NETLINK, Groups = groups };
        if (bind(handle.Value, (sockaddr*)&address, (uint)sizeof(SockaddrNetlink)) != 0)
        {
            error = errno;
        }
        return Fail(error, ref handle);
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for the socket to have something to read.</summary>
    public static int WaitReadable(FdHandle handle, int timeoutMs, out bool readable)
    {
        readable = false;
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            var ready = new pollfd { fd = handle.Value, events = POLLIN };
            int result;
            do
            {
                result = poll(&ready, 1, timeoutMs);
            } while (result < 0 && errno == EINTR);
            if (result < 0)
            {
                return errno;
            }
            readable = result > 0;
            return 0;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Reads and throws away every datagram waiting on a non-blocking socket;
    /// <paramref name="any"/> is true when one came, or when the socket overran (ENOBUFS: some
    /// were lost, which a monitor must take as a change too).</summary>
    public static int Drain(FdHandle handle, out bool any)
    {
        any = false;
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            byte* buffer = stackalloc byte[8192];
            for (;;)
            {
                long received = recv(handle.Value, buffer, 8192, MSG_DONTWAIT);
                if (received > 0)
                {
                    any = true;
                    continue;
                }
                int error = received < 0 ? errno : 0;
                if (error == EINTR)
                {
                    continue;
                }
                if (error == ENOBUFS)
                {
                    any = true;
                    continue;
                }
                return error == EAGAIN ? 0 : error;
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private static int Open(int family, int type, int protocol, out FdHandle handle)
    {
        int fd = socket(family, type | SOCK_CLOEXEC, protocol);
        if (fd < 0)
        {
            handle = new FdHandle();
            return errno;
        }
        handle = new FdHandle(fd);
        return 0;
    }

    private static int Fail(int error, ref FdHandle handle)
    {
        if (error != 0)
        {
            handle.Dispose();
            handle = new FdHandle();
        }
        return error;
    }

    private static int SetInt(int fd, int level, int option, int value) =>
        setsockopt(fd, level, option, &value, sizeof(int)) == 0 ? 0 : errno;

    /// <summary>The forced form first (SO_RCVBUFFORCE/SO_SNDBUFFORCE, which needs CAP_NET_ADMIN
    /// and passes the kernel's cap), then the ordinary one, which the cap limits.</summary>
    private static int SetBufferSize(int fd, int forcedOption, int option, int bytes) =>
        SetInt(fd, SOL_SOCKET, forcedOption, bytes) == 0 ? 0 : SetInt(fd, SOL_SOCKET, option, bytes);

    private static int Bind(int fd, IPAddress address, ushort port, out ushort boundPort)
    {
        boundPort = 0;
        sockaddr_in6 storage = default;
        uint length;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            sockaddr_in* v4 = (sockaddr_in*)&storage;
            v4->sin_family = AF_INET;
            v4->sin_port = (ushort)IPAddress.HostToNetworkOrder((short)port);
            address.TryWriteBytes(new Span<byte>(&v4->sin_addr, 4), out _);
            length = (uint)sizeof(sockaddr_in);
        }
        else
        {
            storage.sin6_family = AF_INET6;
            storage.sin6_port = (ushort)IPAddress.HostToNetworkOrder((short)port);
            address.TryWriteBytes(new Span<byte>(&storage.sin6_addr, 16), out _);
            storage.sin6_scope_id = (uint)address.ScopeId;
            length = (uint)sizeof(sockaddr_in6);
        }
        if (bind(fd, (sockaddr*)&storage, length) != 0)
        {
            return errno;
        }
        socklen_t named = (uint)sizeof(sockaddr_in6);
        if (getsockname(fd, (sockaddr*)&storage, &named) != 0)
        {
            return errno;
        }
        // sin_port and sin6_port share their offset.
        boundPort = (ushort)IPAddress.NetworkToHostOrder((short)storage.sin6_port);
        return 0;
    }
}
