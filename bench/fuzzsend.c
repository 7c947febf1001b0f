// fuzzsend: the packet generator behind `make fuzz` (bench/fuzz.sh) and the 50,000-packet fuzz
// tests. It sends random and mutated DNS queries or STUN/text datagrams, paced, in sendmmsg
// batches, and prints what it sent per category as key=value lines, so that the caller can
// check the daemon's and the kernel's counters against them. Compiled at run time:
//   cc -O2 -o fuzzsend bench/fuzzsend.c
//
// Modes:
//   fuzzsend dns    DST PORT COUNT RATE SEED [prefilter|any]   UDP socket: mutated dig queries
//                   (DST IPv4 or IPv6)
//   fuzzsend ip     IFNAME DSTMAC SRC DST PORT COUNT RATE SEED  AF_PACKET: malformed IPv4/UDP
//   fuzzsend stun   DST PORT1,PORT2 COUNT RATE SEED             UDP socket: STUN and text
//   fuzzsend tcp    DST PORT CONNECTIONS SEED                   random bytes on TCP connections
//   fuzzsend socks-tcp DST PORT CONNECTIONS SEED                random bytes and mutated SOCKS5
//                   handshakes (greeting, RFC 1929 user/password, CONNECT, UDP ASSOCIATE, BIND)
//   fuzzsend socks-udp DST PORT COUNT RATE SEED SINKPORT STRANGER
//                   one UDP ASSOCIATE (no auth, 0.0.0.0:0 announced) on DST:PORT, then COUNT
//                   random and mutated datagrams to the relay's UDP port, the valid ones
//                   addressed to SINKPORT on this host's own address (a socket it reads:
//                   sink=N); some from a second socket (wrong port) or from STRANGER, a second
//                   address of this host (not the client)
// RATE is packets per second (0: as fast as the socket takes them). Output: sent=N,
// sent.CATEGORY=N, replies=N (datagrams read back on the sending socket), send-errors=N,
// seconds=S. Every datagram handed to the kernel counts as sent; one the kernel refused is
// counted in send-errors instead.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 32
#define MAX_DATAGRAM 1500
#define MAX_CATEGORIES 64

// DNS queries exactly as dig 9.18 sent them (tests/Postern.Wire.Tests/GoldenQueries.cs).
static const char *const DnsSeeds[] = {
    "769c01200001000000000000076578616d706c6503636f6d00001c0001",
    "68e501200001000000000001076578616d706c6503636f6d00001c000100002904d000000000000c000a000836687939789d1ee2",
    "67b901200001000000000001076578616d706c6503636f6d00001c000100002904d0000000000000",
    "939d01200001000000000001074578616d706c6503434f4d00001c000100002904d000008000000c000a0008fde53c07f2378817",
    "2e9801200001000000000001076578616d706c6503636f6d000001000100002904d000000000000c000a0008c0c859d6b376a6e9",
    "8eed01200001000000000001076578616d706c6503636f6d000041000100002904d000000000000c000a00081a26a4e18c7d6578",
    "742601300001000000000001076578616d706c6503636f6d00001c000100002904d000000000000c000a000833187c05631944b5",
};

// STUN requests captured from coturn's clients (tests/Postern.Reflector.Tests/CapturedRequests.cs),
// and the RFC 5769 section 2.1 sample request (SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME,
// MESSAGE-INTEGRITY, FINGERPRINT).
static const char *const StunSeeds[] = {
    "000100002112a44219fe1bb6d12878bc883b1293",
    "000100082112a442fd83a012134fb1c3b911a7b90003000400000006",
    "000100102112a442ff999652dbbfa4ad063675b700270004ddd800000003000400000006",
    "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74002400046e0001ff80290008932ff9b151263b36000600096576746a3a68367659202020000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf",
};

static const uint8_t AaaaPattern[] = {0x00, 0x00, 0x1c, 0x00, 0x01};

typedef struct
{
    uint8_t bytes[MAX_DATAGRAM];
    int length;
} Seed;

static Seed s_dns[sizeof(DnsSeeds) / sizeof(DnsSeeds[0])];
static Seed s_stun[sizeof(StunSeeds) / sizeof(StunSeeds[0])];
static uint64_t s_rng;

static const char *s_categoryNames[MAX_CATEGORIES];
static long s_categorySent[MAX_CATEGORIES];
static int s_categoryCount;

// Seeds that differ by one give unrelated sequences (a plain `seed | 1` made 2 and 3 the same).
static void Seed64(const char *text)
{
    s_rng = (strtoull(text, NULL, 0) + 1) * 0x9E3779B97F4A7C15ULL;
    if (s_rng == 0)
    {
        s_rng = 1;
    }
}

static uint64_t Next(void)
{
    // xorshift64*: fast and deterministic for a given seed.
    s_rng ^= s_rng >> 12;
    s_rng ^= s_rng << 25;
    s_rng ^= s_rng >> 27;
    return s_rng * 2685821657736338717ULL;
}

static uint32_t Below(uint32_t n)
{
    return n == 0 ? 0 : (uint32_t)((Next() >> 32) % n);
}

static void RandomBytes(uint8_t *p, int n)
{
    for (int i = 0; i < n; i++)
    {
        p[i] = (uint8_t)(Next() >> 56);
    }
}

