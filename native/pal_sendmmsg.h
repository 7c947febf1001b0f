/* Shared by the shim's batch senders; static inline so that it adds no exported symbol. */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <sys/socket.h>

/* Sends count prepared messages with sendmmsg until every one has gone or failed, and sets
 * errors[i] to 0 or the errno of messages[i]. sendmmsg reports a failure only when nothing went:
 * that message carries the errno and the rest are tried again. Returns how many went. */
static inline int32_t PosternSendAll(int fd, struct mmsghdr* messages, int32_t count, int32_t* errors)
{
    int32_t done = 0;
    int32_t went = 0;
    while (done < count)
    {
        int sent = sendmmsg(fd, messages + done, (unsigned int)(count - done), 0);
        if (sent < 0)
        {
            if (errno == EINTR)
            {
                continue;
            }
            errors[done++] = errno;
            continue;
        }
        for (int i = 0; i < sent; i++)
        {
            errors[done + i] = 0;
        }
        went += sent;
        done += sent;
    }
    return went;
}
