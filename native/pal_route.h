#pragma once

#include "pal_types.h"

/* A netlink route socket subscribed to IPv6 route changes, so that a caller can re-check its
 * view of the routing table only when it changed. Returns 0 or an errno. */
POSTERN_EXPORT int32_t PosternNative_RouteMonitorOpen(int32_t* fd);

/* Waits up to timeoutMs for route change messages and drains them; *changed is 1 when any came
 * (or the socket overran, which means some were lost), else 0. Returns 0 or an errno. */
POSTERN_EXPORT int32_t PosternNative_RouteMonitorWait(int32_t fd, int32_t timeoutMs, int32_t* changed);
