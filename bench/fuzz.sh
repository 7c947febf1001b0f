#!/usr/bin/env bash
# Bad input for the real daemons (issue 8, "Bad input"): COUNT random and mutated packets through
# the real NFQUEUE to postern-aaaa, COUNT random and mutated STUN and text datagrams (plus
# random bytes on TCP connections) to postern-reflector, and COUNT random and mutated datagrams
# on one UDP association (plus random bytes and mutated SOCKS5 handshakes on TCP connections) to
# postern-socks, each in a pair of private network namespaces linked by veth:
#   client 198.51.100.2, 2001:db8:5::2 --- 198.51.100.1, 2001:db8:5::1 server (postern-aaaa on
#   INPUT, or postern-reflector; TCP is fuzzed over IPv4 only)
# The generator is bench/fuzzsend.c, compiled here. Afterwards each daemon must still be up and
# answer a real client (dig AAAA gets Postern's SOA; turnutils_stunclient its mapping; curl a page
# through postern-socks' CONNECT and udppeer.py echoes through its UDP ASSOCIATE), exit 0 on
# SIGTERM and leave no rule; and the counters must account for every packet: the daemon's, the
# NFQUEUE rule's, /proc/net/netfilter/nfnetlink_queue's and the namespaces' /proc/net/snmp.
# Unlike `make bench`, this asserts: every check prints "ok" or "FAIL", and any FAIL makes the
# exit status 1.
#
# Usage: bench/fuzz.sh [COUNT] [aaaa|reflector|socks|all]     (COUNT per daemon, default 1000000)
# Knobs (environment): FUZZ_SEED (1; each phase uses SEED + its number), FUZZ_AAAA_RATE (20000 packets/s), FUZZ_REFLECTOR_RATE
# (30000), FUZZ_SOCKS_RATE (10000), FUZZ_TCP (connections, COUNT/100, at least 100), FUZZ_WRITE (0; 1 writes the
# "Fuzzing (make fuzz)" section of BENCHMARKS.md, which `make fuzz` asks for).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
. bench/lib.sh

COUNT=${1:-1000000}
ONLY=${2:-all}
SEED=${FUZZ_SEED:-1}
AAAA_RATE=${FUZZ_AAAA_RATE:-20000}
REFLECTOR_RATE=${FUZZ_REFLECTOR_RATE:-30000}
SOCKS_RATE=${FUZZ_SOCKS_RATE:-10000}
TCP_CONNECTIONS=${FUZZ_TCP:-$((COUNT / 100 > 100 ? COUNT / 100 : 100))}
WRITE=${FUZZ_WRITE:-0}
AAAA=$ROOT/build/linux-x64/bin/postern-aaaa
REFLECTOR=$ROOT/build/linux-x64/bin/postern-reflector
SOCKS=$ROOT/build/linux-x64/bin/postern-socks
UDPPEER=$ROOT/tests/Postern.Testing/udppeer.py
CLIENT_IP=198.51.100.2
SERVER_IP=198.51.100.1
CLIENT_IP6=2001:db8:5::2
SERVER_IP6=2001:db8:5::1
STRANGER_IP=198.51.100.3
QUEUE=53

[ "$(id -u)" = 0 ] || bench_die "needs root: network namespaces, iptables, NFQUEUE and AF_PACKET"
[[ $COUNT =~ ^[0-9]+$ ]] && [ "$COUNT" -ge 100 ] || bench_die "COUNT must be a number of at least 100, not '$COUNT'"
case $ONLY in aaaa | reflector | socks | all) ;; *) bench_die "the second argument is aaaa, reflector, socks or all, not '$ONLY'" ;; esac
bench_require ip iptables dig cc awk turnutils_stunclient curl /usr/bin/python3
[ -x "$AAAA" ] && [ -x "$REFLECTOR" ] && [ -x "$SOCKS" ] || bench_die "the binaries are missing: run 'make build' first"

WORK=$(mktemp -d /tmp/postern-fuzz.XXXXXX)
SENDER=$WORK/fuzzsend
cc -O2 -Wall -Wextra -Werror -o "$SENDER" bench/fuzzsend.c || bench_die "cannot compile bench/fuzzsend.c"

CLIENT=pst-fuzz-client-$$
SERVER=pst-fuzz-server-$$
CLIENT_IF=fzc$$
SERVER_IF=fzs$$
PIDS=()
FAILURES=0
CHECKS=0
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
DATE_START=$(date -u '+%Y-%m-%d %H:%M UTC')
declare -A R

