#!/usr/bin/env python3
"""Fuzzed DNS through postern-dnsguard, from both ends of the lab.

  fuzzdns.py responder ADDR SEED
      Binds ADDR port 53 and answers every datagram it gets, at once, with an answer drawn from
      one category: a valid answer to it (ID and question copied, A or AAAA, OPT when the query
      had one), that answer truncated, bit-flipped, with random section counts, with a bad name
      (a compression loop, a pointer past the end, a reserved label type), random bytes, an
      oversized answer (many records), or "double": a mutated answer and, 5 ms later, the valid
      one (a rival for a held answer). Prints "ready", then on SIGTERM
      "received=N answered=N answered.CATEGORY=N answered.fragmented=N" (those sent in more than
      one fragment) and exits.

  fuzzdns.py client DST COUNT RATE SEED
      Sends COUNT queries to DST port 53 from 16 sockets at RATE per second: most of them valid
      (a random name under fuzz.example.test, A or AAAA, with or without OPT), the others
      truncated, bit-flipped or random. Reads every answer; ends 3 s after the last one it sent
      (longer than the guard's longest hold) and prints "sent=N sent.CATEGORY=N received=N".

  fuzzdns.py warm DST
      Sends a datagram to DST port 9 (nothing listens there) every 0.2 s until the port
      unreachable error comes back, at most 10 s: the neighbour entries on the way are made
      before the count starts (an IPv6 router that has to resolve its neighbour first dropped
      a second of datagrams in the lab). Exits 1 if no error came.

Every count is of datagrams handed to or read from the kernel, so the caller can hold the
guard's verdicts to account: every query passes, and every answer reaches the client unless the
guard counted it dropped.
"""
import random
import select
import signal
import socket
import struct
import sys
import time

OPT = b"\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00"
DEFAULT_QUESTION = b"\x04fuzz\x07example\x04test\x00\x00\x01\x00\x01"


def family_of(address):
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def read_question(message):
    """The question's wire bytes (name, type, class) of a query, or None."""
    if len(message) < 12 or struct.unpack(">H", message[4:6])[0] != 1:
        return None
    i = 12
    while i < len(message):
        length = message[i]
        if length == 0:
            i += 1
            break
        if length > 63:
            return None
        i += 1 + length
    else:
        return None
    if i + 4 > len(message):
        return None
    return message[12:i + 4]


def query_has_opt(message):
    return len(message) >= 12 and message[10:12] != b"\0\0" and message.endswith(OPT)


def record(qtype, n):
    """An answer record for the question at offset 12 (a compression pointer to it)."""
    if qtype == 28:
        return b"\xc0\x0c" + struct.pack(">HHIH", 28, 1, 60, 16) + bytes.fromhex("20010db8" + "00" * 11) + bytes([0x80 + n % 64])
    return b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, 80 + n % 64])


def valid_answer(query, rng, records=None):
    ident = query[:2] if len(query) >= 2 else rng.randbytes(2)
    question = read_question(query) or DEFAULT_QUESTION
    qtype = struct.unpack(">H", question[-4:-2])[0]
    records = records or rng.randint(1, 3)
    opt = query_has_opt(query)
    header = ident + struct.pack(">HHHHH", 0x8180, 1, records, 0, 1 if opt else 0)
    return header + question + b"".join(record(qtype, n) for n in range(records)) + (OPT if opt else b"")


def flip(message, rng, flips):
    data = bytearray(message)
    for _ in range(flips):
        if not data:
            break
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)
    return bytes(data)


def bad_name(answer, rng):
    """The first answer record's name (at 12 + question) replaced by a broken one."""
    question = read_question(answer)
    at = 12 + (len(question) if question else 0)
    if at + 2 > len(answer):
        return answer
    choice = rng.randrange(4)
    if choice == 0:
        name = struct.pack(">H", 0xC000 | at)  # points at itself
    elif choice == 1:
        name = struct.pack(">H", 0xC000 | (len(answer) + rng.randint(0, 200)))  # past the end
    elif choice == 2:
        name = bytes([0x40 | rng.randrange(0x40)]) + b"x"  # reserved label type (01 and 10)
    else:
        name = b"\x3f" + b"a" * 63 + b"\x3f" + b"b" * 63 + b"\x3f" + b"c" * 63 + b"\x3f" + b"d" * 63 + b"\x00"  # 257 bytes
    return answer[:at] + name + answer[at + 2:]


ANSWER_CATEGORIES = [("valid", 30), ("truncated", 14), ("bitflip", 14), ("counts", 10), ("name", 10), ("random", 10),
                     ("oversized", 6), ("double", 6)]


def pick(categories, rng):
    total = sum(w for _, w in categories)
    x = rng.randrange(total)
    for name, weight in categories:
        if x < weight:
            return name
        x -= weight
    raise AssertionError


