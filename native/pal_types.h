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

/* One UDP datagram in a batch, for PosternNative_UdpReceiveBatch and PosternNative_UdpSendBatch.
 * The payload lives in the caller's buffer at Offset. Addresses are always 16 bytes: an IPv4
 * address is kept in its IPv4-mapped form (::ffff:a.b.c.d) and Family says 4, whether it came on
 * an AF_INET socket or on a dual-stack AF_INET6 one, so the caller never sees two spellings of
 * the same peer. LocalAddress is where a received datagram was addressed (IP_PKTINFO /
 * IPV6_PKTINFO); on send, a non-zero LocalAddress is the source to send from, so that a socket
 * bound to a wildcard answers from the address it was asked on. */
typedef struct
{
    int32_t Offset;
    int32_t Length;
    uint8_t Address[16];
    uint8_t LocalAddress[16];
    uint32_t ScopeId;
    uint32_t LocalIfIndex;
    uint16_t Port; /* host order */
    uint8_t Family; /* 4 or 6 */
    uint8_t Flags;  /* PosternUdpFlags */
    int32_t Error;  /* on send: 0 or an errno */
} PosternUdpDatagram;

enum
{
    PosternUdpFlagTruncated = 1, /* the datagram was longer than its slot (MSG_TRUNC) */
    PosternUdpFlagHasLocal = 2,  /* LocalAddress is set */
};

_Static_assert(sizeof(PosternUdpDatagram) == 56, "PosternUdpDatagram must stay 56 bytes");
