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

/* What PosternNative_NfqReceive counts, in the caller's memory: the loop owns it, the shim adds to
 * it. A message the shim reads and cannot describe fully still gets a verdict when its packet id
 * can be found; only Unrecovered ones are left to the kernel. */
typedef struct
{
    int64_t Overruns;        /* the socket overran (ENOBUFS): the kernel dropped messages */
    int64_t Truncated;       /* messages cut short (MSG_TRUNC, or a length past the datagram) */
    int64_t Unparseable;     /* packet messages whose attributes did not parse */
    int64_t Unrecovered;     /* cut-short or unparseable packet messages without a readable id */
    int64_t StartupAccepted; /* packets read while the queue was being configured: accepted */
} PosternNfqCounters;

_Static_assert(sizeof(PosternNfqPacket) == 32, "PosternNfqPacket must stay 32 bytes");
_Static_assert(sizeof(PosternNfqCounters) == 40, "PosternNfqCounters must stay 40 bytes");
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

/* Which struct PosternNative_StructLayout describes. */
enum
{
    PosternLayoutNfqPacket = 0,
    PosternLayoutRawDatagram = 1,
    PosternLayoutUdpDatagram = 2,
    PosternLayoutNfqCounters = 3,
};

/* The size of one of the structs above and the offset of each of its fields in declaration order,
 * so that a test can check the C# mirrors against the compiler's layout. *fieldCount is the number
 * of fields (at most max are written). Returns 0, or EINVAL for an unknown struct. */
POSTERN_EXPORT int32_t PosternNative_StructLayout(int32_t which, int32_t* size, int32_t* offsets, int32_t max,
                                                  int32_t* fieldCount);
