#!/usr/bin/python3
"""A small UDP tool for the NAT labs (PunchLab, NatLab): run inside a namespace with
`ip netns exec NS /usr/bin/python3 udppeer.py MODE ...`. Standard library only. Every line it
prints is flushed at once, so a test can wait for it (BackgroundProcess.WaitForOutput).

Modes:
  echo ADDR:PORT...       answer every datagram with "seen IP:PORT" (its source) from the socket
                          it came to; --again SEC (repeatable) sends "again SEC IP:PORT" to the same
                          source SEC seconds later (a remote speaking first after a pause).
                          Prints "listening" once bound; runs until killed.
  ask DEST...             from --port, sends "ask" to each DEST and prints "DEST seen IP:PORT" or
                          "DEST none"; then prints "asked" and, for --listen SEC, prints every
                          datagram that arrives as "from IP:PORT TEXT".
  send DEST               from --port, sends --count datagrams (--text, --ttl, --interval).
  recv                    on --port, prints "listening", then "from IP:PORT TEXT" for --seconds.
  refused DEST            a connected socket sends one datagram and waits --seconds for an
                          answer or an ICMP error: prints "refused" (port unreachable came back),
                          "answered" or "silent" (nothing: dropped on the way).
  peer                    one side of a punch: at --start (epoch seconds) sends an opener with
                          --opener-ttl (if given), then --count probes to --peer every --interval,
                          receiving all the while; prints "received N from IP:PORT..." at the end
                          (--seconds after the start).
  socks SERVER DEST       a SOCKS5 (RFC 1928) UDP ASSOCIATE client: TCP to SERVER, no auth, asks
                          for UDP announcing --announce zero (0.0.0.0:0), port (0.0.0.0 and the
                          UDP socket's port, as PySocks does) or local (the socket's own
                          address:port), prints "relay IP:PORT" (BND), sends
                          --count datagrams to DEST (and each --also DEST) through the relay, then for --listen SEC
                          prints "relayed from IP:PORT TEXT" for each datagram the relay brings
                          (the SOCKS header's address), and at the end "echoes N" (how many came
                          back from DEST).
  pinger DEST             from one socket on 127.0.0.1, sends "ping N" to DEST every --interval for
                          --seconds, printing "pong N" for each that comes back (a flow whose
                          local endpoint never changes), then "pongs N" (how many in all).
  mirror DEST             from one socket on 127.0.0.1, sends "hello" to DEST every 0.5 s until a
                          datagram arrives ("mirroring" is printed then), and from then on sends
                          every datagram back to where it came from, for --seconds.
"""
import argparse
import struct
import select
import socket
import sys
import threading
import time


def say(line):
    print(line, flush=True)


