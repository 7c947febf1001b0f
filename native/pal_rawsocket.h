#pragma once

#include "pal_types.h"

/* Opens an IPPROTO_RAW socket of family 4 or 6 that takes whole IP packets (IP_HDRINCL,
 * IPV6_HDRINCL), marks what it sends with mark (SO_MARK, 0 for none) and has a send buffer of
 * sendBufferBytes. Returns 0 or an errno. */
POSTERN_EXPORT int32_t PosternNative_RawOpen(int32_t ipVersion, uint32_t mark, int32_t sendBufferBytes, int32_t* fd);

/* Sends count whole IP packets with one sendmmsg where the kernel allows, addressing each to
 * the destination in its own header. Every datagram's Error is set (EINVAL for one that does
 * not lie within the bufferLength bytes of buffer, which is never read past); *sentCount counts
 * those that went. Returns 0, or an errno for a bad argument. */
POSTERN_EXPORT int32_t PosternNative_RawSendBatch(int32_t fd, const uint8_t* buffer, int32_t bufferLength,
                                                  PosternRawDatagram* datagrams, int32_t count, int32_t* sentCount);

POSTERN_EXPORT int32_t PosternNative_Close(int32_t fd);