def mutated_answer(query, rng, category):
    answer = valid_answer(query, rng)
    if category == "valid":
        return answer
    if category == "truncated":
        return answer[:rng.randrange(len(answer))]
    if category == "bitflip":
        return flip(answer, rng, rng.randint(1, 8))
    if category == "counts":
        return answer[:4] + struct.pack(">HHHH", *(rng.choice([0, 1, 2, 255, 65535, rng.randrange(65536)]) for _ in range(4))) + answer[12:]
    if category == "name":
        return bad_name(answer, rng)
    if category == "random":
        return rng.randbytes(rng.randrange(0, 600))
    if category == "oversized":
        return valid_answer(query, rng, records=rng.randint(40, 90))
    raise ValueError(category)


def responder(address, seed):
    rng = random.Random(seed)
    sock = socket.socket(family_of(address), socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((address, 53))
    sock.setblocking(False)
    counts = {"received": 0, "answered": 0}
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    pending = []  # (due, datagram, peer): the valid halves of "double"
    print("ready", flush=True)

    # The largest payload that leaves in one packet over the lab's 1500-byte links.
    unfragmented = 1500 - (40 if sock.family == socket.AF_INET6 else 20) - 8

    def send(datagram, peer, category):
        sock.sendto(datagram, peer)
        counts["answered"] += 1
        if len(datagram) > unfragmented:
            counts["answered.fragmented"] = counts.get("answered.fragmented", 0) + 1
        key = "answered." + category
        counts[key] = counts.get(key, 0) + 1

    while not stopping:
        timeout = max(0.0, pending[0][0] - time.monotonic()) if pending else 0.2
        try:
            readable, _, _ = select.select([sock], [], [], timeout)
        except InterruptedError:
            continue
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, datagram, peer = pending.pop(0)
            send(datagram, peer, "double.valid")
        if not readable:
            continue
        while True:
            try:
                query, peer = sock.recvfrom(4096)
            except BlockingIOError:
                break
            counts["received"] += 1
            category = pick(ANSWER_CATEGORIES, rng)
            if category == "double":
                first = pick(ANSWER_CATEGORIES[1:-1], rng)
                send(mutated_answer(query, rng, first), peer, "double.mutated")
                pending.append((time.monotonic() + 0.005, valid_answer(query, rng), peer))
            else:
                send(mutated_answer(query, rng, category), peer, category)
    for _, datagram, peer in pending:
        send(datagram, peer, "double.valid")
    print(" ".join(f"{k}={v}" for k, v in sorted(counts.items())), flush=True)


def random_name(rng):
    labels = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789-") for _ in range(rng.randint(1, 20))) for _ in range(rng.randint(1, 3))]
    return ".".join(labels + ["fuzz", "example", "test"])


def valid_query(rng):
    wire = b"".join(bytes([len(label)]) + label.encode() for label in random_name(rng).split(".")) + b"\x00"
    opt = rng.random() < 0.5
    header = rng.randbytes(2) + struct.pack(">HHHHH", 0x0120, 1, 0, 0, 1 if opt else 0)
    return header + wire + struct.pack(">HH", rng.choice([1, 28]), 1) + (OPT if opt else b"")


QUERY_CATEGORIES = [("valid", 80), ("truncated", 7), ("bitflip", 8), ("random", 5)]


def client(destination, count, rate, seed):
    rng = random.Random(seed)
    family = family_of(destination)
    socks = []
    for _ in range(16):
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))
        s.setblocking(False)
        socks.append(s)
    counts = {"sent": 0, "received": 0}
    start = time.monotonic()

    def drain(wait):
        readable, _, _ = select.select(socks, [], [], wait)
        for s in readable:
            while True:
                try:
                    s.recv(4096)
                except BlockingIOError:
                    break
                counts["received"] += 1
        return bool(readable)

    for i in range(count):
        category = pick(QUERY_CATEGORIES, rng)
        query = valid_query(rng)
        if category == "truncated":
            query = query[:rng.randrange(len(query))]
        elif category == "bitflip":
            query = flip(query, rng, rng.randint(1, 6))
        elif category == "random":
            query = rng.randbytes(rng.randrange(0, 300))
        socks[i % len(socks)].sendto(query, (destination, 53))
        counts["sent"] += 1
        key = "sent." + category
        counts[key] = counts.get(key, 0) + 1
        due = start + (i + 1) / rate
        while True:
            left = due - time.monotonic()
            drain(max(0.0, left))
            if left <= 0:
                break
    quiet_until = time.monotonic() + 3.0
    while time.monotonic() < quiet_until:
        if drain(0.1):
            quiet_until = max(quiet_until, time.monotonic() + 1.0)
    print(" ".join(f"{k}={v}" for k, v in sorted(counts.items())), flush=True)


def warm(destination):
    s = socket.socket(family_of(destination), socket.SOCK_DGRAM)
    s.connect((destination, 9))
    s.settimeout(0.2)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            s.send(b"warm")
            s.recv(64)
            return 0
        except ConnectionRefusedError:
            return 0
        except socket.timeout:
            continue
    return 1


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "responder":
        responder(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 6 and sys.argv[1] == "client":
        client(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
    elif len(sys.argv) == 3 and sys.argv[1] == "warm":
        sys.exit(warm(sys.argv[2]))
    else:
        sys.exit(__doc__)
