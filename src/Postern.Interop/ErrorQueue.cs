using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Postern.Interop;

/// <summary>ICMP errors on an unconnected UDP socket, read instead of suffered. Without
/// IP_RECVERR Linux drops them for an unconnected socket, which is fine; with it each one is
/// queued on the socket's error queue and also set as the socket's pending error, which the next
/// recvmmsg or sendmmsg returns (ECONNREFUSED and the like) in place of a datagram. A relay
/// that turns those into "the association failed" is what breaks punching through it. So the
/// relay asks for them, counts them, and carries on; and the error queue is drained (it is
/// charged to the receive buffer, and poll reports POLLERR while it holds anything).</summary>
public static unsafe class ErrorQueue
{
    /// <summary>Turns on IP_RECVERR (and, on an IPv6 socket, IPV6_RECVERR too, for the IPv6
    /// peers of a dual-stack socket).</summary>
    public static int Enable(int fd, bool ipv6)
    {
        int on = 1;
        int error = setsockopt(fd, SOL_IP, IP_RECVERR, &on, sizeof(int)) == 0 ? 0 : errno;
        if (ipv6)
        {
            error = setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &on, sizeof(int)) == 0 ? 0 : errno;
        }
        return error;
    }

    /// <summary>Whether a receive or send failed only because an ICMP error was pending (the
    /// errno values the kernel gives for ICMP and ICMPv6 destination unreachable, time
    /// exceeded and parameter problems).</summary>
    public static bool IsIcmpErrno(int error) =>
        error == ECONNREFUSED || error == EHOSTUNREACH || error == ENETUNREACH || error == EHOSTDOWN ||
        error == ENETDOWN || error == EPROTO || error == EMSGSIZE || error == ENOPROTOOPT || error == EACCES ||
        error == ETIMEDOUT;

    /// <summary>Reads every queued error without blocking: <paramref name="icmp"/> is how many came
    /// from ICMP or ICMPv6, <paramref name="other"/> the rest (local errors).</summary>
    public static int Drain(int fd, out int icmp, out int other)
    {
        icmp = 0;
        other = 0;
        byte* data = stackalloc byte[64];
        byte* control = stackalloc byte[256];
        byte* name = stackalloc byte[32];
        for (int rounds = 0; rounds < 1024; rounds++)
        {
            var vector = new iovec { iov_base = data, iov_len = 64 };
            var message = new msghdr
            {
                msg_name = name,
                msg_namelen = 32,
                msg_iov = &vector,
                msg_iovlen = 1,
                msg_control = control,
                msg_controllen = 256,
            };
            long result = recvmsg(fd, &message, MSG_ERRQUEUE | MSG_DONTWAIT);
            if (result < 0)
            {
                int error = errno;
                if (error == EINTR)
                {
                    continue;
                }
                return error == EAGAIN ? 0 : error;
            }
            bool fromIcmp = false;
            for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != null; header = CMSG_NXTHDR(&message, header))
            {
                if ((header->cmsg_level == SOL_IP && header->cmsg_type == IP_RECVERR) ||
                    (header->cmsg_level == SOL_IPV6 && header->cmsg_type == IPV6_RECVERR))
                {
                    var extended = (sock_extended_err*)CMSG_DATA(header);
                    fromIcmp = extended->ee_origin == SO_EE_ORIGIN_ICMP || extended->ee_origin == SO_EE_ORIGIN_ICMP6;
                }
            }
            if (fromIcmp)
            {
                icmp++;
            }
            else
            {
                other++;
            }
        }
        return 0;
    }
}
