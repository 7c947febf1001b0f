#pragma once

#include "pal_types.h"

typedef struct PosternNfq PosternNfq;

/* Opens a netlink socket and binds it to one queue, with the fail-open flag set, packet copy
 * mode with copyRange bytes, the queue length and the receive buffer size given. Returns 0 or an
 * errno (EBUSY: another process has the queue; EPERM: no CAP_NET_ADMIN). */
POSTERN_EXPORT int32_t PosternNative_NfqOpen(uint16_t queueNumber, uint32_t queueMaxLength, uint32_t copyRange,
                                             int32_t receiveBufferBytes, PosternNfq** handle);

/* Waits up to timeoutMs (> 0) for packets, then receives as many as are ready (one recvmmsg) into
 * buffer, cut into slots of slotSize bytes, and describes them in packets[]. Returns 0 (with
 * *packetCount possibly 0 on a timeout or an overrun) or an errno. An overrun of the socket
 * (ENOBUFS) is not an error: it is counted in *counters, as are messages cut short or unparseable;
 * those whose packet id can be read are described with no payload, so that they get a verdict.
 * What was counted while the queue was being opened is added to *counters on the first call. */
POSTERN_EXPORT int32_t PosternNative_NfqReceive(PosternNfq* handle, uint8_t* buffer, int32_t bufferLength,
                                                int32_t slotSize, PosternNfqPacket* packets, int32_t maxPackets,
                                                int32_t timeoutMs, int32_t* packetCount, PosternNfqCounters* counters);

/* Sends one verdict per packet, all in as few netlink datagrams as fit (usually one). packetIds
 * and verdicts both hold count entries; verdicts[i] is NF_DROP (0) or NF_ACCEPT (1). Stops at the
 * first datagram that cannot be sent and returns its errno; *sentCount says how many verdicts
 * (from the first) went, so that the caller can retry the rest. Returns 0 when all went. */
POSTERN_EXPORT int32_t PosternNative_NfqVerdictBatch(PosternNfq* handle, const uint32_t* packetIds,
                                                     const uint8_t* verdicts, int32_t count, int32_t* sentCount);

/* Unbinds the queue and frees the handle. Packets still queued get the kernel's default. */
POSTERN_EXPORT void PosternNative_NfqClose(PosternNfq* handle);