static void Parse(const char *hex, Seed *seed)
{
    int n = (int)strlen(hex) / 2;
    for (int i = 0; i < n; i++)
    {
        unsigned value;
        sscanf(hex + 2 * i, "%2x", &value);
        seed->bytes[i] = (uint8_t)value;
    }
    seed->length = n;
}

static int Category(const char *name)
{
    for (int i = 0; i < s_categoryCount; i++)
    {
        if (strcmp(s_categoryNames[i], name) == 0)
        {
            return i;
        }
    }
    if (s_categoryCount == MAX_CATEGORIES)
    {
        fprintf(stderr, "fuzzsend: more than %d categories\n", MAX_CATEGORIES);
        exit(1);
    }
    s_categoryNames[s_categoryCount] = name;
    return s_categoryCount++;
}

static double Now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// Waits until `sent` packets are due at `rate` per second since `start`.
static void Pace(double start, long sent, long rate)
{
    if (rate <= 0)
    {
        return;
    }
    double due = start + (double)sent / (double)rate;
    double now = Now();
    if (due > now)
    {
        double wait = due - now;
        struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        {
        }
    }
}

static void FlipBits(uint8_t *p, int length)
{
    int flips = 1 + (int)Below(4);
    for (int i = 0; i < flips && length > 0; i++)
    {
        p[Below((uint32_t)length)] ^= (uint8_t)(1u << Below(8));
    }
}

static void Put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

// One DNS datagram of a random category into p; returns its length and sets the category.
// With `prefilter`, random bytes carry the string match's pattern so that the kernel queues them.
static int MakeDns(uint8_t *p, int prefilter, int *category)
{
    const Seed *seed = &s_dns[Below(sizeof(s_dns) / sizeof(s_dns[0]))];
    int length = seed->length;
    memcpy(p, seed->bytes, (size_t)length);
    Put16(p, (uint16_t)Next()); // a fresh ID, as a real client would use
    switch (Below(8))
    {
    case 0: // random bytes, 0 to 300 of them, with the pattern somewhere when asked
        length = (int)Below(301);
        RandomBytes(p, length);
        if (prefilter)
        {
            if (length < (int)sizeof(AaaaPattern))
            {
                length = sizeof(AaaaPattern);
            }
            memcpy(p + Below((uint32_t)(length - sizeof(AaaaPattern) + 1)), AaaaPattern, sizeof(AaaaPattern));
        }
        *category = Category("random");
        break;
    case 1:
    case 2: // a few bit flips
        FlipBits(p, length);
        *category = Category("bitflip");
        break;
    case 3: // cut short anywhere
        length = (int)Below((uint32_t)length);
        *category = Category("truncated");
        break;
    case 4: // trailing garbage
    {
        int extra = 1 + (int)Below(64);
        RandomBytes(p + length, extra);
        length += extra;
        *category = Category("extended");
        break;
    }
    case 5:
    case 6: // header fields: QR, opcode, flags, RCODE, counts, EDNS
        switch (Below(7))
        {
        case 0:
            p[2] |= 0x80; // QR: a response
            break;
        case 1:
            p[2] = (uint8_t)((p[2] & 0x87) | (Below(16) << 3)); // opcode
            break;
        case 2:
            p[2] = (uint8_t)Next(); // every flag and the RCODE
            p[3] = (uint8_t)Next();
            break;
        case 3:
            Put16(p + 4 + 2 * Below(4), (uint16_t)Below(4)); // QD, AN, NS or AR count 0 to 3
            break;
        case 4:
            Put16(p + 4 + 2 * Below(4), (uint16_t)Next()); // any count
            break;
        default: // the OPT record, when there is one: version, DO, size, RDLENGTH, option lengths
            if (length > 40 && p[11] == 1)
            {
                int opt = 29; // name (13) + type/class after the 12-byte header: OPT starts at 29
                int field = (int)Below(5);
                if (field == 0)
                {
                    p[opt + 6] = (uint8_t)Below(4); // EDNS version
                }
                else if (field == 1)
                {
                    p[opt + 7] ^= 0x80; // DO
                }
                else if (field == 2)
                {
                    Put16(p + opt + 3, (uint16_t)Next()); // UDP payload size
                }
                else if (field == 3)
                {
                    Put16(p + opt + 9, (uint16_t)Below(32)); // RDLENGTH
                }
                else
                {
                    Put16(p + opt + 1, (uint16_t)Below(70)); // the OPT's TYPE
                }
            }
            else
            {
                Put16(p + 10, (uint16_t)Below(3)); // ARCOUNT without an OPT
            }
            break;
        }
        *category = Category("header");
        break;
    default: // untouched: the ones Postern must answer (or pass, for A and CD-less HTTPS)
        *category = Category("valid");
        break;
    }
    return length;
}

// --- dns and stun over a UDP socket --------------------------------------------------------------

typedef int (*MakeFn)(uint8_t *p, int option, int *category);

