#!/usr/bin/env bash
# `make demo`, second part: two hosts behind two different NATs pair with a code through
# postern-reflector and punch a UDP path; a line crosses it each way through --forward.
#
#   alice 198.51.100.2 -- [NAT A: MASQUERADE] 203.0.113.40 --+
#                                                            [internet: postern-reflector 203.0.113.10/.11]
#   bob 198.51.100.130 -- [NAT B: MASQUERADE, OpenWrt-like   +
#                          WAN firewall] 203.0.113.56
#
# Everything is removed at the end, even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/demo-lib.sh

if [ "$(id -u)" != 0 ]; then
    echo "make demo needs root (network namespaces, iptables)" >&2
    exit 1
fi
BIN=$PWD/build/linux-x64/bin
for b in postern-punch postern-reflector; do
    [ -x "$BIN/$b" ] || { echo "build/linux-x64/bin/$b is missing: run make build" >&2; exit 1; }
done

id=$$
alice=pst-demo-alice-$id natA=pst-demo-nata-$id net=pst-demo-net-$id natB=pst-demo-natb-$id bob=pst-demo-bob-$id
all="$alice $natA $net $natB $bob"
scratch=$(mktemp -d /tmp/postern-demo-punch.XXXXXX)

cleanup() {
    remove_namespaces $all
    rm -rf "$scratch"
}
trap cleanup EXIT

link() { # link NS1 DEV1 ADDR1 NS2 DEV2 ADDR2
    ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
    on "$1" ip addr add "$3" dev "$2"; on "$1" ip link set "$2" up
    on "$4" ip addr add "$6" dev "$5"; on "$4" ip link set "$5" up
}

say "Building two sites behind two NATs, and the internet with postern-reflector"
for ns in $all; do ip netns add "$ns"; on "$ns" ip link set lo up; done
link $alice pda$id 198.51.100.2/25 $natA pna$id 198.51.100.1/25
link $natA pwa$id 203.0.113.40/28 $net pia$id 203.0.113.33/28
link $bob pdb$id 198.51.100.130/25 $natB pnb$id 198.51.100.129/25
link $natB pwb$id 203.0.113.56/28 $net pib$id 203.0.113.49/28
on $net ip addr add 203.0.113.10/32 dev lo
on $net ip addr add 203.0.113.11/32 dev lo
on $alice ip route add default via 198.51.100.1
on $bob ip route add default via 198.51.100.129
on $natA ip route add default via 203.0.113.33
on $natB ip route add default via 203.0.113.49
for ns in $natA $natB $net; do on $ns sysctl -qw net.ipv4.ip_forward=1; done
on $natA iptables -t nat -A POSTROUTING -o pwa$id -j MASQUERADE
on $natB iptables -t nat -A POSTROUTING -o pwb$id -j MASQUERADE
on $natB iptables -A INPUT -i pwb$id -m conntrack --ctstate NEW -j DROP
on $natB iptables -A FORWARD -i pwb$id -m conntrack --ctstate NEW -j DROP
echo "alice 198.51.100.2 behind NAT A (203.0.113.40, plain MASQUERADE)"
echo "bob 198.51.100.130 behind NAT B (203.0.113.56, MASQUERADE and a WAN firewall)"

ip netns exec $net "$BIN/postern-reflector" --listen udp:203.0.113.10:3478 --alternate 203.0.113.11:3479 --stats-interval 0 \
    > "$scratch/reflector.log" 2>&1 &
reflector_pid=$!
for _ in $(seq 50); do grep -q "listening on" "$scratch/reflector.log" && break; sleep 0.1; done
sed 's/^/   /' "$scratch/reflector.log"

say "What each NAT does (postern-punch nat-type, RFC 5780)"
echo "alice:"; on $alice "$BIN/postern-punch" nat-type --server 203.0.113.10 | sed 's/^/   /'
echo "bob:";   on $bob "$BIN/postern-punch" nat-type --server 203.0.113.10 | grep -E '^(mapping|filtering)' | sed 's/^/   /'

say "alice: postern-punch connect --server 203.0.113.10 --forward 127.0.0.1:7000"
# ip netns exec, not the on() function, in the background: $! must be postern-punch itself.
ip netns exec $alice "$BIN/postern-punch" connect --server 203.0.113.10 --forward 127.0.0.1:7000 > "$scratch/alice.log" 2>&1 &
alice_pid=$!
for _ in $(seq 100); do grep -q "on the other host run" "$scratch/alice.log" && break; sleep 0.1; done
grep -E '^(code|on the other host)' "$scratch/alice.log" | sed 's/^/   /'
code=$(awk '/^code:/ { print $2 }' "$scratch/alice.log")

say "bob: postern-punch connect --server 203.0.113.10:3478 --code $code --forward 127.0.0.1:7000"
ip netns exec $bob "$BIN/postern-punch" connect --server 203.0.113.10:3478 --code "$code" --forward 127.0.0.1:7000 > "$scratch/bob.log" 2>&1 &
bob_pid=$!
for _ in $(seq 100); do
    grep -q "^forwarding\|forwarding 127" "$scratch/alice.log" && grep -q "forwarding 127" "$scratch/bob.log" && break
    sleep 0.1
done
echo "alice:"; grep -E '^punched|paired|attempt' "$scratch/alice.log" | sed 's/^/   /'
echo "bob:";   grep -E '^punched|paired|attempt' "$scratch/bob.log" | sed 's/^/   /'

say "A line each way through the hole (socat to the local --forward port on each side)"
ip netns exec $bob sh -c "(echo 'bob is here'; sleep 2; echo 'hello alice, from bob'; sleep 2) | socat -T 5 - UDP4:127.0.0.1:7000" > "$scratch/bob.got" &
bob_socat=$!
sleep 0.5
on $alice sh -c "(echo 'hello bob, from alice'; sleep 3) | socat -T 4 - UDP4:127.0.0.1:7000" > "$scratch/alice.got"
wait $bob_socat || true
sleep 0.5
echo "bob received:   $(tr '\n' '|' < "$scratch/bob.got")"
echo "alice received: $(tr '\n' '|' < "$scratch/alice.got")"

say "Stopping alice (SIGTERM): bob is told and ends too"
kill -TERM $alice_pid; wait $alice_pid || true
wait $bob_pid || true
tail -n 2 "$scratch/bob.log" | sed 's/^/   /'
kill -TERM $reflector_pid; wait $reflector_pid || true
echo "reflector: $(grep -o 'rendezvous-paired=[0-9]*' "$scratch/reflector.log" | tail -1) $(grep -o 'rendezvous-indications=[0-9]*' "$scratch/reflector.log" | tail -1)"
echo
echo "Demo done; the namespaces are being removed."
