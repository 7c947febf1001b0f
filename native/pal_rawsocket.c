/* Sends whole IP packets on a raw socket (the reply's source is the address the client asked,
 * which need not be local), in batches with sendmmsg. The socket itself is opened and configured
 * in C# (Postern.Interop.Sockets.OpenRaw). */
#define _GNU_SOURCE
#include "pal_rawsocket.h"
#include "pal_sendmmsg.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum
{
    SendChunk = 64,
};

/* Fills the destination from the packet's own header; returns 0 or EINVAL. */
static int32_t DestinationOf(const uint8_t* packet, int32_t length, uint32_t scopeId, struct sockaddr_in6* storage,
                             socklen_t* storageLength)
{
    memset(storage, 0, sizeof *storage);
    if (length >= 20 && (packet[0] >> 4) == 4)
    {
        struct sockaddr_in* v4 = (struct sockaddr_in*)storage;
        v4->sin_family = AF_INET;
        memcpy(&v4->sin_addr, packet + 16, 4);
        *storageLength = sizeof *v4;
        return 0;
    }
    if (length >= 40 && (packet[0] >> 4) == 6)
    {
        storage->sin6_family = AF_INET6;
        memcpy(&storage->sin6_addr, packet + 24, 16);
        storage->sin6_scope_id = scopeId;
        *storageLength = sizeof *storage;
        return 0;
    }
    return EINVAL;
}

int32_t PosternNative_RawSendBatch(int32_t fd, const uint8_t* buffer, int32_t bufferLength, PosternRawDatagram* datagrams,
                                   int32_t count, int32_t* sentCount)
{
    if (fd < 0 || sentCount == NULL || count < 0 || bufferLength < 0 ||
        (count > 0 && (buffer == NULL || datagrams == NULL)))
    {
        return EINVAL;
    }
    *sentCount = 0;

    struct mmsghdr messages[SendChunk];
    struct iovec vectors[SendChunk];
    struct sockaddr_in6 addresses[SendChunk];
    int32_t indexes[SendChunk];

    int32_t next = 0;
    while (next < count)
    {
        int32_t filled = 0;
        for (; next < count && filled < SendChunk; next++)
        {
            PosternRawDatagram* datagram = &datagrams[next];
            socklen_t addressLength = 0;
            /* Offset + Length is compared without the sum, which could overflow. */
            if (datagram->Offset < 0 || datagram->Length <= 0 || datagram->Offset > bufferLength ||
                datagram->Length > bufferLength - datagram->Offset ||
                DestinationOf(buffer + datagram->Offset, datagram->Length, datagram->ScopeId, &addresses[filled],
                              &addressLength) != 0)
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
            indexes[filled] = next;
            filled++;
        }

        int32_t errors[SendChunk];
        *sentCount += PosternSendAll(fd, messages, filled, errors);
        for (int32_t i = 0; i < filled; i++)
        {
            datagrams[indexes[i]].Error = errors[i];
        }
    }
    return 0;
}
