/* UDP batches for servers that answer every datagram: in and out with recvmmsg and sendmmsg,
 * with the local address of each request (packet info) so that the answer leaves from the
 * address the client asked. The sockets are opened and configured in C#
 * (Postern.Interop.Sockets.OpenUdp), one SO_REUSEPORT socket per worker thread. */
#define _GNU_SOURCE
#include "pal_udpbatch.h"
#include "pal_sendmmsg.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum
{
    BatchChunk = 64,
    ControlBytes = 64, /* room for one in6_pktinfo (or in_pktinfo) control message */
};

_Static_assert(CMSG_SPACE(sizeof(struct in6_pktinfo)) <= ControlBytes, "control buffer too small");
_Static_assert(CMSG_SPACE(sizeof(struct in_pktinfo)) <= ControlBytes, "control buffer too small");

typedef union
{
    char bytes[ControlBytes];
    struct cmsghdr align;
} ControlBuffer;

/* What one batch of messages needs, in and out, on the stack. */
typedef struct
{
    struct mmsghdr messages[BatchChunk];
    struct iovec vectors[BatchChunk];
    struct sockaddr_in6 addresses[BatchChunk];
    ControlBuffer controls[BatchChunk];
} BatchStorage;

static const uint8_t MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static int IsMapped(const uint8_t* address)
{
    return memcmp(address, MappedPrefix, sizeof MappedPrefix) == 0;
}

static int IsZero(const uint8_t* address)
{
    static const uint8_t zero[16];
    return memcmp(address, zero, 16) == 0;
}

/* Fills a descriptor's peer from a received source address. */
static void DescribePeer(const struct sockaddr_in6* storage, PosternUdpDatagram* datagram)
{
    memset(datagram->Address, 0, sizeof datagram->Address);
    datagram->ScopeId = 0;
    if (storage->sin6_family == AF_INET)
    {
        const struct sockaddr_in* v4 = (const struct sockaddr_in*)storage;
        memcpy(datagram->Address, MappedPrefix, sizeof MappedPrefix);
        memcpy(datagram->Address + 12, &v4->sin_addr, 4);
        datagram->Port = ntohs(v4->sin_port);
        datagram->Family = 4;
        return;
    }
    memcpy(datagram->Address, &storage->sin6_addr, 16);
    datagram->Port = ntohs(storage->sin6_port);
    datagram->Family = IsMapped(datagram->Address) ? 4 : 6;
    datagram->ScopeId = storage->sin6_scope_id;
}

static void DescribeLocal(struct msghdr* header, PosternUdpDatagram* datagram)
{
    memset(datagram->LocalAddress, 0, sizeof datagram->LocalAddress);
    datagram->LocalIfIndex = 0;
    for (struct cmsghdr* control = CMSG_FIRSTHDR(header); control != NULL; control = CMSG_NXTHDR(header, control))
    {
        if (control->cmsg_level == IPPROTO_IP && control->cmsg_type == IP_PKTINFO)
        {
            struct in_pktinfo info;
            memcpy(&info, CMSG_DATA(control), sizeof info);
            memcpy(datagram->LocalAddress, MappedPrefix, sizeof MappedPrefix);
            memcpy(datagram->LocalAddress + 12, &info.ipi_addr, 4);
            datagram->LocalIfIndex = (uint32_t)info.ipi_ifindex;
            datagram->Flags |= PosternUdpFlagHasLocal;
        }
        else if (control->cmsg_level == IPPROTO_IPV6 && control->cmsg_type == IPV6_PKTINFO)
        {
            struct in6_pktinfo info;
            memcpy(&info, CMSG_DATA(control), sizeof info);
            memcpy(datagram->LocalAddress, &info.ipi6_addr, 16);
            datagram->LocalIfIndex = info.ipi6_ifindex;
            datagram->Flags |= PosternUdpFlagHasLocal;
        }
    }
}

