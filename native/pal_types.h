/* Types that cross the managed/native boundary. Only fixed-width fields, laid out so that the
 * C# mirrors in src/Postern.Interop need no packing attributes; the static asserts pin it. */
#pragma once

#include <stdint.h>

#define POSTERN_EXPORT __attribute__((visibility("default")))

/* One queued packet, filled by PosternNative_NfqReceive. The payload lives in the caller's
 * buffer at PayloadOffset; nothing here points into native memory. */
typedef struct
{
    uint32_t PacketId;
    uint32_t Mark;
    uint32_t InIfIndex;
    uint32_t OutIfIndex;
    int32_t PayloadOffset;
    int32_t PayloadLength;
    uint32_t OriginalLength; /* length on the wire, larger than PayloadLength when truncated */
    uint16_t HwProtocol;     /* ETH_P_IP / ETH_P_IPV6, host order */
    uint8_t Hook;            /* NF_INET_LOCAL_IN, ... */
    uint8_t Padding;
} PosternNfqPacket;

/* One datagram to send from a raw socket: a whole IP packet in the caller's buffer. The
 * destination is read from the packet's own header. Error is set to 0 or an errno. */
typedef struct
{
    int32_t Offset;
    int32_t Length;
    uint32_t ScopeId;
    int32_t Error;
} PosternRawDatagram;

_Static_assert(sizeof(PosternNfqPacket) == 32, "PosternNfqPacket must stay 32 bytes");
_Static_assert(sizeof(PosternRawDatagram) == 16, "PosternRawDatagram must stay 16 bytes");
