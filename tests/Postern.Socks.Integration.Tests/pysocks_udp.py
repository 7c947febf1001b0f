#!/usr/bin/python3
"""A UDP client through a SOCKS5 relay with PySocks (Debian's python3-socks), as real programs use it.

    pysocks_udp.py SERVER DEST [--announce port|zero|private] [--user U --password P]
                   [--count N] [--interval S] [--listen S] [--port P]

PySocks itself announces 0.0.0.0 and its socket's port in UDP ASSOCIATE ("port"); "zero" makes
it announce 0.0.0.0:0 (RFC 1928's "the client does not know") and "private" the host's own
address and port, which behind NAT is never where the datagrams come from. Everything else
(greeting, RFC 1929, request, reply, the UDP header both ways) is PySocks' own code.
It sends "datagram I" to DEST COUNT times, INTERVAL apart, reading replies in between, then
listens LISTEN seconds more. Prints "echo FROM PAYLOAD" per reply and finally "echoes N".
"""
import argparse
import socket
import sys
import time

import socks


def endpoint(text):
    host, port = text.rsplit(":", 1)
    return host.strip("[]"), int(port)


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("server")
    p.add_argument("destination")
    p.add_argument("--announce", choices=["port", "zero", "private"], default="port")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--count", type=int, default=5)
    p.add_argument("--interval", type=float, default=0.2)
    p.add_argument("--listen", type=float, default=2.0)
    p.add_argument("--port", type=int, default=0)
    args = p.parse_args()
    server = endpoint(args.server)
    destination = endpoint(args.destination)

    original = socks.socksocket._SOCKS5_request

    def request(self, conn, cmd, dst):
        if cmd == b"\x03" and args.announce == "zero":
            dst = ("0.0.0.0", 0)
        elif cmd == b"\x03" and args.announce == "private":
            probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            probe.connect((server[0], 9))
            dst = (probe.getsockname()[0], self.getsockname()[1])
            probe.close()
        say("announce %s:%d" % dst)
        return original(self, conn, cmd, dst)

    socks.socksocket._SOCKS5_request = request
    s = socks.socksocket(socket.AF_INET, socket.SOCK_DGRAM)
    s.set_proxy(socks.SOCKS5, server[0], server[1], username=args.user, password=args.password)
    try:
        s.bind(("0.0.0.0", args.port))
    except socks.ProxyError as e:
        say("proxy error: %s" % e)
        return 3
    say("associated")
    echoes = 0

    def receive(until):
        nonlocal echoes
        while True:
            left = until - time.monotonic()
            if left <= 0:
                return
            s.settimeout(left)
            try:
                data, source = s.recvfrom(65536)
            except socket.timeout:
                return
            except OSError as e:
                say("receive error %s" % e)
                continue
            if source == destination:
                echoes += 1
            say("echo %s:%d %s" % (source[0], source[1], data.decode(errors="replace")))

    for i in range(args.count):
        s.sendto(b"datagram %d" % i, destination)
        receive(time.monotonic() + args.interval)
    say("sent %d" % args.count)
    receive(time.monotonic() + args.listen)
    say("echoes %d" % echoes)
    s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