static int MakeStun(uint8_t *p, int unused, int *category)
{
    (void)unused;
    uint32_t which = Below(sizeof(s_stun) / sizeof(s_stun[0]));
    const Seed *seed = &s_stun[which];
    int length = seed->length;
    memcpy(p, seed->bytes, (size_t)length);
    if (which != 3)
    {
        RandomBytes(p + 8, 12); // a fresh transaction ID; the RFC 5769 sample keeps its own (FINGERPRINT)
    }
    switch (Below(10))
    {
    case 0: // random bytes
        length = (int)Below(600);
        RandomBytes(p, length);
        *category = Category("random");
        break;
    case 1: // a legacy text datagram: printable bytes, sometimes with a newline
        length = (int)Below(200);
        for (int i = 0; i < length; i++)
        {
            p[i] = (uint8_t)(32 + Below(95));
        }
        if (length > 0 && Below(2) == 0)
        {
            p[length - 1] = '\n';
        }
        *category = Category("text");
        break;
    case 2:
    case 3:
        FlipBits(p, length);
        *category = Category("bitflip");
        break;
    case 4:
        length = (int)Below((uint32_t)length);
        *category = Category("truncated");
        break;
    case 5:
    case 6: // the header: type (method and class), length, cookie
    {
        int field = (int)Below(4);
        if (field == 0)
        {
            Put16(p, (uint16_t)(Next() & 0x3fff));
        }
        else if (field == 1)
        {
            Put16(p, (uint16_t)(0x0001 | (Below(4) == 0 ? 0x0100 : 0) | (Below(4) == 0 ? 0x0010 : 0))); // class bits
        }
        else if (field == 2)
        {
            Put16(p + 2, (uint16_t)(Below(2) ? Below(128) : (uint32_t)Next()));
        }
        else
        {
            p[4 + Below(4)] ^= (uint8_t)(1u << Below(8));
        }
        *category = Category("header");
        break;
    }
    case 7: // random attributes after the header, with a consistent or a wrong message length
    {
        int count = 1 + (int)Below(4);
        length = 20;
        for (int i = 0; i < count && length < 1200; i++)
        {
            uint16_t type = Below(3) == 0 ? (uint16_t)Next() : (uint16_t)(Below(2) ? 0x8000 | Below(0x40) : Below(0x40));
            uint16_t attrLength = (uint16_t)Below(40);
            Put16(p + length, type);
            Put16(p + length + 2, attrLength);
            RandomBytes(p + length + 4, (attrLength + 3) & ~3);
            length += 4 + ((attrLength + 3) & ~3);
        }
        Put16(p + 2, (uint16_t)(Below(4) == 0 ? Below(1200) : (uint32_t)(length - 20)));
        *category = Category("attributes");
        break;
    }
    default:
        *category = Category("valid");
        break;
    }
    return length;
}

/* Sends n prepared messages with sendmmsg until each went or was refused: ENOBUFS and EAGAIN
 * wait and retry, any other error refuses that one datagram and goes on with the next. Counts
 * what went, per category, into *sent and the refused into *errors. */
static void SendBatch(int fd, struct mmsghdr* msgs, const int* categories, int n, long* sent, long* errors)
{
    int done = 0;
    while (done < n)
    {
        int r = sendmmsg(fd, msgs + done, (unsigned)(n - done), 0);
        if (r < 0)
        {
            if (errno == EINTR)
            {
                continue;
            }
            if (errno == ENOBUFS || errno == EAGAIN)
            {
                usleep(200);
                continue;
            }
            (*errors)++;
            done++;
            continue;
        }
        for (int i = done; i < done + r; i++)
        {
            s_categorySent[categories[i]]++;
        }
        *sent += r;
        done += r;
    }
}

static void Report(long sent, long replies, long errors, double seconds)
{
    printf("sent=%ld\n", sent);
    for (int i = 0; i < s_categoryCount; i++)
    {
        if (s_categorySent[i] != 0) // MakeIp's payloads name DNS categories that it does not count
        {
            printf("sent.%s=%ld\n", s_categoryNames[i], s_categorySent[i]);
        }
    }
    printf("replies=%ld\nsend-errors=%ld\nseconds=%.3f\n", replies, errors, seconds);
}

static long DrainReplies(int fd)
{
    static uint8_t buffers[BATCH][MAX_DATAGRAM];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    long total = 0;
    for (;;)
    {
        memset(msgs, 0, sizeof(msgs));
        for (int i = 0; i < BATCH; i++)
        {
            iov[i].iov_base = buffers[i];
            iov[i].iov_len = MAX_DATAGRAM;
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
        {
            return total;
        }
        total += n;
    }
}

static int UdpSocket(int family)
{
    int fd = socket(family, SOCK_DGRAM, 0);
    if (fd < 0)
    {
        perror("socket");
        exit(1);
    }
    int size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
    return fd;
}

static int RunUdp(const char *dst, const char *ports, long count, long rate, MakeFn make, int option)
{
    // IPv4 or IPv6, by the form of DST.
    struct sockaddr_in6 targets[2];
    int family = strchr(dst, ':') != NULL ? AF_INET6 : AF_INET;
    socklen_t targetLength = family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    int targetCount = 0;
    char portList[64];
    snprintf(portList, sizeof(portList), "%s", ports);
    for (char *part = strtok(portList, ","); part != NULL && targetCount < 2; part = strtok(NULL, ","))
    {
        memset(&targets[targetCount], 0, sizeof(targets[0]));
        int ok;
        if (family == AF_INET6)
        {
            targets[targetCount].sin6_family = AF_INET6;
            targets[targetCount].sin6_port = htons((uint16_t)atoi(part));
            ok = inet_pton(AF_INET6, dst, &targets[targetCount].sin6_addr);
        }
        else
        {
            struct sockaddr_in *v4 = (struct sockaddr_in *)&targets[targetCount];
            v4->sin_family = AF_INET;
            v4->sin_port = htons((uint16_t)atoi(part));
            ok = inet_pton(AF_INET, dst, &v4->sin_addr);
        }
        if (ok != 1)
        {
            fprintf(stderr, "fuzzsend: %s is not an IP address\n", dst);
            return 2;
        }
        targetCount++;
    }
    int fd = UdpSocket(family);
    static uint8_t buffers[BATCH][MAX_DATAGRAM];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    int categories[BATCH];
    long sent = 0, errors = 0, replies = 0;
    double start = Now();
    while (sent + errors < count)
    {
        int n = count - sent - errors < BATCH ? (int)(count - sent - errors) : BATCH;
        memset(msgs, 0, sizeof(msgs));
        for (int i = 0; i < n; i++)
        {
            iov[i].iov_base = buffers[i];
            iov[i].iov_len = (size_t)make(buffers[i], option, &categories[i]);
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_name = &targets[Below((uint32_t)targetCount)];
            msgs[i].msg_hdr.msg_namelen = targetLength;
        }
        SendBatch(fd, msgs, categories, n, &sent, &errors);
        replies += DrainReplies(fd);
        Pace(start, sent + errors, rate);
    }
    double seconds = Now() - start;
    // Stragglers: replies still in flight.
    for (int i = 0; i < 20; i++)
    {
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, 100) <= 0)
        {
            break;
        }
        replies += DrainReplies(fd);
    }
    Report(sent, replies, errors, seconds);
    close(fd);
    return 0;
}