def endpoint(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


def bound(port, address="0.0.0.0"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((address, port))
    return s


def echo(args):
    sockets = [bound(p, a) for a, p in map(endpoint, args.endpoints)]
    say("listening")
    while True:
        ready, _, _ = select.select(sockets, [], [])
        for s in ready:
            _, source = s.recvfrom(2048)
            seen = "%s:%d" % source
            s.sendto(("seen " + seen).encode(), source)
            for delay in args.again:
                text = ("again %g %s" % (delay, seen)).encode()
                threading.Timer(delay, lambda s=s, source=source, text=text: s.sendto(text, source)).start()


def ask(args):
    s = bound(args.port)
    for text in args.destinations:
        destination = endpoint(text)
        s.sendto(b"ask", destination)
        s.settimeout(args.timeout)
        answer = "none"
        try:
            while True:
                data, source = s.recvfrom(2048)
                if source == destination:
                    answer = data.decode(errors="replace")
                    break
        except socket.timeout:
            pass
        say("%s %s" % (text, answer))
    say("asked")
    listen(s, args.listen)


def listen(s, seconds):
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return
        s.settimeout(left)
        try:
            data, source = s.recvfrom(2048)
        except socket.timeout:
            return
        say("from %s:%d %s" % (source[0], source[1], data.decode(errors="replace")))


def send(args):
    s = bound(args.port)
    if args.ttl:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, args.ttl)
    for i in range(args.count):
        s.sendto(("%s %d" % (args.text, i)).encode(), endpoint(args.destination))
        time.sleep(args.interval)
    say("sent %d" % args.count)


def recv(args):
    s = bound(args.port)
    say("listening")
    listen(s, args.seconds)


def refused(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(endpoint(args.destination))
    s.settimeout(args.seconds)
    try:
        s.send(b"anyone?")
        s.recv(2048)
        say("answered")
    except ConnectionRefusedError:
        say("refused")
    except socket.timeout:
        say("silent")


def peer(args):
    s = bound(args.port)
    destination = endpoint(args.peer)
    received = {}

    def receive():
        end = args.start + args.seconds
        while time.time() < end:
            s.settimeout(max(0.01, end - time.time()))
            try:
                data, source = s.recvfrom(2048)
            except socket.timeout:
                break
            except OSError:
                continue  # an ICMP error on the socket; keep listening
            if data.startswith(b"probe"):
                key = "%s:%d" % source
                received[key] = received.get(key, 0) + 1

    receiver = threading.Thread(target=receive)
    receiver.start()
    time.sleep(max(0.0, args.start - time.time()))
    if args.opener_ttl:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, args.opener_ttl)
        s.sendto(b"opener", destination)
        time.sleep(args.interval)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 64)
    time.sleep(args.delay)
    for i in range(args.count):
        try:
            s.sendto(b"probe %d" % i, destination)
        except OSError:
            pass  # an earlier ICMP error reported on send; the next probe goes
        time.sleep(args.interval)
    receiver.join()
    total = sum(received.values())
    say("received %d %s" % (total, " ".join("%s=%d" % kv for kv in sorted(received.items()))))


def socks_address(host, port):
    return b"\x01" + socket.inet_aton(host) + struct.pack("!H", port)


def socks(args):
    u = bound(args.port)
    t = socket.create_connection(endpoint(args.server), timeout=5)
    t.sendall(b"\x05\x01\x00")
    if t.recv(2) != b"\x05\x00":
        say("no-auth refused")
        return
    server_host = endpoint(args.server)[0]
    if args.announce == "zero":
        announced = ("0.0.0.0", 0)
    elif args.announce == "port":
        announced = ("0.0.0.0", u.getsockname()[1])
    else:
        # the address the kernel picks towards the server, and the UDP socket's port
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.connect((server_host, 9))
        announced = (probe.getsockname()[0], u.getsockname()[1])
        probe.close()
    t.sendall(b"\x05\x03\x00" + socks_address(*announced))
    reply = t.recv(10)
    if len(reply) < 10 or reply[1] != 0:
        say("associate refused %r" % reply)
        return
    relay = (socket.inet_ntoa(reply[4:8]), struct.unpack("!H", reply[8:10])[0])
    if relay[0] == "0.0.0.0":
        relay = (server_host, relay[1])
    say("announced %s:%d" % announced)
    say("relay %s:%d" % relay)
    destination = endpoint(args.destination)
    destinations = [destination] + [endpoint(d) for d in args.also]
    for i in range(args.count):
        for d in destinations:
            u.sendto(b"\x00\x00\x00" + socks_address(*d) + b"datagram %d" % i, relay)
        time.sleep(args.interval)
    say("sent %d" % args.count)
    echoes = 0
    end = time.monotonic() + args.listen
    while time.monotonic() < end:
        u.settimeout(max(0.01, end - time.monotonic()))
        try:
            data, source = u.recvfrom(2048)
        except socket.timeout:
            break
        except OSError:
            continue
        if len(data) < 10 or data[3] != 1:
            say("unwrapped from %s:%d" % source)
            continue
        origin = (socket.inet_ntoa(data[4:8]), struct.unpack("!H", data[8:10])[0])
        if origin == destination:
            echoes += 1
        say("relayed from %s:%d %s" % (origin[0], origin[1], data[10:].decode(errors="replace")))
    say("echoes %d" % echoes)
    t.close()


