#!/usr/bin/python3
"""The lab's slow upstream: takes each DNS query on LISTEN:53, asks dnsmasq on 127.0.0.1:PORT,
and sends its answer back DELAY_MS later (names with a "noreal" label are never answered, so
only a forged answer exists for them). SIGUSR1 switches the delay to FAST_MS (default 5): the
server got faster. Usage: delayproxy.py LISTEN PORT DELAY_MS [FAST_MS]"""
import signal
import socket
import sys
import threading


def main():
    listen, port = sys.argv[1], int(sys.argv[2])
    delay = [int(sys.argv[3]) / 1000.0]
    fast = (int(sys.argv[4]) if len(sys.argv) > 4 else 5) / 1000.0

    def faster(*_):
        delay[0] = fast
        print(f"delay {fast * 1000:.0f} ms", flush=True)

    signal.signal(signal.SIGUSR1, faster)
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind((listen, 53))
    back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    back.bind(("127.0.0.1", 0))
    pending = {}
    lock = threading.Lock()

    def answers():
        while True:
            data, _ = back.recvfrom(65535)
            key = data[:2]
            with lock:
                client = pending.pop(key, None)
            if client is not None:
                threading.Timer(delay[0], front.sendto, (data, client)).start()

    threading.Thread(target=answers, daemon=True).start()
    print("ready", flush=True)
    while True:
        data, client = front.recvfrom(65535)
        if len(data) < 12 or b"\x06noreal" in data.lower():
            continue
        # Keyed by the DNS ID: the lab's clients never have two queries with one ID in flight.
        with lock:
            pending[data[:2]] = client
        back.sendto(data, ("127.0.0.1", port))


if __name__ == "__main__":
    main()