// --- malformed IPv4/UDP through AF_PACKET ----------------------------------------------------------

static uint16_t Checksum(const uint8_t *p, int length, uint32_t sum)
{
    for (int i = 0; i + 1 < length; i += 2)
    {
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    }
    if (length & 1)
    {
        sum += (uint32_t)(p[length - 1] << 8);
    }
    while (sum >> 16)
    {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

// A whole IPv4 packet carrying a (mutated) DNS query, with one part of the IP or UDP header made
// wrong (or, for "ip-valid", none). The kernel's ip_rcv drops what it cannot accept (bad version,
// header length, total length, checksum); the rest reaches the NFQUEUE rule.
static int MakeIp(uint8_t *p, const uint8_t src[4], const uint8_t dst[4], uint16_t port, int *category)
{
    int dnsCategory;
    uint32_t kind = Below(10);
    // IP options only where nothing else is wrong, so that each category has one fault.
    int options = kind >= 8 && Below(2) == 0 ? 4 * (int)(1 + Below(10)) : 0;
    int ipLength = 20 + options;
    int payload = MakeDns(p + ipLength + 8, 1, &dnsCategory);
    int total = ipLength + 8 + payload;
    p[0] = (uint8_t)(0x40 | (ipLength / 4));
    p[1] = 0;
    Put16(p + 2, (uint16_t)total);
    Put16(p + 4, (uint16_t)Next());
    Put16(p + 6, 0x4000); // DF
    p[8] = 64;
    p[9] = 17;
    Put16(p + 10, 0); // the header checksum, computed last
    memcpy(p + 12, src, 4);
    memcpy(p + 16, dst, 4);
    if (options)
    {
        // Random option bytes: NOPs, end of list, or junk that the kernel refuses.
        for (int i = 0; i < options; i++)
        {
            uint32_t kind = Below(4);
            p[20 + i] = kind == 0 ? 1 : kind == 1 ? 0 : (uint8_t)Next();
        }
    }
    uint8_t *udp = p + ipLength;
    Put16(udp, (uint16_t)(1024 + Below(60000)));
    Put16(udp + 2, port);
    Put16(udp + 4, (uint16_t)(8 + payload));
    Put16(udp + 6, 0);
    int checksumOk = 1;
    switch (kind)
    {
    case 0:
        Put16(udp + 4, (uint16_t)Below(8)); // UDP length below its header
        *category = Category("ip-udp-length-short");
        break;
    case 1:
        Put16(udp + 4, (uint16_t)(8 + payload + 1 + Below(100))); // past the IP payload
        *category = Category("ip-udp-length-long");
        break;
    case 2:
        checksumOk = 0; // a wrong UDP checksum
        *category = Category("ip-udp-checksum");
        break;
    case 3:
        Put16(p + 6, (uint16_t)(Below(2) ? 0x2000 | Below(0x2000) : Below(0x2000) + 1)); // MF and/or offset
        *category = Category("ip-fragment");
        break;
    case 4:
        Put16(p + 2, (uint16_t)(Below(2) ? total + 1 + Below(100) : Below((uint32_t)total))); // IP total length
        *category = Category("ip-total-length");
        break;
    case 5:
        p[0] = (uint8_t)(Below(16) << 4 | (p[0] & 0x0f)); // version
        *category = Category("ip-version");
        break;
    case 6:
        p[0] = (uint8_t)(0x40 | Below(16)); // header length
        *category = Category("ip-header-length");
        break;
    case 7:
        p[9] = (uint8_t)Below(256); // protocol
        *category = Category("ip-protocol");
        break;
    default:
        *category = Category(options ? "ip-options" : "ip-valid");
        break;
    }
    if (checksumOk && Below(4) != 0)
    {
        // UDP checksum over the pseudo-header (RFC 768); a quarter keep 0 (none, allowed on IPv4).
        uint32_t sum = (uint32_t)(src[0] << 8 | src[1]) + (uint32_t)(src[2] << 8 | src[3]) +
                       (uint32_t)(dst[0] << 8 | dst[1]) + (uint32_t)(dst[2] << 8 | dst[3]) + 17 + (uint32_t)(8 + payload);
        uint16_t c = Checksum(udp, 8 + payload, sum);
        Put16(udp + 6, c == 0 ? 0xffff : c);
    }
    else if (!checksumOk)
    {
        Put16(udp + 6, (uint16_t)(1 + Below(0xfffe)));
    }
    uint16_t ipSum = Checksum(p, ipLength, 0);
    if (Below(20) == 0)
    {
        ipSum ^= (uint16_t)(1 + Below(0xfffe)); // a wrong IP checksum
        *category = Category("ip-checksum");
    }
    Put16(p + 10, ipSum);
    return total;
}

static int ParseMac(const char *text, uint8_t mac[6])
{
    unsigned m[6];
    if (sscanf(text, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
    {
        return -1;
    }
    for (int i = 0; i < 6; i++)
    {
        mac[i] = (uint8_t)m[i];
    }
    return 0;
}

static int RunIp(const char *ifname, const char *dmac, const char *srcText, const char *dstText, uint16_t port, long count, long rate)
{
    struct sockaddr_ll to;
    memset(&to, 0, sizeof(to));
    to.sll_family = AF_PACKET;
    to.sll_protocol = htons(ETH_P_IP);
    to.sll_ifindex = (int)if_nametoindex(ifname);
    to.sll_halen = 6;
    uint8_t src[4], dst[4];
    if (to.sll_ifindex == 0 || ParseMac(dmac, to.sll_addr) != 0 || inet_pton(AF_INET, srcText, src) != 1 ||
        inet_pton(AF_INET, dstText, dst) != 1)
    {
        fprintf(stderr, "fuzzsend: bad interface, MAC or address\n");
        return 2;
    }
    int fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
    if (fd < 0)
    {
        perror("socket(AF_PACKET)");
        return 1;
    }
    static uint8_t buffers[BATCH][MAX_DATAGRAM];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    int categories[BATCH];
    long sent = 0, errors = 0;
    double start = Now();
    while (sent + errors < count)
    {
        int n = count - sent - errors < BATCH ? (int)(count - sent - errors) : BATCH;
        memset(msgs, 0, sizeof(msgs));
        for (int i = 0; i < n; i++)
        {
            iov[i].iov_base = buffers[i];
            iov[i].iov_len = (size_t)MakeIp(buffers[i], src, dst, port, &categories[i]);
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_name = &to;
            msgs[i].msg_hdr.msg_namelen = sizeof(to);
        }
        SendBatch(fd, msgs, categories, n, &sent, &errors);
        Pace(start, sent + errors, rate);
    }
    Report(sent, 0, errors, Now() - start);
    close(fd);
    return 0;
}

// --- random bytes on TCP -----------------------------------------------------------------------------

// Opens CONNECTIONS connections, up to 64 at a time; on each sends random bytes or a mutated STUN
// request or text line, half-closes, and reads until the server closes (or 3 s pass).
static int RunTcp(const char *dstText, uint16_t port, long connections, MakeFn make)
{
    struct sockaddr_in to;
    memset(&to, 0, sizeof(to));
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    if (inet_pton(AF_INET, dstText, &to.sin_addr) != 1)
    {
        fprintf(stderr, "fuzzsend: %s is not an IPv4 address\n", dstText);
        return 2;
    }
    long opened = 0, failed = 0, closedByServer = 0, timedOut = 0, bytesBack = 0;
    double start = Now();
    while (opened + failed < connections)
    {
        int fds[64];
        int n = 0;
        for (; n < 64 && opened + failed < connections; n++)
        {
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            uint8_t buffer[MAX_DATAGRAM];
            int category;
            int length;
            if (Below(3) == 0)
            {
                length = (int)Below(400);
                RandomBytes(buffer, length);
            }
            else
            {
                length = make(buffer, 0, &category);
            }
            if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0)
            {
                if (fd >= 0)
                {
                    close(fd);
                }
                failed++;
                fds[n] = -1;
                continue;
            }
            opened++;
            if (length > 0 && send(fd, buffer, (size_t)length, MSG_NOSIGNAL) < 0)
            {
                // The server may close first (a bad header); reading below sees it.
            }
            // Half-closed, so that the server sees the end of what it gets (a connection that just
            // stops waits for the reflector's 30 s idle timeout).
            shutdown(fd, SHUT_WR);
            fcntl(fd, F_SETFL, O_NONBLOCK);
            fds[n] = fd;
        }
        double deadline = Now() + 3.0;
        int open = 0;
        for (int i = 0; i < n; i++)
        {
            open += fds[i] >= 0;
        }
        while (open > 0 && Now() < deadline)
        {
            struct pollfd pfds[64];
            for (int i = 0; i < n; i++)
            {
                pfds[i].fd = fds[i];
                pfds[i].events = POLLIN;
                pfds[i].revents = 0;
            }
            if (poll(pfds, (nfds_t)n, 100) <= 0)
            {
                continue;
            }
            for (int i = 0; i < n; i++)
            {
                if (fds[i] < 0 || pfds[i].revents == 0)
                {
                    continue;
                }
                uint8_t sink[4096];
                ssize_t r = recv(fds[i], sink, sizeof(sink), 0);
                if (r > 0)
                {
                    bytesBack += r;
                    continue;
                }
                if (r < 0 && (errno == EAGAIN || errno == EINTR))
                {
                    continue;
                }
                closedByServer++;
                close(fds[i]);
                fds[i] = -1;
                open--;
            }
        }
        for (int i = 0; i < n; i++)
        {
            if (fds[i] >= 0)
            {
                timedOut++;
                close(fds[i]);
            }
        }
    }
    printf("connections=%ld\nconnect-errors=%ld\nclosed-by-server=%ld\nstill-open-after-3s=%ld\nbytes-back=%ld\nseconds=%.3f\n",
           opened, failed, closedByServer, timedOut, bytesBack, Now() - start);
    return 0;
}

// --- SOCKS5 (RFC 1928, RFC 1929) ---------------------------------------------------------------------

// What a client writes on the TCP connection before it reads anything: a greeting, then (for
// method 2) the user/password, then a request, all at once (a pipelining client), one part of
// it made wrong, or cut short. The targets are this lab's own addresses (198.51.100.2, where
// nothing listens on TCP port 9), so a CONNECT that gets through is refused at once.
static int MakeSocksStream(uint8_t *p, int unused, int *category)
{
    (void)unused;
    int n = 0;
    uint32_t which = Below(6);
    int auth = which == 1 || Below(4) == 0;
    p[n++] = 5;
    if (auth)
    {
        p[n++] = 1;
        p[n++] = 2;
    }
    else
    {
        p[n++] = 1;
        p[n++] = 0;
    }
    if (which == 0)
    {
        // The greeting alone, mutated: a method count past the end, a version other than 5.
        int methods = (int)Below(12);
        p[1] = (uint8_t)(Below(4) == 0 ? Below(256) : (uint32_t)methods);
        n = 2;
        for (int i = 0; i < methods; i++)
        {
            p[n++] = (uint8_t)Below(4);
        }
        if (Below(2) == 0)
        {
            FlipBits(p, n);
        }
        *category = Category("socks-greeting");
        return n;
    }
    if (auth)
    {
        // RFC 1929: version 1, ULEN, UNAME, PLEN, PASSWD; the lengths are sometimes wrong.
        int user = (int)Below(20), password = (int)Below(20);
        p[n++] = 1;
        p[n++] = (uint8_t)(Below(5) == 0 ? Below(256) : (uint32_t)user);
        RandomBytes(p + n, user);
        n += user;
        p[n++] = (uint8_t)(Below(5) == 0 ? Below(256) : (uint32_t)password);
        RandomBytes(p + n, password);
        n += password;
        if (which == 1)
        {
            *category = Category("socks-auth");
            return n;
        }
    }
    int start = n;
    p[n++] = 5;
    p[n++] = which == 2 ? 1 : which == 3 ? 3 : 2; // CONNECT, UDP ASSOCIATE, BIND
    p[n++] = 0;
    switch (Below(4))
    {
    case 0: // a name: random bytes of a random length, or an empty one
    {
        int length = (int)Below(40);
        p[n++] = 3;
        p[n++] = (uint8_t)length;
        for (int i = 0; i < length; i++)
        {
            p[n++] = (uint8_t)('a' + Below(26));
        }
        break;
    }
    case 1: // IPv6: the documentation range, unreachable from here
        p[n++] = 4;
        p[n++] = 0x20;
        p[n++] = 0x01;
        p[n++] = 0x0d;
        p[n++] = 0xb8;
        RandomBytes(p + n, 12);
        n += 12;
        break;
    default: // IPv4: the client's host, or 0.0.0.0 (UDP ASSOCIATE's "not known yet")
        p[n++] = 1;
        if (Below(2) == 0)
        {
            p[n++] = 198;
            p[n++] = 51;
            p[n++] = 100;
            p[n++] = 2;
        }
        else
        {
            memset(p + n, 0, 4);
            n += 4;
        }
        break;
    }
    Put16(p + n, 9);
    n += 2;
    switch (Below(4))
    {
    case 0: // one to four bits of the request flipped
        FlipBits(p + start, n - start);
        break;
    case 1: // cut short
        n = start + (int)Below((uint32_t)(n - start));
        break;
    case 2: // trailing bytes after the request
    {
        int extra = 1 + (int)Below(64);
        RandomBytes(p + n, extra);
        n += extra;
        break;
    }
    default: // well formed
        break;
    }
    *category = Category(which == 2 ? "socks-connect" : which == 3 ? "socks-associate" : "socks-bind");
    return n;
}

static int ReadFull(int fd, uint8_t *p, int n)
{
    int done = 0;
    while (done < n)
    {
        ssize_t r = recv(fd, p + done, (size_t)(n - done), 0);
        if (r < 0 && errno == EINTR)
        {
            continue;
        }
        if (r <= 0)
        {
            return -1;
        }
        done += (int)r;
    }
    return 0;
}

static int BoundUdp(const char *address, uint16_t port)
{
    int fd = UdpSocket(AF_INET);
    struct sockaddr_in at;
    memset(&at, 0, sizeof(at));
    at.sin_family = AF_INET;
    at.sin_port = htons(port);
    if (address != NULL && inet_pton(AF_INET, address, &at.sin_addr) != 1)
    {
        fprintf(stderr, "fuzzsend: %s is not an IPv4 address\n", address);
        exit(2);
    }
    if (bind(fd, (struct sockaddr *)&at, sizeof(at)) != 0)
    {
        perror("bind");
        exit(1);
    }
    return fd;
}

// One datagram to the relay into p: RFC 1928 section 7's header (RSV 0, FRAG, ATYP, DST.ADDR,
// DST.PORT) and data. `sink` is where the valid ones go (this host's address, network order
// port). Sets *from to the socket it must leave from: 0 the client's, 1 a second port, 2 the
// stranger address.
static int MakeSocksDatagram(uint8_t *p, const struct sockaddr_in *sink, int *category, int *from)
{
    int n = 0;
    *from = 0;
    p[n++] = 0; // RSV
    p[n++] = 0;
    p[n++] = 0; // FRAG
    p[n++] = 1; // ATYP: IPv4
    memcpy(p + n, &sink->sin_addr, 4);
    n += 4;
    memcpy(p + n, &sink->sin_port, 2);
    n += 2;
    int data = (int)Below(200);
    RandomBytes(p + n, data);
    n += data;
    switch (Below(12))
    {
    case 0:
    case 1: // random bytes
        n = (int)Below(300);
        RandomBytes(p, n);
        *category = Category("udp-random");
        break;
    case 2: // a bit or four of the header flipped
        FlipBits(p, 10);
        *category = Category("udp-mutated");
        break;
    case 3: // the header cut short
        n = (int)Below(10);
        *category = Category("udp-short");
        break;
    case 4: // fragments, which this relay does not reassemble
        p[2] = (uint8_t)(1 + Below(255));
        *category = Category("udp-fragment");
        break;
    case 5: // RSV not zero
        p[Below(2)] = (uint8_t)(1 + Below(255));
        *category = Category("udp-reserved");
        break;
    case 6: // an ATYP none of 1, 3, 4
    {
        uint8_t atyp;
        do
        {
            atyp = (uint8_t)Below(256);
        } while (atyp == 1 || atyp == 3 || atyp == 4);
        p[3] = atyp;
        *category = Category("udp-address-type");
        break;
    }
    case 7: // the client's address, another port
        *from = 1;
        *category = Category("udp-wrong-port");
        break;
    case 8: // not the client at all
        *from = 2;
        *category = Category("udp-not-client");
        break;
    case 9: // an empty name
        p[3] = 3;
        p[4] = 0;
        n = 7 + data;
        *category = Category("udp-empty-name");
        break;
    default:
        *category = Category("udp-valid");
        break;
    }
    return n;
}

// The association, then the datagrams, paced; the sink's arrivals are counted as they come.
static int RunSocksUdp(const char *dstText, uint16_t port, long count, long rate, uint16_t sinkPort, const char *stranger)
{
    struct sockaddr_in server;
    memset(&server, 0, sizeof(server));
    server.sin_family = AF_INET;
    server.sin_port = htons(port);
    if (inet_pton(AF_INET, dstText, &server.sin_addr) != 1)
    {
        fprintf(stderr, "fuzzsend: %s is not an IPv4 address\n", dstText);
        return 2;
    }
    int control = socket(AF_INET, SOCK_STREAM, 0);
    if (control < 0 || connect(control, (struct sockaddr *)&server, sizeof(server)) != 0)
    {
        perror("fuzzsend: connect to the SOCKS server");
        return 1;
    }
    static const uint8_t greeting[] = {5, 1, 0};
    static const uint8_t associate[] = {5, 3, 0, 1, 0, 0, 0, 0, 0, 0};
    uint8_t reply[10];
    if (send(control, greeting, sizeof(greeting), MSG_NOSIGNAL) != (ssize_t)sizeof(greeting) || ReadFull(control, reply, 2) != 0 ||
        reply[0] != 5 || reply[1] != 0 ||
        send(control, associate, sizeof(associate), MSG_NOSIGNAL) != (ssize_t)sizeof(associate) || ReadFull(control, reply, 10) != 0 ||
        reply[1] != 0 || reply[3] != 1)
    {
        fprintf(stderr, "fuzzsend: the SOCKS server did not grant a UDP association (IPv4 BND expected)\n");
        return 1;
    }
    struct sockaddr_in relay;
    memset(&relay, 0, sizeof(relay));
    relay.sin_family = AF_INET;
    memcpy(&relay.sin_addr, reply + 4, 4);
    memcpy(&relay.sin_port, reply + 8, 2);
    if (relay.sin_addr.s_addr == 0)
    {
        relay.sin_addr = server.sin_addr;
    }

    // The sink: this host's address as the relay sees it (the control connection's source).
    struct sockaddr_in self;
    socklen_t selfLength = sizeof(self);
    getsockname(control, (struct sockaddr *)&self, &selfLength);
    char selfText[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &self.sin_addr, selfText, sizeof(selfText));
    int sinkFd = BoundUdp(selfText, sinkPort);
    struct sockaddr_in sink;
    memset(&sink, 0, sizeof(sink));
    sink.sin_family = AF_INET;
    sink.sin_addr = self.sin_addr;
    sink.sin_port = htons(sinkPort);
    int fds[3] = {BoundUdp(selfText, 0), BoundUdp(selfText, 0), BoundUdp(stranger, 0)};

    // The first datagram is a valid one from the client's socket: it fixes the client's port.
    static uint8_t buffers[BATCH][MAX_DATAGRAM];
    int categories[BATCH];
    long sent = 0, errors = 0, sunk = 0;
    long sentFrom[3] = {0, 0, 0};
    double start = Now();
    while (sent + errors < count)
    {
        int n = count - sent - errors < BATCH ? (int)(count - sent - errors) : BATCH;
        for (int i = 0; i < n; i++)
        {
            int from;
            int length = MakeSocksDatagram(buffers[i], &sink, &categories[i], &from);
            if (sent + errors == 0 && i == 0)
            {
                length = 10;
                from = 0;
                memset(buffers[i], 0, 3);
                buffers[i][3] = 1;
                memcpy(buffers[i] + 4, &sink.sin_addr, 4);
                memcpy(buffers[i] + 8, &sink.sin_port, 2);
                categories[i] = Category("udp-valid");
            }
            ssize_t r;
            do
            {
                r = sendto(fds[from], buffers[i], (size_t)length, 0, (struct sockaddr *)&relay, sizeof(relay));
            } while (r < 0 && (errno == EINTR || errno == ENOBUFS || errno == EAGAIN) && (usleep(200), 1));
            if (r < 0)
            {
                errors++;
                continue;
            }
            s_categorySent[categories[i]]++;
            sentFrom[from]++;
            sent++;
            if (sent == 1)
            {
                usleep(20000); // the relay learns the client's port from this one before the rest
            }
        }
        sunk += DrainReplies(sinkFd);
        Pace(start, sent + errors, rate);
    }
    double seconds = Now() - start;
    for (int i = 0; i < 20; i++)
    {
        struct pollfd pfd = {sinkFd, POLLIN, 0};
        if (poll(&pfd, 1, 100) <= 0)
        {
            break;
        }
        sunk += DrainReplies(sinkFd);
    }
    long replies = 0;
    for (int i = 0; i < 3; i++)
    {
        replies += DrainReplies(fds[i]);
    }
    Report(sent, replies, errors, seconds);
    printf("sink=%ld\nsent-from.client=%ld\nsent-from.other-port=%ld\nsent-from.stranger=%ld\n", sunk, sentFrom[0], sentFrom[1], sentFrom[2]);
    // Still associated? The relay must not have closed the control connection.
    struct pollfd pfd = {control, POLLIN, 0};
    printf("association-open=%d\n", poll(&pfd, 1, 0) == 0 ? 1 : 0);
    close(control);
    for (int i = 0; i < 3; i++)
    {
        close(fds[i]);
    }
    close(sinkFd);
    return 0;
}

int main(int argc, char **argv)
{
    for (size_t i = 0; i < sizeof(s_dns) / sizeof(s_dns[0]); i++)
    {
        Parse(DnsSeeds[i], &s_dns[i]);
    }
    for (size_t i = 0; i < sizeof(s_stun) / sizeof(s_stun[0]); i++)
    {
        Parse(StunSeeds[i], &s_stun[i]);
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 7 && strcmp(argv[1], "dns") == 0)
    {
        Seed64(argv[6]);
        int prefilter = argc < 8 || strcmp(argv[7], "any") != 0;
        return RunUdp(argv[2], argv[3], atol(argv[4]), atol(argv[5]), MakeDns, prefilter);
    }
    if (argc >= 10 && strcmp(argv[1], "ip") == 0)
    {
        Seed64(argv[9]);
        return RunIp(argv[2], argv[3], argv[4], argv[5], (uint16_t)atoi(argv[6]), atol(argv[7]), atol(argv[8]));
    }
    if (argc >= 7 && strcmp(argv[1], "stun") == 0)
    {
        Seed64(argv[6]);
        return RunUdp(argv[2], argv[3], atol(argv[4]), atol(argv[5]), MakeStun, 0);
    }
    if (argc >= 6 && strcmp(argv[1], "tcp") == 0)
    {
        Seed64(argv[5]);
        return RunTcp(argv[2], (uint16_t)atoi(argv[3]), atol(argv[4]), MakeStun);
    }
    if (argc >= 6 && strcmp(argv[1], "socks-tcp") == 0)
    {
        Seed64(argv[5]);
        return RunTcp(argv[2], (uint16_t)atoi(argv[3]), atol(argv[4]), MakeSocksStream);
    }
    if (argc >= 9 && strcmp(argv[1], "socks-udp") == 0)
    {
        Seed64(argv[6]);
        return RunSocksUdp(argv[2], (uint16_t)atoi(argv[3]), atol(argv[4]), atol(argv[5]), (uint16_t)atoi(argv[7]), argv[8]);
    }
    fprintf(stderr,
            "usage: fuzzsend dns DST PORT COUNT RATE SEED [prefilter|any]\n"
            "       fuzzsend ip IFNAME DSTMAC SRC DST PORT COUNT RATE SEED\n"
            "       fuzzsend stun DST PORT1[,PORT2] COUNT RATE SEED\n"
            "       fuzzsend tcp DST PORT CONNECTIONS SEED\n"
            "       fuzzsend socks-tcp DST PORT CONNECTIONS SEED\n"
            "       fuzzsend socks-udp DST PORT COUNT RATE SEED SINKPORT STRANGER\n");
    return 2;
}