def pinger(args):
    s = bound(0, "127.0.0.1")
    destination = endpoint(args.destination)
    say("pinging from %s:%d" % s.getsockname())
    end = time.time() + args.seconds
    next_ping = time.time()
    sequence = 0
    pongs = 0
    while time.time() < end:
        now = time.time()
        if now >= next_ping:
            try:
                s.sendto(b"ping %d" % sequence, destination)
            except OSError:
                pass  # an ICMP error from an earlier datagram; the flow goes on
            sequence += 1
            next_ping += args.interval
        ready, _, _ = select.select([s], [], [], max(0.0, min(next_ping, end) - time.time()))
        if not ready:
            continue
        try:
            data = s.recv(2048)
        except OSError:
            continue
        if data.startswith(b"ping "):
            pongs += 1
            say("pong " + data[5:].decode(errors="replace"))
    say("pongs %d" % pongs)


def mirror(args):
    s = bound(0, "127.0.0.1")
    destination = endpoint(args.destination)
    end = time.time() + args.seconds
    mirroring = False
    while time.time() < end:
        if not mirroring:
            try:
                s.sendto(b"hello", destination)
            except OSError:
                pass
        ready, _, _ = select.select([s], [], [], 0.5 if not mirroring else max(0.0, end - time.time()))
        if not ready:
            continue
        try:
            data, source = s.recvfrom(2048)
        except OSError:
            continue
        if not mirroring:
            mirroring = True
            say("mirroring")
        try:
            s.sendto(data, source)
        except OSError:
            pass


def main():
    parser = argparse.ArgumentParser()
    modes = parser.add_subparsers(dest="mode", required=True)
    p = modes.add_parser("echo")
    p.add_argument("endpoints", nargs="+")
    p.add_argument("--again", type=float, action="append", default=[])
    p.set_defaults(run=echo)
    p = modes.add_parser("ask")
    p.add_argument("destinations", nargs="+")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("--listen", type=float, default=0.0)
    p.set_defaults(run=ask)
    p = modes.add_parser("send")
    p.add_argument("destination")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--ttl", type=int, default=0)
    p.add_argument("--interval", type=float, default=0.05)
    p.add_argument("--text", default="hello")
    p.set_defaults(run=send)
    p = modes.add_parser("recv")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--seconds", type=float, default=2.0)
    p.set_defaults(run=recv)
    p = modes.add_parser("refused")
    p.add_argument("destination")
    p.add_argument("--seconds", type=float, default=1.0)
    p.set_defaults(run=refused)
    p = modes.add_parser("peer")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--peer", required=True)
    p.add_argument("--start", type=float, required=True)
    p.add_argument("--delay", type=float, default=0.0, help="seconds after the start (and opener) before the probes")
    p.add_argument("--count", type=int, default=15)
    p.add_argument("--interval", type=float, default=0.05)
    p.add_argument("--opener-ttl", type=int, default=0)
    p.add_argument("--seconds", type=float, default=3.0)
    p.set_defaults(run=peer)
    p = modes.add_parser("socks")
    p.add_argument("server")
    p.add_argument("destination")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--also", action="append", default=[], help="another DEST to send every datagram to")
    p.add_argument("--announce", choices=["zero", "port", "local"], default="zero")
    p.add_argument("--count", type=int, default=5)
    p.add_argument("--interval", type=float, default=0.1)
    p.add_argument("--listen", type=float, default=2.0)
    p.set_defaults(run=socks)
    p = modes.add_parser("pinger")
    p.add_argument("destination")
    p.add_argument("--interval", type=float, default=0.1)
    p.add_argument("--seconds", type=float, default=60.0)
    p.set_defaults(run=pinger)
    p = modes.add_parser("mirror")
    p.add_argument("destination")
    p.add_argument("--seconds", type=float, default=60.0)
    p.set_defaults(run=mirror)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    sys.exit(main())
