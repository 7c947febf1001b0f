#pragma once

#include "pal_types.h"

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