int32_t PosternNative_UdpReceiveBatch(int32_t fd, uint8_t* buffer, int32_t bufferLength, int32_t slotSize,
                                      PosternUdpDatagram* datagrams, int32_t maxDatagrams, int32_t timeoutMs,
                                      int32_t* count)
{
    if (fd < 0 || buffer == NULL || datagrams == NULL || count == NULL || slotSize <= 0 || maxDatagrams <= 0 ||
        bufferLength < slotSize)
    {
        return EINVAL;
    }
    *count = 0;

    int32_t slots = bufferLength / slotSize;
    if (slots > maxDatagrams)
    {
        slots = maxDatagrams;
    }
    if (slots > BatchChunk)
    {
        slots = BatchChunk;
    }

    BatchStorage storage;
    struct mmsghdr* messages = storage.messages;
    struct iovec* vectors = storage.vectors;
    struct sockaddr_in6* addresses = storage.addresses;
    ControlBuffer* controls = storage.controls;

    for (int32_t i = 0; i < slots; i++)
    {
        vectors[i].iov_base = buffer + (size_t)i * (size_t)slotSize;
        vectors[i].iov_len = (size_t)slotSize;
        memset(&messages[i], 0, sizeof messages[i]);
        messages[i].msg_hdr.msg_name = &addresses[i];
        messages[i].msg_hdr.msg_namelen = sizeof addresses[i];
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
        messages[i].msg_hdr.msg_control = controls[i].bytes;
        messages[i].msg_hdr.msg_controllen = sizeof controls[i].bytes;
    }

    /* Under load datagrams are already waiting: try first and poll only when there are none,
     * so that a busy socket costs one system call per batch in. */
    int received;
    int polled = 0;
    for (;;)
    {
        received = recvmmsg(fd, messages, (unsigned int)slots, MSG_DONTWAIT, NULL);
        if (received >= 0)
        {
            break;
        }
        if (errno == EINTR)
        {
            continue;
        }
        if ((errno != EAGAIN && errno != EWOULDBLOCK) || polled)
        {
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : errno;
        }
        struct pollfd ready = {.fd = fd, .events = POLLIN};
        int result;
        do
        {
            result = poll(&ready, 1, timeoutMs);
        } while (result < 0 && errno == EINTR);
        if (result < 0)
        {
            return errno;
        }
        if (result == 0)
        {
            return 0;
        }
        polled = 1;
    }

    for (int i = 0; i < received; i++)
    {
        PosternUdpDatagram* datagram = &datagrams[i];
        datagram->Offset = i * slotSize;
        datagram->Flags = 0;
        datagram->Error = 0;
        uint32_t length = messages[i].msg_len;
        if ((messages[i].msg_hdr.msg_flags & MSG_TRUNC) != 0 || length > (uint32_t)slotSize)
        {
            datagram->Flags |= PosternUdpFlagTruncated;
            length = length > (uint32_t)slotSize ? (uint32_t)slotSize : length;
        }
        datagram->Length = (int32_t)length;
        DescribePeer(&addresses[i], datagram);
        DescribeLocal(&messages[i].msg_hdr, datagram);
    }
    *count = received;
    return 0;
}

