#!/usr/bin/env bash
# `make demo`, second part: two hosts behind two different NATs pair with a code through
# postern-reflector and punch a UDP path; a line crosses it each way through --forward. Then they
# pair again and hand the punched ports to two wireguard-go interfaces, whose tunnel carries a file.
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

wga=pwga$id wgb=pwgb$id # wireguard-go's control sockets share /var/run/wireguard: unique names
cleanup() {
    remove_namespaces $all
    rm -f /var/run/wireguard/$wga.sock /var/run/wireguard/$wgb.sock
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
say "WireGuard through the hole: a wireguard-go interface on each host, keys made with wg genkey"
# wireguard-go -f stays in the foreground, so $! is wireguard-go and the kill below stops it.
for side in alice bob; do
    ns=${!side}; dev=$wga; [ $side = bob ] && dev=$wgb
    (umask 077; wg genkey > "$scratch/$side.key"); wg pubkey < "$scratch/$side.key" > "$scratch/$side.pub"
    ip netns exec $ns wireguard-go -f $dev > "$scratch/$side-wg.log" 2>&1 &
    echo $! > "$scratch/$side-wg.pid"
    for _ in $(seq 100); do [ -S /var/run/wireguard/$dev.sock ] && break; sleep 0.05; done
    on $ns wg set $dev private-key "$scratch/$side.key"
done
on $alice ip addr add 192.0.2.1/32 peer 192.0.2.2/32 dev $wga; on $alice ip link set $wga up
on $bob ip addr add 192.0.2.2/32 peer 192.0.2.1/32 dev $wgb; on $bob ip link set $wgb up
on $alice wg set $wga peer "$(cat "$scratch/bob.pub")" allowed-ips 192.0.2.2/32
on $bob wg set $wgb peer "$(cat "$scratch/alice.pub")" allowed-ips 192.0.2.1/32
echo "alice: $wga 192.0.2.1, public key $(cat "$scratch/alice.pub")"
echo "bob:   $wgb 192.0.2.2, public key $(cat "$scratch/bob.pub")"
echo "(each knows the other's public key; neither knows where the other is)"

say "alice: postern-punch connect --server 203.0.113.10 --wireguard $wga --peer-key <bob's key>"
ip netns exec $alice "$BIN/postern-punch" connect --server 203.0.113.10 --wireguard $wga --peer-key "$(cat "$scratch/bob.pub")" \
    > "$scratch/alice-wg.log" 2>&1 &
alice_pid=$!
for _ in $(seq 100); do grep -q "on the other host run" "$scratch/alice-wg.log" && break; sleep 0.1; done
code=$(awk '/^code:/ { print $2 }' "$scratch/alice-wg.log")
echo "   code: $code"
say "bob: postern-punch connect --server 203.0.113.10 --code $code --wireguard $wgb --peer-key <alice's key>"
on $bob "$BIN/postern-punch" connect --server 203.0.113.10 --code "$code" --wireguard $wgb --peer-key "$(cat "$scratch/alice.pub")" \
    > "$scratch/bob-wg.log" 2>&1 || { cat "$scratch/bob-wg.log"; exit 1; }
wait $alice_pid || { cat "$scratch/alice-wg.log"; exit 1; }
for side in alice bob; do
    echo "$side:"; grep -E '^punched|attempt connected|wireguard:' "$scratch/$side-wg.log" | sed 's/^/   /'
done
for _ in $(seq 100); do
    on $alice wg show $wga latest-handshakes | awk '{ exit !($2 > 0) }' && break
    sleep 0.1
done
echo "alice's wg show:"; on $alice wg show $wga | grep -E 'listening port|endpoint|latest handshake|transfer' | sed 's/^/   /'

say "A file across the WireGuard tunnel: 8 MiB from alice (192.0.2.1) to bob (192.0.2.2) over TCP"
head -c 8M /dev/urandom > "$scratch/file"
ip netns exec $bob socat -u TCP-LISTEN:9000,bind=192.0.2.2,reuseaddr CREATE:"$scratch/received" &
receiver=$!
for _ in $(seq 50); do on $bob ss -ltn | grep -q '192.0.2.2:9000' && break; sleep 0.1; done
started=$(date +%s%N)
on $alice socat -u OPEN:"$scratch/file" TCP:192.0.2.2:9000
wait $receiver
took_ms=$(( ($(date +%s%N) - started) / 1000000 ))
sent=$(sha256sum < "$scratch/file" | cut -c1-16) got=$(sha256sum < "$scratch/received" | cut -c1-16)
echo "sent     sha256 $sent..."
echo "received sha256 $got... ($(stat -c %s "$scratch/received") bytes in $took_ms ms)"
[ "$sent" = "$got" ] || { echo "the file arrived damaged" >&2; exit 1; }
for side in alice bob; do kill -TERM "$(cat "$scratch/$side-wg.pid")"; done

kill -TERM $reflector_pid; wait $reflector_pid || true
echo "reflector: $(grep -o 'rendezvous-paired=[0-9]*' "$scratch/reflector.log" | tail -1) $(grep -o 'rendezvous-indications=[0-9]*' "$scratch/reflector.log" | tail -1)"
echo
echo "Demo done; the namespaces are being removed."
