#!/usr/bin/env bash
# `make demo`: postern-aaaa at work on a self-contained default, in network namespaces.
#
#   client 192.0.2.2 --- 192.0.2.1 [gateway: dnsmasq + postern-aaaa] 198.51.100.1 --- 198.51.100.2 upstream
#
# The upstream DNS server is slow (dnsmasq behind an 800 ms socat delay). postern-aaaa sits in
# front of the gateway's dnsmasq (INPUT chain): AAAA is answered at once with NODATA, A goes to
# the slow upstream and comes back unchanged. Everything is removed at the end, even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/demo-lib.sh

if [ "$(id -u)" != 0 ]; then
    echo "make demo needs root (network namespaces, iptables, NFQUEUE)" >&2
    exit 1
fi
POSTERN=$PWD/build/linux-x64/bin/postern-aaaa
[ -x "$POSTERN" ] || { echo "build/linux-x64/bin/postern-aaaa is missing: run make build" >&2; exit 1; }

id=$$
client=pst-demo-client-$id
gateway=pst-demo-gw-$id
upstream=pst-demo-up-$id
scratch=$(mktemp -d /tmp/postern-demo.XXXXXX)

cleanup() {
    remove_namespaces $client $gateway $upstream
    rm -rf "$scratch"
}
trap cleanup EXIT


say "Building the lab: client, gateway (dnsmasq + postern-aaaa), slow upstream"
for ns in $client $gateway $upstream; do ip netns add "$ns"; on "$ns" ip link set lo up; done
ip link add pdc$id netns $client type veth peer name pdg$id netns $gateway
ip link add pdu$id netns $gateway type veth peer name pds$id netns $upstream
on $client ip addr add 192.0.2.2/24 dev pdc$id; on $client ip link set pdc$id up
on $gateway ip addr add 192.0.2.1/24 dev pdg$id; on $gateway ip link set pdg$id up
on $gateway ip addr add 198.51.100.1/24 dev pdu$id; on $gateway ip link set pdu$id up
on $upstream ip addr add 198.51.100.2/24 dev pds$id; on $upstream ip link set pds$id up

printf '#!/bin/sh\nsleep 0.8\nexec socat -T3 - UDP4:127.0.0.1:5353\n' > "$scratch/slow.sh"
chmod +x "$scratch/slow.sh"
on $upstream dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --listen-address=127.0.0.1 --bind-interfaces \
    --port=5353 --user=root --pid-file="$scratch/upstream.pid" \
    --address=/example.test/192.0.2.80 --address=/example.test/2001:db8::80
ip netns exec $upstream socat -t3 -T3 UDP4-RECVFROM:53,bind=198.51.100.2,fork,reuseaddr EXEC:"$scratch/slow.sh" 2>/dev/null &
on $gateway dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --listen-address=192.0.2.1 --bind-interfaces \
    --port=53 --user=root --pid-file="$scratch/gateway.pid" --cache-size=0 --server=198.51.100.2
echo "upstream 198.51.100.2: answers example.test with A 192.0.2.80, AAAA 2001:db8::80, 800 ms late"
echo "gateway 192.0.2.1: dnsmasq forwarding to the upstream, no cache"
sleep 0.3

dig_summary() {
    on $client dig @192.0.2.1 "$1" "$2" +tries=1 +time=4 | awk '
        /status:/ { sub(/.*status: /, ""); sub(/,.*/, ""); status = $0 }
        /^[^;].*\tIN\t/ && !/^$/ { rec = rec "\n      " $0 }
        /Query time:/ { time = $4 " ms" }
        END { printf "   status %s, %s%s\n", status, time, rec }'
}

say "Before postern-aaaa: both queries wait for the slow upstream"
echo "dig AAAA www.example.test"; dig_summary AAAA www.example.test
echo "dig A www.example.test";    dig_summary A www.example.test

say "Starting postern-aaaa --chain input on the gateway"
ip netns exec $gateway "$POSTERN" --chain input --stats-interval 0 --metrics-listen 127.0.0.1:9253 > "$scratch/postern.log" 2>&1 &
postern=$!
for _ in $(seq 50); do grep -q ready "$scratch/postern.log" && break; sleep 0.1; done
sed 's/^/   /' "$scratch/postern.log"

say "Its rules (iptables-save | grep postern-aaaa)"
{ on $gateway iptables-save; on $gateway ip6tables-save; } | grep -- postern-aaaa | sed 's/^/   /'

say "With postern-aaaa: AAAA is answered at once (NODATA + SOA), A still comes from the upstream"
echo "dig AAAA www.example.test"; dig_summary AAAA www.example.test
echo "dig AAAA mail.example.test"; dig_summary AAAA mail.example.test
echo "dig A www.example.test";    dig_summary A www.example.test

say "Counters (SIGUSR1)"
kill -USR1 $postern; sleep 0.3
grep 'stats:' "$scratch/postern.log" | tail -1 | sed 's/^/   /'

say "The same counters for Prometheus (curl http://127.0.0.1:9253/metrics on the gateway)"
on $gateway curl -s http://127.0.0.1:9253/metrics | grep -E '^postern_aaaa_(answered|queued)_total|^postern_aaaa_passed_total\{reason="(other-type|response)"' | sed 's/^/   /'

say "Stopping it (SIGTERM): the rules go with it"
kill -TERM $postern; wait $postern || true
tail -n 3 "$scratch/postern.log" | sed 's/^/   /'
left=$({ on $gateway iptables-save; on $gateway ip6tables-save; } | grep -c -- postern-aaaa || true)
echo "   rules tagged postern-aaaa left: $left"

say "After: AAAA waits for the upstream again"
echo "dig AAAA www.example.test"; dig_summary AAAA www.example.test
echo
echo "Demo done; the namespaces are being removed."
