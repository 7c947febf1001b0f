/* The NFQUEUE side of the shim: bind a queue, receive a batch of packets into a caller-owned
 * buffer with one recvmmsg, and send a batch of verdicts in one netlink datagram. libmnl and
 * libnetfilter_queue's nlmsg helpers do the message work; nothing calls back into managed code. */
#define _GNU_SOURCE
#include "pal_nfqueue.h"
#include "pal_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sys/time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

_Static_assert(NF_DROP == 0 && NF_ACCEPT == 1, "verdict values are mirrored in C#");

enum
{
    MaxBatch = 256,
    SendBufferSize = 16384,
    /* Room one verdict message takes: header, nfgenmsg, one NFQA_VERDICT_HDR attribute. */
    VerdictMessageRoom = 64,
};

struct PosternNfq
{
    struct mnl_socket* socket;
    uint32_t portId;
    uint32_t sequence;
    uint16_t queueNumber;
    int32_t receiveTimeoutMs; /* what SO_RCVTIMEO is set to now; -1 before the first receive */
    struct mmsghdr messages[MaxBatch];
    struct iovec vectors[MaxBatch];
    char sendBuffer[SendBufferSize];
};

static int32_t SendAndWaitForAck(PosternNfq* handle, struct nlmsghdr* message)
{
    message->nlmsg_flags |= NLM_F_ACK;
    message->nlmsg_seq = ++handle->sequence;
    if (mnl_socket_sendto(handle->socket, message, message->nlmsg_len) < 0)
    {
        return errno;
    }

    char reply[8192];
    for (;;)
    {
        ssize_t received = mnl_socket_recvfrom(handle->socket, reply, sizeof reply);
        if (received < 0)
        {
            if (errno == EINTR)
            {
                continue;
            }
            return errno;
        }

        int result = mnl_cb_run(reply, (size_t)received, handle->sequence, handle->portId, NULL, NULL);
        if (result == MNL_CB_ERROR)
        {
            return errno != 0 ? errno : EPROTO;
        }
        if (result == MNL_CB_STOP)
        {
            return 0;
        }
    }
}

int32_t PosternNative_NfqOpen(uint16_t queueNumber, uint32_t queueMaxLength, uint32_t copyRange,
                              int32_t receiveBufferBytes, PosternNfq** handle)
{
    if (handle == NULL || copyRange == 0 || copyRange > 0xFFFF)
    {
        return EINVAL;
    }
    *handle = NULL;

    PosternNfq* created = calloc(1, sizeof *created);
    if (created == NULL)
    {
        return ENOMEM;
    }
    created->queueNumber = queueNumber;
    created->receiveTimeoutMs = -1;

    created->socket = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
    if (created->socket == NULL)
    {
        int32_t error = errno;
        free(created);
        return error;
    }

    int32_t error = 0;
    if (mnl_socket_bind(created->socket, 0, MNL_SOCKET_AUTOPID) < 0)
    {
        error = errno;
        goto fail;
    }
    created->portId = mnl_socket_get_portid(created->socket);

    char buffer[512];
    struct nlmsghdr* message = nfq_nlmsg_put(buffer, NFQNL_MSG_CONFIG, queueNumber);
    nfq_nlmsg_cfg_put_cmd(message, AF_INET, NFQNL_CFG_CMD_BIND);
    if ((error = SendAndWaitForAck(created, message)) != 0)
    {
        goto fail;
    }

    message = nfq_nlmsg_put(buffer, NFQNL_MSG_CONFIG, queueNumber);
    nfq_nlmsg_cfg_put_params(message, NFQNL_COPY_PACKET, (int)copyRange);
    nfq_nlmsg_cfg_put_qmaxlen(message, queueMaxLength);
    /* Fail open: when the queue is full the kernel accepts instead of dropping. */
    mnl_attr_put_u32(message, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_FAIL_OPEN));
    mnl_attr_put_u32(message, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN));
    if ((error = SendAndWaitForAck(created, message)) != 0)
    {
        goto unbind;
    }

    if (receiveBufferBytes > 0)
    {
        error = PosternSetBufferSize(mnl_socket_get_fd(created->socket), SO_RCVBUFFORCE, SO_RCVBUF, receiveBufferBytes);
        if (error != 0)
        {
            goto unbind;
        }
    }

    *handle = created;
    return 0;

unbind:
    message = nfq_nlmsg_put(buffer, NFQNL_MSG_CONFIG, queueNumber);
    nfq_nlmsg_cfg_put_cmd(message, AF_INET, NFQNL_CFG_CMD_UNBIND);
    mnl_socket_sendto(created->socket, message, message->nlmsg_len);
fail:
    mnl_socket_close(created->socket);
    free(created);
    return error;
}

static uint32_t AttributeU32(const struct nlattr* attribute)
{
    return attribute != NULL ? ntohl(mnl_attr_get_u32(attribute)) : 0;
}

