/* Load for a SOCKS5 server on loopback (bench/socks.bench.sh): one UDP association (0.0.0.0:0,
 * no authentication) with WINDOW datagrams of SIZE payload bytes kept in flight to an echo this
 * program runs itself, for SECONDS; or one CONNECT to a sink this program runs, sending as fast as
 * it can for SECONDS. Prints one line: "udp round-trips N seconds S" or "tcp bytes N seconds S".
 *
 *   socksload udp SERVER_PORT SIZE WINDOW SECONDS
 *   socksload tcp SERVER_PORT SECONDS
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { Batch = 64, MaxSize = 2048 };

static void die(const char* what)
{
    perror(what);
    exit(1);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static struct sockaddr_in loopback(uint16_t port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static void exact(int fd, void* buffer, size_t length)
{
    size_t have = 0;
    while (have < length)
    {
        ssize_t n = recv(fd, (char*)buffer + have, length - have, 0);
        if (n <= 0)
            die("recv (handshake)");
        have += (size_t)n;
    }
}

/* Greeting and a request; returns the control socket and the reply's BND.PORT. */
static int handshake(uint16_t server, uint8_t command, uint16_t port, uint16_t* bound)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = loopback(server);
    if (connect(fd, (struct sockaddr*)&a, sizeof a) != 0)
        die("connect to the server");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    uint8_t greeting[3] = {5, 1, 0}, selection[2];
    send(fd, greeting, 3, 0);
    exact(fd, selection, 2);
    if (selection[1] != 0)
        die("method refused");
    uint8_t request[10] = {5, command, 0, 1, 0, 0, 0, 0, 0, 0}, reply[10];
    if (command == 1)
    {
        uint32_t address = htonl(INADDR_LOOPBACK);
        memcpy(request + 4, &address, 4);
    }
    request[8] = (uint8_t)(port >> 8);
    request[9] = (uint8_t)port;
    send(fd, request, 10, 0);
    exact(fd, reply, 10);
    if (reply[1] != 0)
    {
        fprintf(stderr, "request refused: %d\n", reply[1]);
        exit(1);
    }
    *bound = (uint16_t)(reply[8] << 8 | reply[9]);
    return fd;
}

static int echo_fd;
static volatile int stopping;

