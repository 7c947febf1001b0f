#pragma once

#include "pal_types.h"

/* Sends count whole IP packets with one sendmmsg where the kernel allows, addressing each to
 * the destination in its own header. Every datagram's Error is set (EINVAL for one that does
 * not lie within the bufferLength bytes of buffer, which is never read past); *sentCount counts
 * those that went. Returns 0, or an errno for a bad argument. */
POSTERN_EXPORT int32_t PosternNative_RawSendBatch(int32_t fd, const uint8_t* buffer, int32_t bufferLength,
                                                  PosternRawDatagram* datagrams, int32_t count, int32_t* sentCount);