int32_t PosternNative_NfqReceive(PosternNfq* handle, uint8_t* buffer, int32_t bufferLength, int32_t slotSize,
                                 PosternNfqPacket* packets, int32_t maxPackets, int32_t timeoutMs,
                                 int32_t* packetCount, int32_t* overruns)
{
    if (handle == NULL || buffer == NULL || packets == NULL || packetCount == NULL || overruns == NULL ||
        slotSize < 256 || bufferLength < slotSize || maxPackets < 1 || timeoutMs < 1)
    {
        return EINVAL;
    }
    *packetCount = 0;

    int fd = mnl_socket_get_fd(handle->socket);
    /* The wait is the receive's own (SO_RCVTIMEO with MSG_WAITFORONE), not a poll before it:
     * one system call per batch fewer, which counts most when batches are small. */
    if (timeoutMs != handle->receiveTimeoutMs)
    {
        struct timeval timeout = {.tv_sec = timeoutMs / 1000, .tv_usec = (timeoutMs % 1000) * 1000};
        if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) < 0)
        {
            return errno;
        }
        handle->receiveTimeoutMs = timeoutMs;
    }

    int32_t slots = bufferLength / slotSize;
    if (slots > maxPackets)
    {
        slots = maxPackets;
    }
    if (slots > MaxBatch)
    {
        slots = MaxBatch;
    }
    for (int32_t i = 0; i < slots; i++)
    {
        handle->vectors[i].iov_base = buffer + (size_t)i * (size_t)slotSize;
        handle->vectors[i].iov_len = (size_t)slotSize;
        memset(&handle->messages[i], 0, sizeof handle->messages[i]);
        handle->messages[i].msg_hdr.msg_iov = &handle->vectors[i];
        handle->messages[i].msg_hdr.msg_iovlen = 1;
    }

    int received;
    do
    {
        received = recvmmsg(fd, handle->messages, (unsigned int)slots, MSG_WAITFORONE, NULL);
    } while (received < 0 && errno == EINTR);
    if (received < 0)
    {
        if (errno == ENOBUFS)
        {
            /* The socket overran and the kernel dropped messages (those packets were accepted
             * or dropped by the kernel per fail-open); the socket itself keeps working. */
            (*overruns)++;
            return 0;
        }
        return errno == EAGAIN ? 0 : errno;
    }

    int32_t count = 0;
    for (int i = 0; i < received; i++)
    {
        int remaining = (int)handle->messages[i].msg_len;
        const struct nlmsghdr* message = handle->vectors[i].iov_base;
        /* nfnetlink_queue sends one packet per datagram; the loop still walks every message. */
        for (; mnl_nlmsg_ok(message, remaining) && count < maxPackets; message = mnl_nlmsg_next(message, &remaining))
        {
            if (message->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
            {
                continue;
            }

            struct nlattr* attributes[NFQA_MAX + 1];
            memset(attributes, 0, sizeof attributes);
            if (nfq_nlmsg_parse(message, attributes) < 0 || attributes[NFQA_PACKET_HDR] == NULL)
            {
                continue;
            }

            const struct nfqnl_msg_packet_hdr* header = mnl_attr_get_payload(attributes[NFQA_PACKET_HDR]);
            PosternNfqPacket* packet = &packets[count++];
            memset(packet, 0, sizeof *packet);
            packet->PacketId = ntohl(header->packet_id);
            packet->HwProtocol = ntohs(header->hw_protocol);
            packet->Hook = header->hook;
            packet->Mark = AttributeU32(attributes[NFQA_MARK]);
            packet->InIfIndex = AttributeU32(attributes[NFQA_IFINDEX_INDEV]);
            packet->OutIfIndex = AttributeU32(attributes[NFQA_IFINDEX_OUTDEV]);
            if (attributes[NFQA_PAYLOAD] != NULL)
            {
                const uint8_t* payload = mnl_attr_get_payload(attributes[NFQA_PAYLOAD]);
                packet->PayloadOffset = (int32_t)(payload - buffer);
                packet->PayloadLength = (int32_t)mnl_attr_get_payload_len(attributes[NFQA_PAYLOAD]);
            }
            packet->OriginalLength = attributes[NFQA_CAP_LEN] != NULL ? AttributeU32(attributes[NFQA_CAP_LEN])
                                                                       : (uint32_t)packet->PayloadLength;
        }
    }

    *packetCount = count;
    return 0;
}

static int32_t SendVerdicts(PosternNfq* handle, size_t length)
{
    for (;;)
    {
        if (mnl_socket_sendto(handle->socket, handle->sendBuffer, length) >= 0)
        {
            return 0;
        }
        if (errno != EINTR)
        {
            return errno;
        }
    }
}

int32_t PosternNative_NfqVerdictBatch(PosternNfq* handle, const uint32_t* packetIds, const uint8_t* verdicts,
                                      int32_t count)
{
    if (handle == NULL || count < 0 || (count > 0 && (packetIds == NULL || verdicts == NULL)))
    {
        return EINVAL;
    }

    size_t used = 0;
    int32_t firstError = 0;
    for (int32_t i = 0; i < count; i++)
    {
        if (used + VerdictMessageRoom > SendBufferSize)
        {
            int32_t error = SendVerdicts(handle, used);
            firstError = firstError != 0 ? firstError : error;
            used = 0;
        }

        struct nlmsghdr* message = nfq_nlmsg_put(handle->sendBuffer + used, NFQNL_MSG_VERDICT, handle->queueNumber);
        nfq_nlmsg_verdict_put(message, (int)packetIds[i], verdicts[i] == NF_DROP ? NF_DROP : NF_ACCEPT);
        used += NLMSG_ALIGN(message->nlmsg_len);
    }

    if (used > 0)
    {
        int32_t error = SendVerdicts(handle, used);
        firstError = firstError != 0 ? firstError : error;
    }
    return firstError;
}

void PosternNative_NfqClose(PosternNfq* handle)
{
    if (handle == NULL)
    {
        return;
    }

    char buffer[256];
    struct nlmsghdr* message = nfq_nlmsg_put(buffer, NFQNL_MSG_CONFIG, handle->queueNumber);
    nfq_nlmsg_cfg_put_cmd(message, AF_INET, NFQNL_CFG_CMD_UNBIND);
    mnl_socket_sendto(handle->socket, message, message->nlmsg_len);
    mnl_socket_close(handle->socket);
    free(handle);
}
