/* The NFQUEUE side of the shim: bind a queue, receive a batch of packets into a caller-owned
 * buffer with one recvmmsg, and send a batch of verdicts in one netlink datagram. libmnl and
 * libnetfilter_queue's nlmsg helpers do the message work; nothing calls back into managed code. */
#define _GNU_SOURCE
#include "pal_nfqueue.h"
#include "pal_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sys/time.h>
#include <time.h>
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
    /* Tries for a start-up verdict when the kernel is short of buffers (ENOBUFS/EAGAIN). */
    StartupVerdictAttempts = 8,
    /* How long the open waits for the kernel's acknowledgement of its configuration. */
    AckTimeoutSeconds = 5,
};

struct PosternNfq
{
    struct mnl_socket* socket;
    uint32_t portId;
    uint32_t sequence;
    uint16_t queueNumber;
    int32_t receiveTimeoutMs; /* what SO_RCVTIMEO is set to now; -1 before the first receive */
    PosternNfqCounters pending; /* counted while opening, handed to the first receive's counters */
    struct mmsghdr messages[MaxBatch];
    struct iovec vectors[MaxBatch];
    char sendBuffer[SendBufferSize];
};

static int IsPacketMessage(const struct nlmsghdr* message)
{
    return message->nlmsg_type == ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET);
}

/* Finds the packet header attribute of a packet message in its first available bytes, without
 * trusting anything past them: it comes first, so a message cut short or with a bad attribute
 * further on still names its packet. Returns 1 and copies the header, or 0. */
static int32_t RecoverPacketHeader(const struct nlmsghdr* message, size_t available, struct nfqnl_msg_packet_hdr* header)
{
    size_t end = available < message->nlmsg_len ? available : message->nlmsg_len;
    const uint8_t* base = (const uint8_t*)message;
    for (size_t at = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg)); at + sizeof(struct nlattr) <= end;)
    {
        struct nlattr attribute;
        memcpy(&attribute, base + at, sizeof attribute);
        if (attribute.nla_len < sizeof attribute)
        {
            return 0;
        }
        if ((attribute.nla_type & NLA_TYPE_MASK) == NFQA_PACKET_HDR)
        {
            if (attribute.nla_len < sizeof attribute + sizeof *header || at + sizeof attribute + sizeof *header > end)
            {
                return 0;
            }
            memcpy(header, base + at + MNL_ATTR_HDRLEN, sizeof *header);
            return 1;
        }
        at += MNL_ALIGN(attribute.nla_len);
    }
    return 0;
}

static int32_t SendVerdicts(PosternNfq* handle, const char* buffer, size_t length)
{
    for (;;)
    {
        if (mnl_socket_sendto(handle->socket, buffer, length) >= 0)
        {
            return 0;
        }
        if (errno != EINTR)
        {
            return errno;
        }
    }
}

/* A packet read while the queue is being configured has nobody to decide it yet: fail open, at
 * once. Its message may be cut short (the start-up reply buffer is small); the id is enough. */
static void AcceptDuringStartup(PosternNfq* handle, const struct nlmsghdr* message, size_t available)
{
    struct nfqnl_msg_packet_hdr header;
    if (!RecoverPacketHeader(message, available, &header))
    {
        handle->pending.Unrecovered++;
        return;
    }

    char buffer[VerdictMessageRoom * 2];
    struct nlmsghdr* verdict = nfq_nlmsg_put(buffer, NFQNL_MSG_VERDICT, handle->queueNumber);
    nfq_nlmsg_verdict_put(verdict, (int)ntohl(header.packet_id), NF_ACCEPT);
    for (int32_t attempt = 0; attempt < StartupVerdictAttempts; attempt++)
    {
        int32_t error = SendVerdicts(handle, buffer, verdict->nlmsg_len);
        if (error == 0)
        {
            handle->pending.StartupAccepted++;
            return;
        }
        if (error != ENOBUFS && error != EAGAIN)
        {
            break;
        }
        struct timespec pause = {.tv_sec = 0, .tv_nsec = 1000000L << attempt};
        nanosleep(&pause, NULL);
    }
    handle->pending.Unrecovered++;
}

/* Sends a configuration message and reads until its acknowledgement. Packet messages can come
 * first (rules may already point at the queue: they are queued from the moment the kernel has
 * applied the message, before it queues the acknowledgement): each one gets its verdict here, so
 * none is consumed without one. */