/* Fills the destination and the source control message of one datagram; returns 0 or EINVAL. */
static int32_t PrepareSend(int32_t socketIpVersion, const PosternUdpDatagram* datagram, struct sockaddr_in6* storage,
                           socklen_t* storageLength, char* control, size_t* controlLength)
{
    memset(storage, 0, sizeof *storage);
    *controlLength = 0;
    int hasLocal = (datagram->Flags & PosternUdpFlagHasLocal) != 0 && !IsZero(datagram->LocalAddress);
    if (socketIpVersion == 4)
    {
        if (!IsMapped(datagram->Address))
        {
            return EINVAL;
        }
        struct sockaddr_in* v4 = (struct sockaddr_in*)storage;
        v4->sin_family = AF_INET;
        v4->sin_port = htons(datagram->Port);
        memcpy(&v4->sin_addr, datagram->Address + 12, 4);
        *storageLength = sizeof *v4;
        if (hasLocal && IsMapped(datagram->LocalAddress))
        {
            struct cmsghdr* header = (struct cmsghdr*)control;
            header->cmsg_level = IPPROTO_IP;
            header->cmsg_type = IP_PKTINFO;
            header->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
            struct in_pktinfo info;
            memset(&info, 0, sizeof info);
            memcpy(&info.ipi_spec_dst, datagram->LocalAddress + 12, 4);
            memcpy(CMSG_DATA(header), &info, sizeof info);
            *controlLength = CMSG_SPACE(sizeof(struct in_pktinfo));
        }
        return 0;
    }

    storage->sin6_family = AF_INET6;
    storage->sin6_port = htons(datagram->Port);
    memcpy(&storage->sin6_addr, datagram->Address, 16);
    storage->sin6_scope_id = datagram->ScopeId;
    *storageLength = sizeof *storage;
    if (hasLocal)
    {
        struct cmsghdr* header = (struct cmsghdr*)control;
        header->cmsg_level = IPPROTO_IPV6;
        header->cmsg_type = IPV6_PKTINFO;
        header->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
        struct in6_pktinfo info;
        memset(&info, 0, sizeof info);
        memcpy(&info.ipi6_addr, datagram->LocalAddress, 16);
        /* The interface matters only for link-local sources; a mapped source goes by address. */
        if (!IsMapped(datagram->LocalAddress))
        {
            info.ipi6_ifindex = datagram->LocalIfIndex;
        }
        memcpy(CMSG_DATA(header), &info, sizeof info);
        *controlLength = CMSG_SPACE(sizeof(struct in6_pktinfo));
    }
    return 0;
}

int32_t PosternNative_UdpSendBatch(int32_t fd, int32_t socketIpVersion, const uint8_t* buffer, int32_t bufferLength,
                                   PosternUdpDatagram* datagrams, int32_t count, int32_t* sentCount)
{
    if (fd < 0 || sentCount == NULL || count < 0 || bufferLength < 0 || (socketIpVersion != 4 && socketIpVersion != 6) ||
        (count > 0 && (buffer == NULL || datagrams == NULL)))
    {
        return EINVAL;
    }
    *sentCount = 0;

    BatchStorage storage;
    struct mmsghdr* messages = storage.messages;
    struct iovec* vectors = storage.vectors;
    struct sockaddr_in6* addresses = storage.addresses;
    ControlBuffer* controls = storage.controls;
    int32_t indexes[BatchChunk];

    int32_t next = 0;
    while (next < count)
    {
        int32_t filled = 0;
        for (; next < count && filled < BatchChunk; next++)
        {
            PosternUdpDatagram* datagram = &datagrams[next];
            socklen_t addressLength = 0;
            size_t controlLength = 0;
            memset(controls[filled].bytes, 0, sizeof controls[filled].bytes);
            /* Offset + Length is compared without the sum, which could overflow. */
            if (datagram->Offset < 0 || datagram->Length < 0 || datagram->Offset > bufferLength ||
                datagram->Length > bufferLength - datagram->Offset ||
                PrepareSend(socketIpVersion, datagram, &addresses[filled], &addressLength, controls[filled].bytes,
                            &controlLength) != 0)
            {
                datagram->Error = EINVAL;
                continue;
            }

            vectors[filled].iov_base = (void*)(buffer + datagram->Offset);
            vectors[filled].iov_len = (size_t)datagram->Length;
            memset(&messages[filled], 0, sizeof messages[filled]);
            messages[filled].msg_hdr.msg_name = &addresses[filled];
            messages[filled].msg_hdr.msg_namelen = addressLength;
            messages[filled].msg_hdr.msg_iov = &vectors[filled];
            messages[filled].msg_hdr.msg_iovlen = 1;
            messages[filled].msg_hdr.msg_control = controlLength != 0 ? controls[filled].bytes : NULL;
            messages[filled].msg_hdr.msg_controllen = controlLength;
            indexes[filled] = next;
            filled++;
        }

        int32_t errors[BatchChunk];
        *sentCount += PosternSendAll(fd, messages, filled, errors);
        for (int32_t i = 0; i < filled; i++)
        {
            datagrams[indexes[i]].Error = errors[i];
        }
    }
    return 0;
}
