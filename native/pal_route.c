/* Route change notifications, so that `--auto` re-checks the IPv6 default route when the
 * routing table changes instead of polling it. */
#define _GNU_SOURCE
#include "pal_route.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int32_t PosternNative_RouteMonitorOpen(int32_t* fd)
{
    if (fd == NULL)
    {
        return EINVAL;
    }
    *fd = -1;

    int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
    if (s < 0)
    {
        return errno;
    }

    struct sockaddr_nl address;
    memset(&address, 0, sizeof address);
    address.nl_family = AF_NETLINK;
    address.nl_groups = RTMGRP_IPV6_ROUTE | RTMGRP_IPV6_IFADDR | RTMGRP_LINK;
    if (bind(s, (struct sockaddr*)&address, sizeof address) < 0)
    {
        int32_t error = errno;
        close(s);
        return error;
    }

    *fd = s;
    return 0;
}

int32_t PosternNative_RouteMonitorWait(int32_t fd, int32_t timeoutMs, int32_t* changed)
{
    if (fd < 0 || changed == NULL)
    {
        return EINVAL;
    }
    *changed = 0;

    struct pollfd ready = {.fd = fd, .events = POLLIN};
    int polled;
    do
    {
        polled = poll(&ready, 1, timeoutMs);
    } while (polled < 0 && errno == EINTR);
    if (polled < 0)
    {
        return errno;
    }

    char buffer[8192];
    for (;;)
    {
        ssize_t received = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (received > 0)
        {
            *changed = 1;
            continue;
        }
        if (received < 0 && errno == EINTR)
        {
            continue;
        }
        if (received < 0 && errno == ENOBUFS)
        {
            *changed = 1;
            continue;
        }
        if (received < 0 && errno != EAGAIN)
        {
            return errno;
        }
        return 0;
    }
}