static int32_t SendAndWaitForAck(PosternNfq* handle, struct nlmsghdr* message)
{
    message->nlmsg_flags |= NLM_F_ACK;
    message->nlmsg_seq = ++handle->sequence;
    if (mnl_socket_sendto(handle->socket, message, message->nlmsg_len) < 0)
    {
        return errno;
    }

    int fd = mnl_socket_get_fd(handle->socket);
    _Alignas(struct nlmsghdr) uint8_t reply[8192];
    for (;;)
    {
        struct sockaddr_nl from;
        struct iovec vector = {.iov_base = reply, .iov_len = sizeof reply};
        struct msghdr header = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &vector, .msg_iovlen = 1};
        ssize_t received = recvmsg(fd, &header, 0);
        if (received < 0)
        {
            if (errno == EINTR)
            {
                continue;
            }
            if (errno == ENOBUFS)
            {
                /* Messages were lost to an overrun (the acknowledgement among them, perhaps:
                 * then the wait ends at the timeout below). */
                handle->pending.Overruns++;
                continue;
            }
            /* SO_RCVTIMEO: the acknowledgement never came. */
            return errno == EAGAIN ? ETIMEDOUT : errno;
        }
        if (header.msg_flags & MSG_TRUNC)
        {
            handle->pending.Truncated++;
        }

        size_t remaining = (size_t)received;
        for (const uint8_t* at = reply; remaining >= sizeof(struct nlmsghdr);)
        {
            const struct nlmsghdr* part = (const struct nlmsghdr*)at;
            if (part->nlmsg_len < sizeof(struct nlmsghdr))
            {
                break;
            }
            size_t available = part->nlmsg_len <= remaining ? part->nlmsg_len : remaining;
            if (IsPacketMessage(part))
            {
                AcceptDuringStartup(handle, part, available);
            }
            else if (part->nlmsg_type == NLMSG_ERROR && part->nlmsg_seq == handle->sequence)
            {
                if (available < NLMSG_HDRLEN + sizeof(struct nlmsgerr))
                {
                    return EPROTO;
                }
                const struct nlmsgerr* error = mnl_nlmsg_get_payload(part);
                return -error->error; /* 0: the acknowledgement */
            }
            if (part->nlmsg_len > remaining)
            {
                break;
            }
            size_t step = NLMSG_ALIGN(part->nlmsg_len);
            if (step >= remaining)
            {
                break;
            }
            at += step;
            remaining -= step;
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

    /* A bounded wait for acknowledgements, which an overrun can lose; the first receive sets
     * its own timeout (receiveTimeoutMs is -1 until then). */
    struct timeval ackTimeout = {.tv_sec = AckTimeoutSeconds, .tv_usec = 0};
    if (setsockopt(mnl_socket_get_fd(created->socket), SOL_SOCKET, SO_RCVTIMEO, &ackTimeout, sizeof ackTimeout) < 0)
    {
        error = errno;
        goto fail;
    }

    /* The buffer first: packets may pour in from the moment the queue is bound. */
    if (receiveBufferBytes > 0)
    {
        error = PosternSetBufferSize(mnl_socket_get_fd(created->socket), SO_RCVBUFFORCE, SO_RCVBUF, receiveBufferBytes);
        if (error != 0)
        {
            goto fail;
        }
    }

    /* Bind and configure in one message. Between a bare bind and its configuration the kernel
     * would hold the queue in copy mode "none", in which it drops every packet queued to it
     * (nfqnl_enqueue_packet: -EINVAL, which --queue-bypass does not cover) for as long as this
     * thread takes to send the next message. The kernel binds first, then applies the rest. */
    char buffer[512];
    struct nlmsghdr* message = nfq_nlmsg_put(buffer, NFQNL_MSG_CONFIG, queueNumber);
    nfq_nlmsg_cfg_put_cmd(message, AF_INET, NFQNL_CFG_CMD_BIND);
    nfq_nlmsg_cfg_put_params(message, NFQNL_COPY_PACKET, (int)copyRange);
    nfq_nlmsg_cfg_put_qmaxlen(message, queueMaxLength);
    /* Fail open: when the queue is full the kernel accepts instead of dropping. */
    mnl_attr_put_u32(message, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_FAIL_OPEN));
    mnl_attr_put_u32(message, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN));
    if ((error = SendAndWaitForAck(created, message)) != 0)
    {
        /* The error may come after the bind took effect; unbinding a queue that is not ours is
         * refused by the kernel, so this never touches another process's queue. */
        goto unbind;
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

static void DescribeHeader(PosternNfqPacket* packet, const struct nfqnl_msg_packet_hdr* header)
{
    memset(packet, 0, sizeof *packet);
    packet->PacketId = ntohl(header->packet_id);
    packet->HwProtocol = ntohs(header->hw_protocol);
    packet->Hook = header->hook;
}

/* Describes one packet message that lies whole in the buffer. One that does not parse still gets
 * a descriptor (no payload, so the role lets it through) when its packet id can be found. Returns
 * 1 when packet was filled. */
static int32_t DescribePacket(const struct nlmsghdr* message, const uint8_t* buffer, PosternNfqPacket* packet,
                              PosternNfqCounters* counters)
{
    struct nlattr* attributes[NFQA_MAX + 1];
    memset(attributes, 0, sizeof attributes);
    if (nfq_nlmsg_parse(message, attributes) < 0 || attributes[NFQA_PACKET_HDR] == NULL ||
        mnl_attr_get_payload_len(attributes[NFQA_PACKET_HDR]) < sizeof(struct nfqnl_msg_packet_hdr))
    {
        counters->Unparseable++;
        struct nfqnl_msg_packet_hdr header;
        if (!RecoverPacketHeader(message, message->nlmsg_len, &header))
        {
            counters->Unrecovered++;
            return 0;
        }
        DescribeHeader(packet, &header);
        return 1;
    }

    struct nfqnl_msg_packet_hdr header;
    memcpy(&header, mnl_attr_get_payload(attributes[NFQA_PACKET_HDR]), sizeof header);
    DescribeHeader(packet, &header);
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
    return 1;
}

/* Walks the netlink messages of one received datagram (nfnetlink_queue sends one packet per
 * datagram; the walk does not assume it). A message cut short, by MSG_TRUNC or by a length past
 * the datagram, is counted, and described without payload when its packet id can be read, so it
 * still gets a verdict. */
static void DescribeDatagram(const uint8_t* data, size_t length, int32_t cut, const uint8_t* buffer,
                             PosternNfqPacket* packets, int32_t maxPackets, int32_t* count, PosternNfqCounters* counters)
{
    int32_t countedCut = 0;
    size_t remaining = length;
    for (const uint8_t* at = data; remaining >= sizeof(struct nlmsghdr);)
    {
        const struct nlmsghdr* message = (const struct nlmsghdr*)at;
        if (message->nlmsg_len < sizeof(struct nlmsghdr))
        {
            counters->Unparseable++;
            break;
        }
        int32_t whole = message->nlmsg_len <= remaining;
        if (IsPacketMessage(message))
        {
            if (*count >= maxPackets)
            {
                counters->Unrecovered++;
            }
            else if (whole)
            {
                *count += DescribePacket(message, buffer, &packets[*count], counters);
            }
            else
            {
                struct nfqnl_msg_packet_hdr header;
                if (RecoverPacketHeader(message, remaining, &header))
                {
                    DescribeHeader(&packets[(*count)++], &header);
                }
                else
                {
                    counters->Unrecovered++;
                }
            }
        }
        if (!whole)
        {
            counters->Truncated++;
            countedCut = 1;
            break;
        }
        size_t step = NLMSG_ALIGN(message->nlmsg_len);
        if (step >= remaining)
        {
            break;
        }
        at += step;
        remaining -= step;
    }
    if (cut && !countedCut)
    {
        counters->Truncated++;
    }
}

static void TakePending(PosternNfq* handle, PosternNfqCounters* counters)
{
    counters->Overruns += handle->pending.Overruns;
    counters->Truncated += handle->pending.Truncated;
    counters->Unparseable += handle->pending.Unparseable;
    counters->Unrecovered += handle->pending.Unrecovered;
    counters->StartupAccepted += handle->pending.StartupAccepted;
    memset(&handle->pending, 0, sizeof handle->pending);
}

int32_t PosternNative_NfqReceive(PosternNfq* handle, uint8_t* buffer, int32_t bufferLength, int32_t slotSize,
                                 PosternNfqPacket* packets, int32_t maxPackets, int32_t timeoutMs,
                                 int32_t* packetCount, PosternNfqCounters* counters)
{
    if (handle == NULL || buffer == NULL || packets == NULL || packetCount == NULL || counters == NULL ||
        slotSize < 256 || bufferLength < slotSize || maxPackets < 1 || timeoutMs < 1)
    {
        return EINVAL;
    }
    *packetCount = 0;
    TakePending(handle, counters);

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
            counters->Overruns++;
            return 0;
        }
        return errno == EAGAIN ? 0 : errno;
    }

    int32_t count = 0;
    for (int i = 0; i < received; i++)
    {
        DescribeDatagram(handle->vectors[i].iov_base, handle->messages[i].msg_len,
                         (handle->messages[i].msg_hdr.msg_flags & MSG_TRUNC) != 0, buffer, packets, maxPackets, &count,
                         counters);
    }

    *packetCount = count;
    return 0;
}

