#!/usr/bin/env bash
# postern-reflector beside coturn (turnserver --stun-only) and stund (Debian stun-server), in one
# run, in a private network namespace on loopback, every server unprivileged (as nobody): answers
# per second and server CPU time per answer under ../shared/bench/udpload.c, STUN and text loads;
# then the amplification factor (reply bytes / request bytes) of every kind of reply, with and
# without --strict-size. Prints; asserts nothing.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
. bench/lib.sh
bench_private_netns "reflector bench" "$@"

seconds=${BENCH_SECONDS:-5}
sockets=${BENCH_SOCKETS:-8}
window=${BENCH_WINDOW:-32}
bin=$root/build/linux-x64/bin/postern-reflector
[ -x "$bin" ] || { echo "reflector bench: $bin is not built (make build)" >&2; exit 1; }

# The yardsticks live beside the repository (../shared/bench), also when this is a git worktree.
shared=$(bench_shared_dir) || { echo "reflector bench: udpload.c not found (looked in ../shared/bench; set POSTERN_SHARED)" >&2; exit 1; }
udpload_c=$shared/bench/udpload.c

work=$(mktemp -d /tmp/postern-bench.XXXXXX)
chmod 755 "$work"
servers=()
cleanup() {
    for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
cc -O2 -o "$work/udpload" "$udpload_c" || exit 1
# The servers run as nobody, who may not reach the checkout (under /root, say): run a copy.
cp "$bin" "$work/postern-reflector"
bin=$work/postern-reflector

ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# start NAME COMMAND...: starts a server as nobody, remembers its pid in $pid.
start() {
    local name=$1
    shift
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$@" >"$work/$name.log" 2>&1 &
    pid=$!
    servers+=("$pid")
    sleep 1
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "reflector bench: $name did not start:" >&2
        cat "$work/$name.log" >&2
        pid=""
    fi
}

# measure NAME PID PORT KIND: one udpload run; prints a row.
declare -A cpu_per_answer
measure() {
    local name=$1 pid=$2 port=$3 kind=$4
    if [ -z "$pid" ]; then
        printf '%-34s %-5s %12s %16s\n' "$name" "$kind" "n/a" "n/a"
        return
    fi
    local before after out ok rps
    before=$(cpu_ticks "$pid")
    out=$("$work/udpload" 127.0.0.1 "$port" "$kind" "$seconds" "$sockets" "$window")
    after=$(cpu_ticks "$pid")
    ok=$(sed -n 's/.*ok=\([0-9]*\).*/\1/p' <<<"$out")
    rps=$(sed -n 's/rps=\([0-9]*\).*/\1/p' <<<"$out")
    local per="n/a"
    if [ "${ok:-0}" -gt 0 ]; then
        per=$(awk -v t=$((after - before)) -v hz="$ticks" -v n="$ok" 'BEGIN { printf "%.2f", t / hz / n * 1e6 }')
    fi
    cpu_per_answer["$name/$kind"]=$per
    printf '%-34s %-5s %12s %16s   (%s)\n' "$name" "$kind" "$rps" "$per" "$out"
}

echo "udpload 127.0.0.1 PORT KIND $seconds $sockets $window; $(nproc) cores; $(uname -r)"
printf '%-34s %-5s %12s %16s\n' "server" "load" "answers/s" "CPU µs/answer"

start postern "$bin" --listen udp:127.0.0.1:3478 --no-rate-limit
postern_pid=$pid
measure "postern-reflector --no-rate-limit" "$postern_pid" 3478 stun
measure "postern-reflector --no-rate-limit" "$postern_pid" 3478 text

# One worker: on two cores the load generator is the bottleneck, and fewer threads sleep and wake.
start postern-one "$bin" --listen udp:127.0.0.1:3492 --no-rate-limit --workers 1
measure "postern-reflector --workers 1" "$pid" 3492 stun

# The rate limiter on, with limits far above this load: what the table costs per answer.
start postern-limited "$bin" --listen udp:127.0.0.1:3490 --rate-limit 10000000 --rate-burst 10000000 --global-rate 0
measure "postern-reflector (limiter on)" "$pid" 3490 stun

start coturn turnserver -n --stun-only --no-cli --no-tls --no-dtls -L 127.0.0.1 -p 3482 \
    --db "$work/turndb" --pidfile "$work/turnserver.pid" --log-file stdout --no-software-attribute
measure "coturn --stun-only" "$pid" 3482 stun

start stund stund -h 127.0.0.1 -a 127.0.0.2 -p 3484 -o 3485
measure "stund" "$pid" 3484 stun

stund_cpu=${cpu_per_answer[stund/stun]:-n/a}
postern_cpu=${cpu_per_answer[postern-reflector --no-rate-limit/stun]:-n/a}
if [ "$stund_cpu" != n/a ] && [ "$postern_cpu" != n/a ]; then
    awk -v p="$postern_cpu" -v s="$stund_cpu" 'BEGIN { printf "CPU per STUN answer, postern-reflector / stund: %.2f (target <= 0.5)\n", p / s }'
fi
one_cpu=${cpu_per_answer[postern-reflector --workers 1/stun]:-n/a}
if [ "$stund_cpu" != n/a ] && [ "$one_cpu" != n/a ]; then
    awk -v p="$one_cpu" -v s="$stund_cpu" 'BEGIN { printf "CPU per STUN answer, postern-reflector --workers 1 / stund: %.2f\n", p / s }'
fi
coturn_cpu=${cpu_per_answer[coturn --stun-only/stun]:-n/a}
if [ "$coturn_cpu" != n/a ] && [ "$postern_cpu" != n/a ]; then
    awk -v p="$postern_cpu" -v s="$coturn_cpu" 'BEGIN { printf "CPU per STUN answer, postern-reflector / coturn: %.2f\n", p / s }'
fi

# Amplification: one request of each kind, the reply's size over the request's.
echo
echo "amplification factor (reply bytes / request bytes), one request of each kind over UDP"
start postern-default "$bin" --listen udp:127.0.0.1:3500
start postern-software "$bin" --listen udp:127.0.0.1:3502 --software postern-reflector
start postern-5780 "$bin" --listen udp:127.0.0.1:3504 --alternate 127.0.0.2:3505
start postern-strict "$bin" --listen udp:127.0.0.1:3506 --strict-size
start postern-strict-5780 "$bin" --listen udp:127.0.0.1:3508 --alternate 127.0.0.2:3509 --strict-size

send_hex() { # PORT HEX -> reply length
    local escaped
    escaped=$(sed 's/../\\x&/g' <<<"$2")
    # UDP-DATAGRAM takes a reply from any address: CHANGE-REQUEST answers come from another one.
    printf "$escaped" | socat -t 0.5 - "UDP-DATAGRAM:127.0.0.1:$1,bind=127.0.0.1:0" 2>/dev/null | wc -c
}
text_hex=$(printf 'req from udpload\n' | od -An -v -tx1 | tr -d ' \n')
declare -A requests=(
    ["text line (udpload's)"]=$text_hex
    ["STUN Binding, 20 bytes"]=000100002112a4420102030405060708090a0b0c
    ["STUN Binding + FINGERPRINT"]=000100082112a4420102030405060708090a0b0c802800045b20f9cc
    ["RFC 3489 Binding (no cookie)"]=00010000000102030405060708090a0b0c0d0e0f
    ["420: unknown attribute"]=000100082112a4420102030405060708090a0b0c7777000400000000
    ["CHANGE-REQUEST ip+port"]=000100082112a4420102030405060708090a0b0c0003000400000006
    ["400: not a Binding"]=000300002112a4420102030405060708090a0b0c
    ["STUN Binding + PADDING, 64 B"]=0001002c2112a4420102030405060708090a0b0c00260028$(printf '%080d' 0)
    ["text line of 64 bytes"]=$(printf '%063d\n' 0 | od -An -v -tx1 | tr -d ' \n')
)
printf '%-30s %7s  %-22s %-22s %-22s %-22s %-22s\n' "request" "bytes" "default" "--software" "--alternate" "--strict-size" "--strict-size --alt"
for kind in "STUN Binding, 20 bytes" "STUN Binding + FINGERPRINT" "RFC 3489 Binding (no cookie)" \
        "420: unknown attribute" "CHANGE-REQUEST ip+port" "400: not a Binding" "text line (udpload's)" \
        "STUN Binding + PADDING, 64 B" "text line of 64 bytes"; do
    hex=${requests[$kind]}
    length=$(( ${#hex} / 2 ))
    row=$(printf '%-30s %7s ' "$kind" "$length")
    for port in 3500 3502 3504 3506 3508; do
        reply=$(send_hex "$port" "$hex")
        row+=$(printf ' %-22s' "$reply B = $(awk -v r="$reply" -v q="$length" 'BEGIN { printf "%.2f", r / q }')")
    done
    echo "$row"
done
echo "(CHANGE-REQUEST: a 420 without --alternate; with it, the answer from the other address and port."
echo " 0 B: no answer, as --strict-size drops an answer larger than its request.)"
