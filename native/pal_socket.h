/* Socket helpers shared by the shim's files; static inline so that they add no exported symbol. */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>

/* Sets a socket buffer size: the forced form first (SO_RCVBUFFORCE/SO_SNDBUFFORCE, which needs
 * CAP_NET_ADMIN and passes the kernel's cap), then the ordinary one, which the cap limits.
 * Returns 0 or the errno of the ordinary form. */
static inline int32_t PosternSetBufferSize(int fd, int forcedOption, int option, int32_t bytes)
{
    int size = bytes;
    if (setsockopt(fd, SOL_SOCKET, forcedOption, &size, sizeof size) == 0 ||
        setsockopt(fd, SOL_SOCKET, option, &size, sizeof size) == 0)
    {
        return 0;
    }
    return errno;
}