int32_t PosternNative_NfqVerdictBatch(PosternNfq* handle, const uint32_t* packetIds, const uint8_t* verdicts,
                                      int32_t count, int32_t* sentCount)
{
    if (handle == NULL || sentCount == NULL || count < 0 || (count > 0 && (packetIds == NULL || verdicts == NULL)))
    {
        return EINVAL;
    }
    *sentCount = 0;

    size_t used = 0;
    int32_t inDatagram = 0;
    for (int32_t i = 0; i < count; i++)
    {
        if (used + VerdictMessageRoom > SendBufferSize)
        {
            int32_t error = SendVerdicts(handle, handle->sendBuffer, used);
            if (error != 0)
            {
                return error;
            }
            *sentCount += inDatagram;
            used = 0;
            inDatagram = 0;
        }

        struct nlmsghdr* message = nfq_nlmsg_put(handle->sendBuffer + used, NFQNL_MSG_VERDICT, handle->queueNumber);
        nfq_nlmsg_verdict_put(message, (int)packetIds[i], verdicts[i] == NF_DROP ? NF_DROP : NF_ACCEPT);
        used += NLMSG_ALIGN(message->nlmsg_len);
        inDatagram++;
    }

    if (used > 0)
    {
        int32_t error = SendVerdicts(handle, handle->sendBuffer, used);
        if (error != 0)
        {
            return error;
        }
        *sentCount += inDatagram;
    }
    return 0;
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
