#!/usr/bin/python3
"""Bad input for a SOCKS5 server (postern-socks' fuzz test): random bytes and truncated or mutated
requests on TCP connections, then random and mutated datagrams on one UDP association.

    socksfuzz.py SERVER ECHO --connections N --datagrams N [--seed S]

TCP: N connections, each one of: random bytes; a valid greeting then random bytes; a valid
greeting, request and a truncation of it; a valid exchange with one byte mutated; a connection
closed at once. Prints "tcp opened N". UDP: associates (0.0.0.0:0), sends one valid datagram to
ECHO and waits for its answer, then N datagrams: random, mutated valid ones (any byte, the
address bytes excepted, so that nothing leaves for an address outside the namespace), truncated
ones, and every 10th a valid one with FRAG 1..255. Prints "udp sent N", "udp fragments F",
"udp valid V" (valid datagrams to ECHO, FRAG 0) and "udp answers A" (relayed answers read back).
"""
import argparse
import random
import socket
import struct
import sys
import time


def endpoint(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def valid_request(rng, echo):
    kind = rng.randrange(3)
    if kind == 0:
        return b"\x05\x01\x00\x01" + socket.inet_aton(echo[0]) + struct.pack("!H", echo[1])
    if kind == 1:
        return b"\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00"
    return b"\x05\x01\x00\x03\x09localhost" + struct.pack("!H", 9)


def tcp(server, echo, count, rng):
    opened = 0
    for i in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect(server)
        except OSError:
            s.close()
            continue
        opened += 1
        kind = i % 5
        greeting = b"\x05\x01\x00"
        request = valid_request(rng, echo)
        try:
            if kind == 0:
                s.sendall(rng.randbytes(rng.randrange(1, 300)))
            elif kind == 1:
                s.sendall(greeting + rng.randbytes(rng.randrange(1, 300)))
            elif kind == 2:
                s.sendall(greeting)
                s.recv(2)
                s.sendall(request[: rng.randrange(0, len(request))])
            elif kind == 3:
                data = bytearray(greeting + request)
                data[rng.randrange(len(data))] = rng.randrange(256)
                s.sendall(bytes(data))
            s.shutdown(socket.SHUT_WR)
            while s.recv(4096):
                pass
        except OSError:
            pass
        s.close()
    say("tcp opened %d" % opened)


def udp(server, echo, count, rng):
    t = socket.create_connection(server, timeout=5)
    t.sendall(b"\x05\x01\x00")
    assert t.recv(2) == b"\x05\x00"
    t.sendall(b"\x05\x03\x00\x01\x00\x00\x00\x00\x00\x00")
    reply = t.recv(10)
    assert reply[1] == 0, reply
    relay = (socket.inet_ntoa(reply[4:8]), struct.unpack("!H", reply[8:10])[0])
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    header = b"\x00\x00\x00\x01" + socket.inet_aton(echo[0]) + struct.pack("!H", echo[1])
    u.sendto(header + b"hello", relay)
    u.settimeout(5)
    u.recvfrom(65536)
    answers = 1
    u.setblocking(False)
    fragments = valid = 0
    for i in range(count):
        payload = rng.randbytes(rng.randrange(0, 1400))
        kind = i % 10
        if kind == 9:
            data = b"\x00\x00" + bytes([rng.randrange(1, 256)]) + header[3:] + payload
            fragments += 1
        elif kind < 3:
            data = rng.randbytes(rng.randrange(0, 1500))
            # Random bytes that happen to name an address would send it out: keep ATYP unknown
            # unless the address is loopback.
            if len(data) > 3 and data[3] in (1, 3, 4):
                data = data[:3] + b"\x09" + data[4:]
        elif kind < 6:
            data = bytearray(header + payload)
            at = rng.choice([0, 1, 2, 3] + list(range(10, len(data)))) if len(data) > 10 else 0
            data[at] = rng.randrange(256)
            if data[3] == 4 or (data[3] == 3 and at == 3):
                data[3] = 9  # an IPv6 address or a name made of the IPv4 bytes: not routable here
            data = bytes(data)
            if data[:10] == header and at >= 10:
                valid += 1
        elif kind < 8:
            data = (header + payload)[: rng.randrange(0, 10)]
        else:
            data = header + payload
            valid += 1
        u.sendto(data, relay)
        if i % 64 == 0:
            time.sleep(0.002)
        try:
            while True:
                u.recvfrom(65536)
                answers += 1
        except BlockingIOError:
            pass
    end = time.monotonic() + 2
    while time.monotonic() < end:
        try:
            u.recvfrom(65536)
            answers += 1
        except BlockingIOError:
            time.sleep(0.01)
    say("udp sent %d" % (count + 1))
    say("udp fragments %d" % fragments)
    say("udp valid %d" % (valid + 1))
    say("udp answers %d" % answers)
    t.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("server")
    p.add_argument("echo")
    p.add_argument("--connections", type=int, default=1000)
    p.add_argument("--datagrams", type=int, default=20000)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    rng = random.Random(args.seed)
    tcp(endpoint(args.server), endpoint(args.echo), args.connections, rng)
    udp(endpoint(args.server), endpoint(args.echo), args.datagrams, rng)
    return 0


if __name__ == "__main__":
    sys.exit(main())
