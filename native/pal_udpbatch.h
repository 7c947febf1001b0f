#pragma once

#include "pal_types.h"

enum
{
    PosternUdpOpenReusePort = 1, /* SO_REUSEPORT: one socket per worker thread on the same port */
    PosternUdpOpenV6Only = 2,    /* IPV6_V6ONLY: without it an AF_INET6 wildcard also takes IPv4 */
};

/* Opens a UDP socket of family 4 or 6 bound to address (4 or 16 bytes) and port, with the
 * options in flags (PosternUdpOpen*), packet info on receive when bound to a wildcard, and the buffer sizes given (0 for
 * the kernel's). *boundPort is the port bound (useful with port 0). Returns 0 or an errno. */
POSTERN_EXPORT int32_t PosternNative_UdpOpen(int32_t ipVersion, const uint8_t* address, uint16_t port, int32_t flags,
                                             int32_t bufferBytes, int32_t* fd, uint16_t* boundPort);

/* Waits up to timeoutMs for datagrams, then receives as many as are ready with one recvmmsg into
 * buffer, cut into slots of slotSize bytes, and describes them in datagrams[]. Returns 0 (with
 * *count 0 on a timeout) or an errno. */
POSTERN_EXPORT int32_t PosternNative_UdpReceiveBatch(int32_t fd, uint8_t* buffer, int32_t bufferLength, int32_t slotSize,
                                                     PosternUdpDatagram* datagrams, int32_t maxDatagrams,
                                                     int32_t timeoutMs, int32_t* count);

/* Sends count datagrams with sendmmsg, each to its Address/Port, from its LocalAddress when
 * Flags has PosternUdpFlagHasLocal. socketIpVersion is the family the socket was opened with.
 * Every datagram's Error is set (EINVAL for one that does not lie within the bufferLength bytes
 * of buffer, which is never read past); *sentCount counts those that went. Returns 0, or an
 * errno for a bad argument. */
POSTERN_EXPORT int32_t PosternNative_UdpSendBatch(int32_t fd, int32_t socketIpVersion, const uint8_t* buffer,
                                                  int32_t bufferLength, PosternUdpDatagram* datagrams, int32_t count,
                                                  int32_t* sentCount);