static void* echo(void* unused)
{
    (void)unused;
    static char buffers[Batch][MaxSize];
    struct mmsghdr messages[Batch];
    struct iovec vectors[Batch];
    struct sockaddr_in from[Batch];
    while (!stopping)
    {
        for (int i = 0; i < Batch; i++)
        {
            vectors[i] = (struct iovec){buffers[i], MaxSize};
            messages[i] = (struct mmsghdr){.msg_hdr = {.msg_name = &from[i], .msg_namelen = sizeof from[i], .msg_iov = &vectors[i], .msg_iovlen = 1}};
        }
        struct pollfd p = {.fd = echo_fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        int n = recvmmsg(echo_fd, messages, Batch, MSG_DONTWAIT, NULL);
        if (n <= 0)
            continue;
        for (int i = 0; i < n; i++)
            vectors[i].iov_len = messages[i].msg_len;
        sendmmsg(echo_fd, messages, (unsigned)n, 0);
    }
    return NULL;
}

static int udp(uint16_t server, int size, int window, double seconds)
{
    echo_fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in e = loopback(0);
    socklen_t length = sizeof e;
    int big = 4 << 20;
    setsockopt(echo_fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    bind(echo_fd, (struct sockaddr*)&e, sizeof e);
    getsockname(echo_fd, (struct sockaddr*)&e, &length);
    pthread_t thread;
    pthread_create(&thread, NULL, echo, NULL);

    uint16_t relayPort;
    int control = handshake(server, 3, 0, &relayPort);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    struct sockaddr_in client = loopback(0);
    bind(fd, (struct sockaddr*)&client, sizeof client);
    struct sockaddr_in relay = loopback(relayPort);
    connect(fd, (struct sockaddr*)&relay, sizeof relay);

    static char datagram[10 + MaxSize];
    memset(datagram, 0x5a, sizeof datagram);
    datagram[0] = datagram[1] = datagram[2] = 0;
    datagram[3] = 1;
    memcpy(datagram + 4, &e.sin_addr, 4);
    memcpy(datagram + 8, &e.sin_port, 2);
    int total = 10 + size;

    static char buffers[Batch][MaxSize + 64];
    struct mmsghdr out[Batch], in[Batch];
    struct iovec outv[Batch], inv[Batch];
    for (int i = 0; i < Batch; i++)
    {
        outv[i] = (struct iovec){datagram, (size_t)total};
        out[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &outv[i], .msg_iovlen = 1}};
    }
    long inflight = 0, trips = 0;
    double start = now(), end = start + seconds, lastReply = start;
    while (now() < end)
    {
        while (inflight < window)
        {
            int want = window - inflight > Batch ? Batch : (int)(window - inflight);
            int sent = sendmmsg(fd, out, (unsigned)want, 0);
            if (sent <= 0)
                break;
            inflight += sent;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
        {
            if (now() - lastReply > 0.2)
                inflight = 0; /* lost ones: refill the window */
            continue;
        }
        for (int i = 0; i < Batch; i++)
        {
            inv[i] = (struct iovec){buffers[i], sizeof buffers[i]};
            in[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &inv[i], .msg_iovlen = 1}};
        }
        int n = recvmmsg(fd, in, Batch, MSG_DONTWAIT, NULL);
        if (n > 0)
        {
            trips += n;
            inflight -= n;
            if (inflight < 0)
                inflight = 0;
            lastReply = now();
        }
    }
    double elapsed = now() - start;
    stopping = 1;
    pthread_join(thread, NULL);
    close(control);
    printf("udp round-trips %ld seconds %.3f\n", trips, elapsed);
    return 0;
}

static int sink_fd;

static void* sink(void* unused)
{
    (void)unused;
    int fd = accept(sink_fd, NULL, NULL);
    static char buffer[1 << 16];
    while (recv(fd, buffer, sizeof buffer, 0) > 0)
    {
    }
    close(fd);
    return NULL;
}

static int tcp(uint16_t server, double seconds)
{
    sink_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in s = loopback(0);
    socklen_t length = sizeof s;
    bind(sink_fd, (struct sockaddr*)&s, sizeof s);
    listen(sink_fd, 4);
    getsockname(sink_fd, (struct sockaddr*)&s, &length);
    pthread_t thread;
    pthread_create(&thread, NULL, sink, NULL);
    uint16_t bound;
    int fd = handshake(server, 1, ntohs(s.sin_port), &bound);
    static char buffer[1 << 16];
    memset(buffer, 0x5a, sizeof buffer);
    long long bytes = 0;
    double start = now(), end = start + seconds;
    while (now() < end)
    {
        ssize_t n = send(fd, buffer, sizeof buffer, 0);
        if (n <= 0)
            die("send");
        bytes += n;
    }
    shutdown(fd, SHUT_WR);
    pthread_join(thread, NULL);
    double elapsed = now() - start;
    close(fd);
    printf("tcp bytes %lld seconds %.3f\n", bytes, elapsed);
    return 0;
}

int main(int argc, char** argv)
{
    if (argc == 6 && strcmp(argv[1], "udp") == 0)
    {
        int size = atoi(argv[3]);
        if (size < 1 || size > MaxSize)
            die("size");
        return udp((uint16_t)atoi(argv[2]), size, atoi(argv[4]), atof(argv[5]));
    }
    if (argc == 4 && strcmp(argv[1], "tcp") == 0)
        return tcp((uint16_t)atoi(argv[2]), atof(argv[3]));
    fprintf(stderr, "usage: socksload udp SERVER_PORT SIZE WINDOW SECONDS | socksload tcp SERVER_PORT SECONDS\n");
    return 2;
}
