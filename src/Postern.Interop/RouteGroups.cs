namespace Postern.Interop;

/// <summary>Netlink route constants that Tmds.LibC does not carry (linux/netlink.h and
/// linux/rtnetlink.h). They are part of the kernel's user-space ABI, the same on every
/// architecture, so writing them here is safe where per-architecture libc values would not be.</summary>
public static class RouteGroups
{
    public const int NETLINK_ROUTE = 0;
    public const uint RTMGRP_LINK = 0x1;
    public const uint RTMGRP_IPV6_IFADDR = 0x100;
    public const uint RTMGRP_IPV6_ROUTE = 0x400;
}