cleanup()
{
    local rc=$? pid i ns
    trap - EXIT INT TERM
    bench_end_processes "${PIDS[@]}"
    for ns in "$CLIENT" "$SERVER"; do
        if ip netns list 2>/dev/null | grep -qw "$ns"; then
            for pid in $(ip netns pids "$ns" 2>/dev/null); do
                kill -KILL "$pid" 2>/dev/null || true
            done
            ip netns del "$ns" || echo "fuzz: could not remove namespace $ns" >&2
        fi
    done
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

check()
{
    local what=$1
    shift
    CHECKS=$((CHECKS + 1))
    if "$@"; then
        echo "ok: $what"
    else
        echo "FAIL: $what"
        FAILURES=$((FAILURES + 1))
    fi
}

# check_eq WHAT A B: A equals B (both integers), printed with the numbers.
check_eq()
{
    check "$1 ($2 = $3)" test "$2" -eq "$3"
}

forget_pid()
{
    local keep=() pid
    for pid in "${PIDS[@]}"; do
        [ "$pid" = "$1" ] || keep+=("$pid")
    done
    PIDS=("${keep[@]}")
}

# --- the two hosts -------------------------------------------------------------------------------

ip netns add "$CLIENT"
ip netns add "$SERVER"
ip link add "$CLIENT_IF" netns "$CLIENT" type veth peer name "$SERVER_IF" netns "$SERVER"
ip -n "$CLIENT" link set lo up
ip -n "$SERVER" link set lo up
ip -n "$CLIENT" addr add "$CLIENT_IP/24" dev "$CLIENT_IF"
ip -n "$SERVER" addr add "$SERVER_IP/24" dev "$SERVER_IF"
ip -n "$CLIENT" addr add "$CLIENT_IP6/64" dev "$CLIENT_IF" nodad
ip -n "$SERVER" addr add "$SERVER_IP6/64" dev "$SERVER_IF" nodad
ip -n "$CLIENT" link set "$CLIENT_IF" up
ip -n "$SERVER" link set "$SERVER_IF" up
CLIENT_MAC=$(ip netns exec "$CLIENT" cat "/sys/class/net/$CLIENT_IF/address")
SERVER_MAC=$(ip netns exec "$SERVER" cat "/sys/class/net/$SERVER_IF/address")
# Permanent neighbours: no packet waits for (or is dropped behind) ARP resolution.
ip -n "$CLIENT" neigh replace "$SERVER_IP" lladdr "$SERVER_MAC" dev "$CLIENT_IF" nud permanent
ip -n "$SERVER" neigh replace "$CLIENT_IP" lladdr "$CLIENT_MAC" dev "$SERVER_IF" nud permanent
# A second client address: a sender postern-socks must not take for the association's client.
ip -n "$CLIENT" addr add "$STRANGER_IP/24" dev "$CLIENT_IF"
ip -n "$SERVER" neigh replace "$STRANGER_IP" lladdr "$CLIENT_MAC" dev "$SERVER_IF" nud permanent
ip -n "$CLIENT" -6 neigh replace "$SERVER_IP6" lladdr "$SERVER_MAC" dev "$CLIENT_IF" nud permanent
ip -n "$SERVER" -6 neigh replace "$CLIENT_IP6" lladdr "$CLIENT_MAC" dev "$SERVER_IF" nud permanent

# One counter of a namespace's /proc/net/snmp: snmp NS Udp InDatagrams.
snmp()
{
    ip netns exec "$1" cat /proc/net/snmp | awk -v proto="$2:" -v field="$3" '
        $1 == proto && !seen { for (i = 2; i <= NF; i++) name[i] = $i; seen = 1; next }
        $1 == proto && seen { for (i = 2; i <= NF; i++) if (name[i] == field) print $i }'
}

# One counter of a namespace's /proc/net/snmp6: snmp6 NS Udp6InDatagrams.
snmp6()
{
    ip netns exec "$1" cat /proc/net/snmp6 | awk -v key="$2" '$1 == key { print $2 }'
}

# Every UDP datagram (IPv4 and IPv6) that reached a namespace's UDP layer: delivered, no port,
# or in error (checksum, short, receive buffer full: all counted in InErrors).
udp_arrivals()
{
    echo $(( $(snmp "$1" Udp InDatagrams) + $(snmp "$1" Udp NoPorts) + $(snmp "$1" Udp InErrors) +
             $(snmp6 "$1" Udp6InDatagrams) + $(snmp6 "$1" Udp6NoPorts) + $(snmp6 "$1" Udp6InErrors) ))
}

# Packets the veth pair dropped on the way to the server (the client's transmit side, the
# server's receive side; a full backlog at the receiving end shows as tx_dropped of the sender).
veth_drops()
{
    echo $(( $(ip netns exec "$CLIENT" cat "/sys/class/net/$CLIENT_IF/statistics/tx_dropped") +
             $(ip netns exec "$SERVER" cat "/sys/class/net/$SERVER_IF/statistics/rx_dropped") ))
}

# The same on the way back to the client (the answers).
veth_drops_back()
{
    echo $(( $(ip netns exec "$SERVER" cat "/sys/class/net/$SERVER_IF/statistics/tx_dropped") +
             $(ip netns exec "$CLIENT" cat "/sys/class/net/$CLIENT_IF/statistics/rx_dropped") ))
}

# Field N (1-based) of the queue's line in /proc/net/netfilter/nfnetlink_queue (8: id sequence).
nfq_field()
{
    ip netns exec "$SERVER" cat /proc/net/netfilter/nfnetlink_queue | awk -v q="$QUEUE" -v f="$1" '$1 == q { print $f }'
}

# Packets that hit postern-aaaa's NFQUEUE rules in the server's filter INPUT chains (both
# families share the queue).
rule_packets()
{
    { ip netns exec "$SERVER" iptables -t filter -L INPUT -v -x -n; ip netns exec "$SERVER" ip6tables -t filter -L INPUT -v -x -n; } |
        awk '/NFQUEUE/ && /postern-aaaa:q/ { n += $1 } END { print n + 0 }'
}

tagged_rules()
{
    { ip netns exec "$SERVER" iptables-save; ip netns exec "$SERVER" ip6tables-save; } 2>/dev/null | grep -c 'postern-' || true
}

# --- a daemon ------------------------------------------------------------------------------------

DAEMON_PID=
DAEMON_LOG=
DAEMON_NAME=

start_daemon()
{
    DAEMON_NAME=$1
    shift
    DAEMON_LOG=$WORK/$DAEMON_NAME.$RANDOM.log
    ip netns exec "$SERVER" "$@" --stats-interval 0 >"$DAEMON_LOG" 2>&1 &
    DAEMON_PID=$!
    PIDS+=("$DAEMON_PID")
    bench_wait_ready "$DAEMON_NAME" "$DAEMON_LOG" "$DAEMON_PID"
}

# The counters line the daemon logs on SIGUSR1, without its prefix.
daemon_stats()
{
    bench_stats_line "$DAEMON_NAME" "$DAEMON_LOG" "$DAEMON_PID"
}

# A counter from a stats line; a key the line does not have stops the run (a renamed counter
# must not read as 0).
stat()
{
    local value
    value=$(bench_stat_value "$1" "$2")
    if [ -z "$value" ]; then
        # The parts of a counter kept by reason (passed.malformed) are left out while 0; a
        # total never is.
        [[ $2 == *.* ]] && [ -n "$(bench_stat_value "$1" "${2%%.*}")" ] || bench_die "the stats line has no counter '$2': $1"
        value=0
    fi
    echo "$value"
}

# Waits until the daemon's counter KEY stops moving (the queue or socket has drained).
settle()
{
    local key=$1 last=-1 now i
    for i in $(seq 50); do
        sleep 0.2
        now=$(stat "$(daemon_stats)" "$key")
        [ "$now" = "$last" ] && return 0
        last=$now
    done
}

stop_daemon()
{
    local i code
    kill -TERM "$DAEMON_PID"
    for i in $(seq 150); do
        kill -0 "$DAEMON_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$DAEMON_PID" 2>/dev/null; then
        check "$DAEMON_NAME exits within 15 s of SIGTERM" false
        kill -KILL "$DAEMON_PID" 2>/dev/null || true
    fi
    code=0
    wait "$DAEMON_PID" || code=$?
    forget_pid "$DAEMON_PID"
    check_eq "$DAEMON_NAME exit status after SIGTERM" "$code" 0
    check "$DAEMON_NAME logged 'stopped'" grep -q "$DAEMON_NAME: stopped" "$DAEMON_LOG"
    check_eq "rules tagged postern- left in the server after $DAEMON_NAME stopped" "$(tagged_rules)" 0
}

# Runs the sender in the client, keeps its key=value output in R[PREFIX.key].
run_sender()
{
    local prefix=$1 line
    shift
    local out
    out=$(ip netns exec "$CLIENT" "$SENDER" "$@") || bench_die "fuzzsend $* failed"
    while IFS= read -r line; do
        R[$prefix.${line%%=*}]=${line#*=}
    done <<<"$out"
    echo "$prefix: $(echo $out)"
}

# --- postern-aaaa ---------------------------------------------------------------------------------

# One aaaa phase: counters before, the sender, counters after, and what must add up.
#   aaaa_phase LABEL KIND(udp|ip) SENDER-ARGS...
aaaa_phase()
{
    local label=$1 kind=$2
    shift 2
    local s0 s1 rule0 rule1 id0 id1 srv0 srv1 cli0 cli1 ip0 ip1 drop0 drop1 icmp0 icmp1 csum0 csum1 back0 back1 cip0 cdis0 i
    csum0=$(snmp "$SERVER" Udp InCsumErrors); back0=$(veth_drops_back)
    s0=$(daemon_stats); rule0=$(rule_packets); id0=$(nfq_field 8)
    srv0=$(udp_arrivals "$SERVER"); cli0=$(udp_arrivals "$CLIENT"); ip0=$(snmp "$SERVER" Ip InReceives); drop0=$(veth_drops)
    icmp0=$(snmp "$CLIENT" Icmp OutMsgs); cip0=$(snmp "$CLIENT" Ip InReceives); cdis0=$(snmp "$CLIENT" Ip InDiscards)
    run_sender "$label" "$@"
    settle queued
    s1=$(daemon_stats); rule1=$(rule_packets); id1=$(nfq_field 8)
    srv1=$(udp_arrivals "$SERVER"); cli1=$(udp_arrivals "$CLIENT"); ip1=$(snmp "$SERVER" Ip InReceives); drop1=$(veth_drops)
    # The answers are sent before the verdicts, but a loaded machine may deliver the last few
    # late: wait (up to 3 s) until every answer has arrived or been dropped on the way.
    for i in $(seq 30); do
        [ $((cli1 - cli0 + $(veth_drops_back) - back0)) -ge $(( $(stat "$s1" answered) - $(stat "$s0" answered) )) ] && break
        sleep 0.1
        cli1=$(udp_arrivals "$CLIENT")
    done
    icmp1=$(snmp "$CLIENT" Icmp OutMsgs); csum1=$(snmp "$SERVER" Udp InCsumErrors); back1=$(veth_drops_back)
    echo "$label: stats before: $s0"
    echo "$label: stats after:  $s1"

    local k
    for k in queued answered passed queue-dropped user-dropped overruns send-errors verdict-errors verdicts-lost \
             unrecovered handler-errors truncated unparseable receive-errors passed.malformed passed.truncated \
             passed.not-udp passed.fragment passed.response passed.opcode passed.qdcount passed.other-records \
             passed.other-type passed.edns-version; do
        R[$label.d.$k]=$(( $(stat "$s1" "$k") - $(stat "$s0" "$k") ))
    done
    local sent=${R[$label.sent]} queued=${R[$label.d.queued]} answered=${R[$label.d.answered]} passed=${R[$label.d.passed]}
    local rule=$((rule1 - rule0)) ids=$((id1 - id0)) drops=$((drop1 - drop0))
    R[$label.rule]=$rule; R[$label.ids]=$ids; R[$label.drops]=$drops; R[$label.drops-back]=$((back1 - back0))
    R[$label.failopen-full]=$((rule - ids)); R[$label.failopen-netlink]=$((ids - queued))
    R[$label.server-udp]=$((srv1 - srv0)); R[$label.client-udp]=$((cli1 - cli0)); R[$label.ip-in]=$((ip1 - ip0))
    echo "$label: rule hits $rule, packet ids $ids, server UDP arrivals ${R[$label.server-udp]}, client UDP arrivals ${R[$label.client-udp]}, server IP in ${R[$label.ip-in]}, veth drops $drops (answers: ${R[$label.drops-back]})"

    check_eq "$label: every packet read got one outcome: queued = answered + passed" "$queued" "$((answered + passed))"
    # The rule hands each packet to nf_queue. One that found the queue full failed open without
    # an id (and without a counter: fail-open counts neither queue-dropped nor user-dropped); one
    # that got an id either reached the daemon or failed open when the netlink socket overran.
    check "$label: rule hits ($rule) >= packet ids ($ids) >= queued ($queued)" test "$rule" -ge "$ids" -a "$ids" -ge "$queued"
    if [ "${R[$label.d.overruns]}" -eq 0 ]; then
        check_eq "$label: no overrun, so every packet id reached the daemon: ids = queued" "$ids" "$queued"
    fi
    check_eq "$label: verdicts lost" "${R[$label.d.verdicts-lost]}" 0
    check_eq "$label: verdict errors" "${R[$label.d.verdict-errors]}" 0
    check_eq "$label: messages without a recoverable id" "${R[$label.d.unrecovered]}" 0
    check_eq "$label: handler errors" "${R[$label.d.handler-errors]}" 0
    check_eq "$label: packets waiting in the queue after the run" "$(nfq_field 3)" 0
    # Each answer is one datagram back to the client (to the sender's socket, or a spoofed port),
    # unless the veth pair dropped it on the way (only ever seen unpaced).
    local delivered=$((${R[$label.client-udp]} + ${R[$label.drops-back]}))
    if [ "$label" = aaaa-flood ]; then
        # Unpaced (5,000 datagrams in ~20 ms) on a loaded machine, a few answers (4 of 860 in one
        # run of ten) vanish after the raw socket took them and before the client's IP layer,
        # where no per-namespace counter sees them (the per-CPU backlog and neighbour queue are
        # the kernel's, not the namespace's). The daemon's promise is the verdicts above; the
        # flood may lose at most 1% of its answers on the way, and says how many it lost.
        R[$label.answers-unaccounted]=$((answered - delivered))
        echo "$label: answers unaccounted for on the way back: ${R[$label.answers-unaccounted]} of $answered" \
             "(client IP in $(( $(snmp "$CLIENT" Ip InReceives) - cip0 )), client IP discards $(( $(snmp "$CLIENT" Ip InDiscards) - cdis0 )))"
        check "$label: answers that reached the client's UDP layer or were dropped by the veth ($delivered) are answered ($answered) less at most 1%" \
            test "$delivered" -le "$answered" -a $((100 * (answered - delivered))) -le "$answered"
    else
        check_eq "$label: datagrams that reached the client's UDP layer + answers the veth dropped = answered" \
            "$delivered" "$answered"
    fi
    if [ "$kind" = udp ]; then
        # Every datagram from a UDP socket is well-formed IP/UDP: it reaches the server's UDP
        # layer (a socket, no port, or an error) unless postern-aaaa answered and dropped it.
        check_eq "$label: server UDP arrivals + veth drops = sent - answered" "$((${R[$label.server-udp]} + drops))" "$((sent - answered))"
    else
        # Answers to the frames' made-up source ports draw port unreachables from the client,
        # which the server's IP layer receives too.
        R[$label.client-icmp]=$((icmp1 - icmp0))
        check_eq "$label: every frame reached the server's IP layer: IP InReceives + veth drops - the client's ICMP = sent" \
            "$((${R[$label.ip-in]} + drops - ${R[$label.client-icmp]}))" "$sent"
        # A frame with a wrong UDP checksum (and a right IP header) must not be answered: it goes
        # on to the server's UDP layer, which drops it as the server's kernel would.
        R[$label.csum-errors]=$((csum1 - csum0))
        check "$label: no frame with a wrong UDP checksum was answered: server UDP InCsumErrors (${R[$label.csum-errors]}) >= frames sent with one (${R[$label.sent.ip-udp-checksum]:-0})" \
            test "${R[$label.csum-errors]}" -ge "${R[$label.sent.ip-udp-checksum]:-0}"
    fi
}

aaaa_alive()
{
    local label=$1 answer
    check "$label: postern-aaaa still runs" kill -0 "$DAEMON_PID"
    answer=$(ip netns exec "$CLIENT" dig +tries=2 +time=2 @"$SERVER_IP" AAAA after-fuzz.example.test)
    check "$label: dig AAAA gets NOERROR with Postern's SOA (postern.invalid.)" \
        bash -c 'grep -q "status: NOERROR" <<<"$1" && grep -q "IN[[:space:]]*SOA[[:space:]]*postern.invalid." <<<"$1"' _ "$answer"
    answer=$(ip netns exec "$CLIENT" dig +tries=2 +time=2 @"$SERVER_IP6" AAAA after-fuzz.example.test)
    check "$label: dig AAAA over IPv6 gets NOERROR with Postern's SOA (postern.invalid.)" \
        bash -c 'grep -q "status: NOERROR" <<<"$1" && grep -q "IN[[:space:]]*SOA[[:space:]]*postern.invalid." <<<"$1"' _ "$answer"
}

run_aaaa()
{
    local n_udp=$((COUNT * 4 / 10)) n_udp6=$((COUNT / 10)) n_ip=$((COUNT * 2 / 10)) n_flood=$((COUNT / 10))
    local n_any=$((COUNT - n_udp - n_udp6 - n_ip - n_flood))
    local start=$SECONDS

    # Session 1: the default in-kernel prefilter; mutated dig queries from a UDP socket, then
    # malformed IP/UDP frames written whole onto the veth (AF_PACKET).
    start_daemon postern-aaaa "$AAAA"
    R[aaaa1.rss-before]=$(bench_status_kb "$DAEMON_PID" VmRSS)
    aaaa_phase aaaa-udp udp dns "$SERVER_IP" 53 "$n_udp" "$AAAA_RATE" "$SEED" prefilter
    aaaa_phase aaaa-udp6 udp dns "$SERVER_IP6" 53 "$n_udp6" "$AAAA_RATE" "$((SEED + 6))" prefilter
    aaaa_phase aaaa-ip ip ip "$CLIENT_IF" "$SERVER_MAC" "$CLIENT_IP" "$SERVER_IP" 53 "$n_ip" "$AAAA_RATE" "$((SEED + 1))"
    # Unpaced: as fast as the sender's core takes them, to see the queue and the veth under
    # pressure; what failed open or was dropped must add up as well.
    aaaa_phase aaaa-flood udp dns "$SERVER_IP" 53 "$n_flood" 0 "$((SEED + 5))" prefilter
    aaaa_alive aaaa-prefilter
    R[aaaa1.rss-after]=$(bench_status_kb "$DAEMON_PID" VmRSS)
    R[aaaa1.hwm]=$(bench_status_kb "$DAEMON_PID" VmHWM)
    stop_daemon

    # Session 2: --no-prefilter, so everything to port 53 is queued: random bytes without the
    # pattern too.
    start_daemon postern-aaaa "$AAAA" --no-prefilter
    R[aaaa2.rss-before]=$(bench_status_kb "$DAEMON_PID" VmRSS)
    aaaa_phase aaaa-any udp dns "$SERVER_IP" 53 "$n_any" "$AAAA_RATE" "$((SEED + 2))" any
    check_eq "aaaa-any: without the prefilter every datagram was queued: rule hits = sent" "${R[aaaa-any.rule]}" "${R[aaaa-any.sent]}"
    aaaa_alive aaaa-no-prefilter
    R[aaaa2.rss-after]=$(bench_status_kb "$DAEMON_PID" VmRSS)
    R[aaaa2.hwm]=$(bench_status_kb "$DAEMON_PID" VmHWM)
    stop_daemon
    R[aaaa.seconds]=$((SECONDS - start))
}

# --- postern-reflector ----------------------------------------------------------------------------

# One reflector UDP phase: counters before, the sender, counters after, and what must add up.
#   reflector_phase LABEL SENDER-ARGS...
reflector_phase()
{
    local L=$1 s0 s1 srv0 srv1 cli0 cli1 drop0 drop1 err0 back0 back1 k
    shift
    s0=$(daemon_stats); srv0=$(udp_arrivals "$SERVER"); cli0=$(udp_arrivals "$CLIENT"); drop0=$(veth_drops)
    err0=$(( $(snmp "$SERVER" Udp InErrors) + $(snmp6 "$SERVER" Udp6InErrors) )); back0=$(veth_drops_back)
    run_sender "$L" "$@"
    settle malformed
    s1=$(daemon_stats); srv1=$(udp_arrivals "$SERVER"); cli1=$(udp_arrivals "$CLIENT"); drop1=$(veth_drops)
    back1=$(veth_drops_back)
    echo "$L: stats before: $s0"
    echo "$L: stats after:  $s1"
    for k in answered answered.stun answered.stun-error answered.text malformed ignored rate-limited oversize send-errors; do
        R[$L.d.$k]=$(( $(stat "$s1" "$k") - $(stat "$s0" "$k") ))
    done
    local sent=${R[$L.sent]} answered=${R[$L.d.answered]}
    local outcomes=$((answered + ${R[$L.d.malformed]} + ${R[$L.d.ignored]} + ${R[$L.d.rate-limited]} + ${R[$L.d.oversize]}))
    local delivered_errors
    R[$L.server-udp]=$((srv1 - srv0)); R[$L.client-udp]=$((cli1 - cli0)); R[$L.drops]=$((drop1 - drop0))
    R[$L.outcomes]=$outcomes; R[$L.drops-back]=$((back1 - back0))
    echo "$L: server UDP arrivals ${R[$L.server-udp]}, client UDP arrivals ${R[$L.client-udp]}, veth drops ${R[$L.drops]} (answers: ${R[$L.drops-back]})"
    check_eq "$L: packets lost on the veth pair" "${R[$L.drops]}" 0
    check_eq "$L: every datagram sent reached the server's UDP layer" "${R[$L.server-udp]}" "$sent"
    # What the server's UDP layer could not deliver (receive buffer full, bad checksum) is in
    # InErrors; everything else was read by the reflector and has exactly one outcome.
    delivered_errors=$(( $(snmp "$SERVER" Udp InErrors) + $(snmp6 "$SERVER" Udp6InErrors) - err0 ))
    check_eq "$L: the reflector's outcomes + the server's UDP InErrors = server UDP arrivals" "$((outcomes + delivered_errors))" "${R[$L.server-udp]}"
    check_eq "$L: outcomes (answered + malformed + ignored + rate-limited + oversize) = datagrams sent" "$outcomes" "$sent"
    check_eq "$L: rate-limited with --no-rate-limit" "${R[$L.d.rate-limited]}" 0
    check_eq "$L: datagrams back at the client + answers the veth dropped = answered - send-errors" \
        "$((${R[$L.client-udp]} + ${R[$L.drops-back]}))" "$((answered - ${R[$L.d.send-errors]}))"
    check_eq "$L: replies the sender read = datagrams back at the client" "${R[$L.replies]}" "${R[$L.client-udp]}"
    check_eq "$L: server UDP InErrors (receive buffer full)" "$delivered_errors" 0

}

run_reflector()
{
    local start=$SECONDS s0 s1 n6=$((COUNT / 10))
    start_daemon postern-reflector "$REFLECTOR" --no-rate-limit \
        --listen "udp:$SERVER_IP:3478,tcp:$SERVER_IP:3478,udp:$SERVER_IP:2727,udp:[$SERVER_IP6]:3478,udp:[$SERVER_IP6]:2727"
    R[reflector.rss-before]=$(bench_status_kb "$DAEMON_PID" VmRSS)
    reflector_phase reflector-udp stun "$SERVER_IP" 3478,2727 "$((COUNT - n6))" "$REFLECTOR_RATE" "$((SEED + 3))"
    reflector_phase reflector-udp6 stun "$SERVER_IP6" 3478,2727 "$n6" "$REFLECTOR_RATE" "$((SEED + 7))"

    R[reflector.rss-mid]=$(bench_status_kb "$DAEMON_PID" VmRSS)
    echo "reflector: resident memory ${R[reflector.rss-before]} kB before, ${R[reflector.rss-mid]} kB after the datagrams"
    s0=$(daemon_stats)
    run_sender reflector-tcp tcp "$SERVER_IP" 3478 "$TCP_CONNECTIONS" "$((SEED + 4))"
    settle tcp-connections
    s1=$(daemon_stats)
    R[reflector-tcp.d.tcp-connections]=$(( $(stat "$s1" tcp-connections) - $(stat "$s0" tcp-connections) ))
    R[reflector-tcp.d.tcp-refused]=$(( $(stat "$s1" tcp-refused) - $(stat "$s0" tcp-refused) ))
    R[reflector-tcp.d.answered]=$(( $(stat "$s1" answered) - $(stat "$s0" answered) ))
    echo "reflector-tcp: stats after: $s1"
    check_eq "reflector-tcp: connections opened" "${R[reflector-tcp.connections]}" "$TCP_CONNECTIONS"
    check_eq "reflector-tcp: connections accepted and counted = opened" "$(( ${R[reflector-tcp.d.tcp-connections]} + ${R[reflector-tcp.d.tcp-refused]} ))" "${R[reflector-tcp.connections]}"
    check_eq "reflector-tcp: connections the server had not closed 3 s after the bytes" "${R[reflector-tcp.still-open-after-3s]}" 0

    local stun
    stun=$(ip netns exec "$CLIENT" timeout 20 turnutils_stunclient "$SERVER_IP" -p 3478 2>&1 || true)
    check "reflector: postern-reflector still runs" kill -0 "$DAEMON_PID"
    check "reflector: turnutils_stunclient gets its mapping ($CLIENT_IP)" grep -q "UDP reflexive addr: $CLIENT_IP:" <<<"$stun"
    R[reflector.rss-after]=$(bench_status_kb "$DAEMON_PID" VmRSS)
    R[reflector.hwm]=$(bench_status_kb "$DAEMON_PID" VmHWM)
    stop_daemon
    R[reflector.seconds]=$((SECONDS - start))
}

# --- postern-socks ---------------------------------------------------------------------------------

# The socks counters of a stats line that the phases compare, as deltas into R[LABEL.d.KEY].
socks_deltas()
{
    local label=$1 s0=$2 s1=$3 k
    for k in connections connects associations aborted refused refused.host-unreachable udp-relayed.to-remote udp-relayed.to-client udp-dropped \
             udp-dropped.not-client udp-dropped.wrong-port udp-dropped.malformed udp-dropped.fragment udp-dropped.address-type \
             udp-dropped.too-large udp-dropped.before-client udp-dropped.name-pending udp-dropped.name-failed udp-dropped.unroutable \
             icmp-errors udp-send-errors; do
        R[$label.d.$k]=$(( $(stat "$s1" "$k") - $(stat "$s0" "$k") ))
    done
}

# Waits until postern-socks holds no connection (every fuzzed one has ended), up to 15 s.
socks_drained()
{
    local i
    for i in $(seq 75); do
        [ "$(stat "$(daemon_stats)" open-connections)" = 0 ] && return 0
        sleep 0.2
    done
    return 1
}

socks_alive()
{
    local label=$1 page echo_pid out
    check "$label: postern-socks still runs" kill -0 "$DAEMON_PID"
    # CONNECT, by curl, to a page served on the client's host.
    mkdir -p "$WORK/www"
    echo "after-fuzz" > "$WORK/www/index.txt"
    ip netns exec "$CLIENT" /usr/bin/python3 -m http.server --bind "$CLIENT_IP" --directory "$WORK/www" 8080 >/dev/null 2>&1 &
    PIDS+=("$!")
    local http_pid=$!
    page=
    for i in $(seq 50); do
        page=$(ip netns exec "$CLIENT" curl -s --max-time 5 --socks5 "$SERVER_IP:1080" "http://$CLIENT_IP:8080/index.txt" || true)
        [ "$page" = after-fuzz ] && break
        sleep 0.2
    done
    check "$label: curl gets a page through postern-socks (CONNECT)" test "$page" = after-fuzz
    kill "$http_pid" 2>/dev/null || true
    wait "$http_pid" 2>/dev/null || true
    forget_pid "$http_pid"
    # UDP ASSOCIATE, by udppeer.py (its own SOCKS5 client), to an echo on the client's host.
    ip netns exec "$CLIENT" /usr/bin/python3 "$UDPPEER" echo "$CLIENT_IP:7777" >/dev/null 2>&1 &
    echo_pid=$!
    PIDS+=("$echo_pid")
    sleep 0.5
    out=$(ip netns exec "$CLIENT" timeout 20 /usr/bin/python3 "$UDPPEER" socks "$SERVER_IP:1080" "$CLIENT_IP:7777" --count 5 --listen 2 2>&1 || true)
    check "$label: 5 datagrams echo through a UDP association (udppeer.py socks)" grep -qx "echoes 5" <<<"$out"
    kill "$echo_pid" 2>/dev/null || true
    wait "$echo_pid" 2>/dev/null || true
    forget_pid "$echo_pid"
}

run_socks()
{
    local start=$SECONDS s0 s1 L srv0 srv1 err0 err1 drop0 drop1 sink_port=40999 outcomes dropped
    start_daemon postern-socks "$SOCKS" --listen "$SERVER_IP:1080"
    R[socks.rss-before]=$(bench_status_kb "$DAEMON_PID" VmRSS)

    # TCP: random bytes and mutated handshakes, each connection half-closed after its bytes.
    L=socks-tcp
    s0=$(daemon_stats)
    run_sender "$L" socks-tcp "$SERVER_IP" 1080 "$TCP_CONNECTIONS" "$((SEED + 8))"
    check "$L: every connection ended within 15 s (open-connections 0)" socks_drained
    s1=$(daemon_stats)
    echo "$L: stats before: $s0"
    echo "$L: stats after:  $s1"
    socks_deltas "$L" "$s0" "$s1"
    check_eq "$L: connections opened" "${R[$L.connections]}" "$TCP_CONNECTIONS"
    check_eq "$L: connections counted by postern-socks = opened" "${R[$L.d.connections]}" "${R[$L.connections]}"
    outcomes=$(( ${R[$L.d.connects]} + ${R[$L.d.associations]} + ${R[$L.d.refused]} + ${R[$L.d.aborted]} ))
    R[$L.outcomes]=$outcomes
    check_eq "$L: one outcome per connection: connects + associations + refused + aborted = connections" "$outcomes" "${R[$L.d.connections]}"
    # A mutated CONNECT to a neighbour that does not exist waits for ARP to give up (3 s): those
    # end as host-unreachable, after the sender stopped reading (socks_drained saw them end).
    check "$L: connections the server had not closed 3 s after the bytes (${R[$L.still-open-after-3s]}) <= refused as host-unreachable (${R[$L.d.refused.host-unreachable]})" \
        test "${R[$L.still-open-after-3s]}" -le "${R[$L.d.refused.host-unreachable]}"

    # UDP: one association, then random and mutated datagrams on it.
    L=socks-udp
    s0=$(daemon_stats); srv0=$(udp_arrivals "$SERVER"); drop0=$(veth_drops)
    err0=$(snmp "$SERVER" Udp InErrors)
    run_sender "$L" socks-udp "$SERVER_IP" 1080 "$COUNT" "$SOCKS_RATE" "$((SEED + 9))" "$sink_port" "$STRANGER_IP"
    check "$L: every connection ended within 15 s (open-connections 0)" socks_drained
    s1=$(daemon_stats); srv1=$(udp_arrivals "$SERVER"); drop1=$(veth_drops)
    err1=$(snmp "$SERVER" Udp InErrors)
    echo "$L: stats before: $s0"
    echo "$L: stats after:  $s1"
    socks_deltas "$L" "$s0" "$s1"
    R[$L.server-udp]=$((srv1 - srv0)); R[$L.drops]=$((drop1 - drop0)); R[$L.in-errors]=$((err1 - err0))
    local sent=${R[$L.sent]} to_remote=${R[$L.d.udp-relayed.to-remote]}
    dropped=${R[$L.d.udp-dropped]}
    echo "$L: server UDP arrivals ${R[$L.server-udp]}, veth drops ${R[$L.drops]}, server UDP InErrors ${R[$L.in-errors]}, sink ${R[$L.sink]}"
    check_eq "$L: the association stayed open through the datagrams" "${R[$L.association-open]}" 1
    check_eq "$L: one association set up" "${R[$L.d.associations]}" 1
    check_eq "$L: packets lost on the veth pair" "${R[$L.drops]}" 0
    # What the server's UDP layer took beyond what was sent came from the relay itself: a mutated
    # destination may name the server's own address. At most one per datagram relayed.
    local in_errors=${R[$L.in-errors]} self=$(( ${R[$L.server-udp]} - sent ))
    R[$L.self]=$self
    check "$L: every datagram sent reached the server's UDP layer (${R[$L.server-udp]} >= $sent), the rest relayed to itself (<= $to_remote)" \
        test "$self" -ge 0 -a "$self" -le "$to_remote"
    # A datagram the server's UDP layer could not queue (receive buffer full on a loaded machine)
    # is in InErrors; every other one postern-socks read has exactly one outcome.
    local outcomes=$((to_remote + dropped + ${R[$L.d.udp-send-errors]}))
    R[$L.outcomes]=$outcomes
    echo "$L: outcomes $outcomes, server UDP InErrors $in_errors, datagrams relayed to the server itself $self"
    check "$L: outcomes (relayed to the remote + dropped + refused by the kernel) + server UDP InErrors = datagrams sent (+ those relayed to the server itself): $sent <= $((outcomes + in_errors)) <= $((sent + self))" \
        test "$((outcomes + in_errors))" -ge "$sent" -a "$((outcomes + in_errors))" -le "$((sent + self))"
    check "$L: from the client's address, another port: all dropped as wrong-port (${R[$L.d.udp-dropped.wrong-port]} of ${R[$L.sent-from.other-port]}, InErrors $in_errors)" \
        test "${R[$L.d.udp-dropped.wrong-port]}" -le "${R[$L.sent-from.other-port]}" -a \
             "$(( ${R[$L.d.udp-dropped.wrong-port]} + in_errors ))" -ge "${R[$L.sent-from.other-port]}"
    check "$L: from another address: all dropped as not-client (${R[$L.d.udp-dropped.not-client]} of ${R[$L.sent-from.stranger]}, InErrors $in_errors, to itself $self)" \
        test "${R[$L.d.udp-dropped.not-client]}" -le "$(( ${R[$L.sent-from.stranger]} + self ))" -a \
             "$(( ${R[$L.d.udp-dropped.not-client]} + in_errors ))" -ge "${R[$L.sent-from.stranger]}"
    check "$L: fragments dropped (${R[$L.d.udp-dropped.fragment]}) >= fragments sent (${R[$L.sent.udp-fragment]:-0}) less InErrors" \
        test "$(( ${R[$L.d.udp-dropped.fragment]} + in_errors ))" -ge "${R[$L.sent.udp-fragment]:-0}"
    check "$L: bad address types dropped (${R[$L.d.udp-dropped.address-type]}) >= sent (${R[$L.sent.udp-address-type]:-0}) less InErrors" \
        test "$(( ${R[$L.d.udp-dropped.address-type]} + in_errors ))" -ge "${R[$L.sent.udp-address-type]:-0}"
    check "$L: malformed dropped (${R[$L.d.udp-dropped.malformed]}) >= RSV set + short + empty name sent less InErrors" \
        test "$(( ${R[$L.d.udp-dropped.malformed]} + in_errors ))" -ge $(( ${R[$L.sent.udp-reserved]:-0} + ${R[$L.sent.udp-short]:-0} + ${R[$L.sent.udp-empty-name]:-0} ))
    # Every valid datagram reaches the sink; mutated ones may too, or go elsewhere.
    check "$L: the sink got every valid datagram (${R[$L.sink]} >= ${R[$L.sent.udp-valid]:-0} less InErrors) and no more than were relayed ($to_remote)" \
        test "$(( ${R[$L.sink]} + in_errors ))" -ge "${R[$L.sent.udp-valid]:-0}" -a "${R[$L.sink]}" -le "$to_remote"
    check "$L: datagrams the kernel refused to relay (${R[$L.d.udp-send-errors]}) <= mutated + random sent" \
        test "${R[$L.d.udp-send-errors]}" -le $(( ${R[$L.sent.udp-mutated]:-0} + ${R[$L.sent.udp-random]:-0} ))

    socks_alive socks
    R[socks.rss-after]=$(bench_status_kb "$DAEMON_PID" VmRSS)
    R[socks.hwm]=$(bench_status_kb "$DAEMON_PID" VmHWM)
    stop_daemon
    R[socks.seconds]=$((SECONDS - start))
}

# Not `a || b`: set -e does not stop inside a function called from a || list.
if [ "$ONLY" = aaaa ] || [ "$ONLY" = all ]; then
    run_aaaa
fi
if [ "$ONLY" = reflector ] || [ "$ONLY" = all ]; then
    run_reflector
fi
if [ "$ONLY" = socks ] || [ "$ONLY" = all ]; then
    run_socks
fi

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
echo
echo "fuzz: $CHECKS checks, $FAILURES failed (load average $LOAD_START at the start, $LOAD_END at the end)"

# --- BENCHMARKS.md -----------------------------------------------------------------------------------

pps()
{
    awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "-" }'
}

categories()
{
    local prefix=$1 key out=
    for key in $(printf '%s\n' "${!R[@]}" | grep "^$prefix\.sent\." | sort); do
        out+="${key#$prefix.sent.} ${R[$key]}, "
    done
    echo "${out%, }"
}

if [ "$WRITE" = 1 ] && [ "$ONLY" = all ]; then
    section=$WORK/section.md
    {
        echo "## Fuzzing (make fuzz)"
        echo
        echo "Measured $DATE_START on $(hostname) ($(nproc) cores, kernel $(uname -r)), load average"
        echo "$LOAD_START at the start and $LOAD_END at the end (other agents shared the machine)."
        echo "Command: \`make fuzz\` (\`bench/fuzz.sh $COUNT\`), seed $SEED, commit $(git rev-parse --short HEAD)."
        echo "Two namespaces linked by veth (client 198.51.100.2 and 2001:db8:5::2, server 198.51.100.1 and 2001:db8:5::1); the generator is"
        echo "\`bench/fuzzsend.c\` (sendmmsg batches of 32, paced). Result: $CHECKS checks, $FAILURES failed."
        echo "Seconds and packets/s are the sender's (how long the kernel took to accept what it sent)."
        echo
        echo "postern-aaaa (both families, NFQUEUE on INPUT), five phases, paced at $AAAA_RATE packets/s but aaaa-flood:"
        echo
        echo "| phase | sent | seconds | packets/s | rule hits | queued | answered | passed | fail-open (queue full / netlink) | server UDP arrivals | client UDP arrivals |"
        echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
        for p in aaaa-udp aaaa-udp6 aaaa-ip aaaa-flood aaaa-any; do
            echo "| $p | ${R[$p.sent]} | ${R[$p.seconds]} | $(pps "${R[$p.sent]}" "${R[$p.seconds]}") | ${R[$p.rule]} | ${R[$p.d.queued]} | ${R[$p.d.answered]} | ${R[$p.d.passed]} | ${R[$p.failopen-full]} / ${R[$p.failopen-netlink]} | ${R[$p.server-udp]} | ${R[$p.client-udp]} |"
        done
        echo
        echo "- aaaa-udp: mutated dig queries from a UDP socket, default prefilter ($(categories aaaa-udp))."
        echo "- aaaa-udp6: the same over IPv6, to 2001:db8:5::1 ($(categories aaaa-udp6))."
        echo "- aaaa-ip: whole IPv4 frames on the veth (AF_PACKET) with one IP or UDP header field made wrong, DNS payload mutated as above ($(categories aaaa-ip)); server IP InReceives ${R[aaaa-ip.ip-in]}."
        echo "- aaaa-flood: as aaaa-udp, unpaced ($(categories aaaa-flood)); answers the veth dropped on the way back: ${R[aaaa-flood.drops-back]}."
        echo "- aaaa-any: \`--no-prefilter\`, random bytes without the pattern among them ($(categories aaaa-any))."
        echo "- aaaa-ip: the kernel drops frames with a bad version, header length, total length or header checksum, and junk options, before any hook; it reassembles fragments (or lets them time out) before the INPUT hook, so none reaches the queue alone (passed.fragment 0); bad UDP lengths reach the queue and pass as malformed."
        echo "- aaaa-ip frames with a wrong UDP checksum: ${R[aaaa-ip.sent.ip-udp-checksum]} sent, server UDP InCsumErrors ${R[aaaa-ip.csum-errors]} (none answered; before commit 18ed690 postern-aaaa answered the valid queries among them)."
        for p in aaaa-udp aaaa-udp6 aaaa-ip aaaa-flood aaaa-any; do
            echo "- $p passed by reason: malformed ${R[$p.d.passed.malformed]}, truncated ${R[$p.d.passed.truncated]}, not-udp ${R[$p.d.passed.not-udp]}, fragment ${R[$p.d.passed.fragment]}, response ${R[$p.d.passed.response]}, opcode ${R[$p.d.passed.opcode]}, qdcount ${R[$p.d.passed.qdcount]}, other-records ${R[$p.d.passed.other-records]}, other-type ${R[$p.d.passed.other-type]}, edns-version ${R[$p.d.passed.edns-version]}; overruns ${R[$p.d.overruns]}, send-errors ${R[$p.d.send-errors]}, verdicts-lost ${R[$p.d.verdicts-lost]}."
        done
        echo "- Resident memory: ${R[aaaa1.rss-before]} kB before, ${R[aaaa1.rss-after]} kB after (peak ${R[aaaa1.hwm]} kB) with the prefilter; ${R[aaaa2.rss-before]} kB before, ${R[aaaa2.rss-after]} kB after (peak ${R[aaaa2.hwm]} kB) without. Whole postern-aaaa part: ${R[aaaa.seconds]} s."
        echo
        echo "postern-reflector (\`--no-rate-limit\`, UDP 3478 and 2727 on both families, TCP 3478), paced at $REFLECTOR_RATE datagrams/s:"
        echo
        echo "| phase | sent | seconds | packets/s | answered (stun / stun-error / text) | malformed | ignored | rate-limited | server UDP arrivals | client UDP arrivals |"
        echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
        for p in reflector-udp reflector-udp6; do
        echo "| ${p#reflector-} | ${R[$p.sent]} | ${R[$p.seconds]} | $(pps "${R[$p.sent]}" "${R[$p.seconds]}") | ${R[$p.d.answered]} (${R[$p.d.answered.stun]} / ${R[$p.d.answered.stun-error]} / ${R[$p.d.answered.text]}) | ${R[$p.d.malformed]} | ${R[$p.d.ignored]} | ${R[$p.d.rate-limited]} | ${R[$p.server-udp]} | ${R[$p.client-udp]} |"
        done
        echo
        echo "- udp: $(categories reflector-udp); udp6 (to 2001:db8:5::1): $(categories reflector-udp6)."
        echo "- tcp: ${R[reflector-tcp.connections]} connections with random bytes or mutated STUN in ${R[reflector-tcp.seconds]} s: ${R[reflector-tcp.d.tcp-connections]} accepted, ${R[reflector-tcp.d.tcp-refused]} refused, ${R[reflector-tcp.closed-by-server]} closed by the server, ${R[reflector-tcp.bytes-back]} bytes back, ${R[reflector-tcp.d.answered]} answers."
        echo "- Resident memory: ${R[reflector.rss-before]} kB before, ${R[reflector.rss-mid]} kB after the datagrams, ${R[reflector.rss-after]} kB after the connections (peak ${R[reflector.hwm]} kB). Whole postern-reflector part: ${R[reflector.seconds]} s."
        echo
        echo "postern-socks (\`--listen $SERVER_IP:1080\`, no authentication), the datagrams on one UDP association paced at $SOCKS_RATE datagrams/s:"
        echo
        echo "| phase | sent | seconds | relayed to the remote | dropped | refused by the kernel | sink (valid: ${R[socks-udp.sent.udp-valid]:-0}) |"
        echo "| --- | --- | --- | --- | --- | --- | --- |"
        echo "| udp | ${R[socks-udp.sent]} | ${R[socks-udp.seconds]} | ${R[socks-udp.d.udp-relayed.to-remote]} | ${R[socks-udp.d.udp-dropped]} | ${R[socks-udp.d.udp-send-errors]} | ${R[socks-udp.sink]} |"
        echo
        echo "- udp: $(categories socks-udp); dropped by reason: not-client ${R[socks-udp.d.udp-dropped.not-client]}, wrong-port ${R[socks-udp.d.udp-dropped.wrong-port]}, malformed ${R[socks-udp.d.udp-dropped.malformed]}, fragment ${R[socks-udp.d.udp-dropped.fragment]}, address-type ${R[socks-udp.d.udp-dropped.address-type]}, name-pending ${R[socks-udp.d.udp-dropped.name-pending]}, name-failed ${R[socks-udp.d.udp-dropped.name-failed]}, unroutable ${R[socks-udp.d.udp-dropped.unroutable]}."
        echo "- tcp: ${R[socks-tcp.connections]} connections with random bytes or mutated SOCKS5 handshakes: ${R[socks-tcp.d.connects]} connects, ${R[socks-tcp.d.associations]} associations, ${R[socks-tcp.d.refused]} refused, ${R[socks-tcp.d.aborted]} aborted, ${R[socks-tcp.closed-by-server]} closed by the server."
        echo "- Resident memory: ${R[socks.rss-before]} kB before, ${R[socks.rss-after]} kB after (peak ${R[socks.hwm]} kB). Whole postern-socks part: ${R[socks.seconds]} s."
        echo "- Afterwards: dig AAAA (over IPv4 and IPv6) got Postern's SOA from both postern-aaaa sessions, turnutils_stunclient got its mapping, curl got a page through postern-socks and udppeer.py 5 echoes through its UDP association; every daemon exited 0 on SIGTERM and left no rule (see the checks above)."
    } > "$section"
    bench_write_section BENCHMARKS.md "Fuzzing (make fuzz)" "$section"
    echo "fuzz: wrote the \"Fuzzing (make fuzz)\" section of BENCHMARKS.md"
fi

[ "$FAILURES" -eq 0 ]
