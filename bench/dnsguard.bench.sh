#!/usr/bin/env bash
# postern-dnsguard side by side with no guard, in one run (issue 13, "Benchmark"), in four
# private network namespaces: client - gateway - router - upstream (dnsmasq).
#   load:    dnsperf from the client through the gateway to the upstream, alternating rounds with
#            the guard off and on (postern-dnsguard --chain forward on the gateway): queries/s,
#            p50/p99 latency (a dnsperf -v sample), and the guard's CPU time per inspected answer
#            (/proc/PID/stat over the answers it counted);
#   forged:  the router turns injector (tests/Postern.DnsGuard.Integration.Tests/injector.py) and
#            the upstream delays its real answers (delayproxy.py): for poisoned names asked with
#            dig, the time from the forged answer's hold to the real answer's verdict, from the
#            guard's won-wait-us/won counters, and whether dig got the real answer.
# The results go to the "## postern-dnsguard" section of BENCHMARKS.md. It measures and prints;
# it never fails on a missed target, only when the harness itself breaks.
#
# Knobs (environment): BENCH_SECONDS (10, each measured run), BENCH_LATENCY_SECONDS (4),
# BENCH_ROUNDS (3), BENCH_FORGED (200 poisoned queries), BENCH_DELAY_MS (20, the real answer's
# delay), BENCH_WRITE (1; 0 leaves BENCHMARKS.md alone).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
. bench/lib.sh

RUN_SECONDS=${BENCH_SECONDS:-10}
SAMPLE_SECONDS=${BENCH_LATENCY_SECONDS:-4}
ROUNDS=${BENCH_ROUNDS:-3}
FORGED=${BENCH_FORGED:-200}
DELAY_MS=${BENCH_DELAY_MS:-20}
WRITE=${BENCH_WRITE:-1}
CLIENTS=4
OUTSTANDING=100
NAMES=5000
GUARD=$ROOT/build/linux-x64/bin/postern-dnsguard
LAB=$ROOT/tests/Postern.DnsGuard.Integration.Tests
RESULTS=$ROOT/BENCHMARKS.md
HZ=$(getconf CLK_TCK)

[ "$(id -u)" = 0 ] || bench_die "needs root: network namespaces, iptables and NFQUEUE"
bench_require ip iptables dnsperf dnsmasq dig awk /usr/bin/python3
[ -x "$GUARD" ] || bench_die "$GUARD is missing: run 'make build' first"

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
DATE_START=$(date -u '+%Y-%m-%d %H:%M UTC')
WORK=$(mktemp -d /tmp/postern-bench-dnsguard.XXXXXX)
TAG=dnsguard-bench-$$-$RANDOM
NSS=("$TAG-c" "$TAG-g" "$TAG-r" "$TAG-u")
C=${NSS[0]} G=${NSS[1]} R=${NSS[2]} U=${NSS[3]}
PIDS=()

cleanup()
{
    local rc=$? ns pid
    trap - EXIT INT TERM
    bench_end_processes "${PIDS[@]}"
    for ns in "${NSS[@]}"; do
        if ip netns list 2>/dev/null | grep -qw "$ns"; then
            for pid in $(ip netns pids "$ns" 2>/dev/null); do
                kill -KILL "$pid" 2>/dev/null || true
            done
            ip netns del "$ns" || echo "bench: could not remove namespace $ns" >&2
        fi
    done
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

forget_pid()
{
    local keep=() pid
    for pid in "${PIDS[@]}"; do
        [ "$pid" = "$1" ] || keep+=("$pid")
    done
    PIDS=("${keep[@]}")
}

stop_pid()
{
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    forget_pid "$pid"
}

calc()
{
    awk -v f="$1" "BEGIN { printf f, ($2) }"
}


# --- the namespaces -------------------------------------------------------------------------------

for ns in "${NSS[@]}"; do
    ip netns add "$ns" || bench_die "cannot create network namespace $ns"
    ip -n "$ns" link set lo up
done
# Interface names: "dg" + this shell's pid + a letter; at most 15 characters.
ip link add "dgc$$" netns "$C" type veth peer name "dgg$$" netns "$G"
ip link add "dgh$$" netns "$G" type veth peer name "dgr$$" netns "$R"
ip link add "dgs$$" netns "$R" type veth peer name "dgu$$" netns "$U"
ip -n "$C" addr add 192.0.2.2/24 dev "dgc$$"
ip -n "$G" addr add 192.0.2.1/24 dev "dgg$$"
ip -n "$G" addr add 198.51.100.1/24 dev "dgh$$"
ip -n "$R" addr add 198.51.100.2/24 dev "dgr$$"
ip -n "$R" addr add 203.0.113.1/24 dev "dgs$$"
ip -n "$U" addr add 203.0.113.2/24 dev "dgu$$"
ip -n "$U" addr add 203.0.113.3/24 dev "dgu$$"
for dev in "$C dgc$$" "$G dgg$$" "$G dgh$$" "$R dgr$$" "$R dgs$$" "$U dgu$$"; do
    set -- $dev
    ip -n "$1" link set "$2" up
done
ip netns exec "$G" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1
ip -n "$C" route add default via 192.0.2.1
ip -n "$G" route add 203.0.113.0/24 via 198.51.100.2
ip -n "$R" route add 192.0.2.0/24 via 198.51.100.1
ip -n "$U" route add default via 203.0.113.1

for ((i = 1; i <= NAMES; i++)); do
    echo "n$i.bench.test A"
done > "$WORK/a.queries"
ip netns exec "$U" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --port 53 \
    --listen-address 203.0.113.2,127.0.0.1 --bind-interfaces --address=/bench.test/192.0.2.80 \
    --address=/example.test/192.0.2.80 --dns-forward-max=1000 --pid-file --log-facility=- 2>"$WORK/dnsmasq.log" &
PIDS+=("$!")
for i in $(seq 100); do
    [ "$(ip netns exec "$C" dig +short +time=1 +tries=1 @203.0.113.2 n1.bench.test A 2>/dev/null)" = "192.0.2.80" ] && break
    sleep 0.1
done
[ "$(ip netns exec "$C" dig +short +time=1 +tries=1 @203.0.113.2 n1.bench.test A)" = "192.0.2.80" ] || bench_die "dnsmasq does not answer through the gateway"

# --- the guard ------------------------------------------------------------------------------------

GUARD_PID=
GUARD_LOG=
GUARD_STARTS=0

start_guard()
{
    GUARD_STARTS=$((GUARD_STARTS + 1))
    GUARD_LOG=$WORK/guard.$GUARD_STARTS.log
    ip netns exec "$G" "$GUARD" --stats-interval 0 --family ipv4 "$@" >"$GUARD_LOG" 2>&1 &
    GUARD_PID=$!
    PIDS+=("$GUARD_PID")
    bench_wait_ready postern-dnsguard "$GUARD_LOG" "$GUARD_PID"
    # A few answers first, so the server's profile is learned as on a gateway that has run a while.
    for i in 1 2 3 4 5 6; do
        ip netns exec "$C" dig +short +time=2 +tries=1 @203.0.113.2 "warm$i.bench.test" A >/dev/null || true
    done
}

# --- load: off and on, alternating ----------------------------------------------------------------

declare -A QPS P50 P99 CPU_US
run_load()
{
    local mode=$1 round=$2
    local out=$WORK/$mode.$round.out sample=$WORK/$mode.$round.v ticks0 ticks1 answers0 answers1 line p50 p99
    if [ "$mode" = on ]; then
        start_guard
        line=$(bench_stats_line postern-dnsguard "$GUARD_LOG" "$GUARD_PID")
        answers0=$(bench_stat_value "$line" answers)
        ticks0=$(bench_cpu_ticks "$GUARD_PID")
    fi
    ip netns exec "$C" dnsperf -s 203.0.113.2 -d "$WORK/a.queries" -l "$RUN_SECONDS" -c "$CLIENTS" -q "$OUTSTANDING" -t 2 > "$out" 2>&1
    if [ "$mode" = on ]; then
        ticks1=$(bench_cpu_ticks "$GUARD_PID")
        line=$(bench_stats_line postern-dnsguard "$GUARD_LOG" "$GUARD_PID")
        answers1=$(bench_stat_value "$line" answers)
        CPU_US[$round]=$(calc '%.2f' "($ticks1 - $ticks0) * 1000000 / $HZ / (($answers1 - $answers0) > 0 ? ($answers1 - $answers0) : 1)")
        echo "$line" > "$WORK/on.$round.stats"
    fi
    ip netns exec "$C" dnsperf -s 203.0.113.2 -d "$WORK/a.queries" -l "$SAMPLE_SECONDS" -c 1 -q 1 -t 2 -v > "$sample" 2>&1
    QPS[$mode.$round]=$(bench_dnsperf_value "$out" qps)
    read -r _ p50 p99 _ <<<"$(bench_latency_percentiles "$sample")"
    P50[$mode.$round]=$p50
    P99[$mode.$round]=$p99
    if [ "$mode" = on ]; then
        stop_pid "$GUARD_PID"
    fi
    echo "bench: $mode round $round: ${QPS[$mode.$round]} q/s, p50 $(calc '%.3f' "$p50 * 1000") ms, p99 $(calc '%.3f' "$p99 * 1000") ms${CPU_US[$round]:+, ${CPU_US[$round]} us CPU per answer}" >&2
}

for ((r = 1; r <= ROUNDS; r++)); do
    run_load off "$r"
    run_load on "$r"
done

median()
{
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

QPS_OFF=$(median $(for r in $(seq "$ROUNDS"); do echo "${QPS[off.$r]}"; done))
QPS_ON=$(median $(for r in $(seq "$ROUNDS"); do echo "${QPS[on.$r]}"; done))
P50_OFF=$(median $(for r in $(seq "$ROUNDS"); do echo "${P50[off.$r]}"; done))
P50_ON=$(median $(for r in $(seq "$ROUNDS"); do echo "${P50[on.$r]}"; done))
P99_OFF=$(median $(for r in $(seq "$ROUNDS"); do echo "${P99[off.$r]}"; done))
P99_ON=$(median $(for r in $(seq "$ROUNDS"); do echo "${P99[on.$r]}"; done))
CPU_ON=$(median $(for r in $(seq "$ROUNDS"); do echo "${CPU_US[$r]}"; done))
LAST_STATS=$(cat "$WORK/on.$ROUNDS.stats")

# --- forged answers: the time from the forged one's hold to the real one's verdict ---------------

ip netns exec "$U" /usr/bin/python3 "$LAB/delayproxy.py" 203.0.113.3 53 "$DELAY_MS" > "$WORK/proxy.log" 2>&1 &
PIDS+=("$!")
ip netns exec "$R" /usr/bin/python3 "$LAB/injector.py" "dgr$$" 203.0.113.3 > "$WORK/injector.log" 2>&1 &
PIDS+=("$!")
for i in $(seq 100); do
    grep -q ready "$WORK/proxy.log" && grep -q ready "$WORK/injector.log" && break
    sleep 0.1
done
start_guard
for ((i = 1; i <= 6; i++)); do
    ip netns exec "$C" dig +short +time=2 +tries=1 @203.0.113.3 "slowwarm$i.example.test" A >/dev/null || true
done
for ((i = 1; i <= FORGED; i++)); do
    echo "@203.0.113.3 A f$i.ttlcopyopt.blocked.example.test +tries=1 +time=3 +noall +answer"
done > "$WORK/forged.batch"
ip netns exec "$C" dig -f "$WORK/forged.batch" > "$WORK/forged.out" 2>&1 || true
REAL=$(grep -c '192\.0\.2\.80$' "$WORK/forged.out" || true)
FAKE=$(grep -c '198\.51\.100\.66$' "$WORK/forged.out" || true)
FLINE=$(bench_stats_line postern-dnsguard "$GUARD_LOG" "$GUARD_PID")
WON=$(bench_stat_value "$FLINE" won)
WAIT_US=$(bench_stat_value "$FLINE" won-wait-us)
WAIT_MS=$(calc '%.2f' "$WAIT_US / 1000 / ($WON > 0 ? $WON : 1)")
stop_pid "$GUARD_PID"

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
DROP=$(calc '%.1f' "(1 - $QPS_ON / $QPS_OFF) * 100")
ADDED=$(calc '%.3f' "($P50_ON - $P50_OFF) * 1000")

section=$WORK/section.md
{
    echo "## postern-dnsguard"
    echo
    echo "\`bench/dnsguard.bench.sh\`, $DATE_START, $(nproc) cores (load average $LOAD_START at the start, $LOAD_END at the end)."
    echo "Four namespaces: client - gateway - router - upstream (dnsmasq answering itself); dnsperf from the client through"
    echo "the gateway, $CLIENTS clients x $OUTSTANDING outstanding, $RUN_SECONDS s a run, $ROUNDS alternating rounds off/on (medians shown);"
    echo "latency from a separate dnsperf -v sample of one outstanding query ($SAMPLE_SECONDS s). The guard runs with its defaults"
    echo "(\`--chain forward --family ipv4\`), its server profile learned from 6 answers first."
    echo
    echo "| | answers/s | p50 latency | p99 latency | guard CPU per inspected answer |"
    echo "| --- | --- | --- | --- | --- |"
    echo "| no guard | $QPS_OFF | $(calc '%.3f' "$P50_OFF * 1000") ms | $(calc '%.3f' "$P99_OFF * 1000") ms | - |"
    echo "| postern-dnsguard | $QPS_ON | $(calc '%.3f' "$P50_ON * 1000") ms | $(calc '%.3f' "$P99_ON * 1000") ms | $CPU_ON us |"
    echo
    echo "With the guard: $DROP% fewer answers per second than without (target: at most 10%); median added latency $ADDED ms"
    echo "(target: at most 0.5 ms). Each answer costs the guard two trips through NFQUEUE (its query and itself; compare"
    echo "postern-aaaa's per-query CPU above, one trip), on the same cores as dnsperf and dnsmasq."
    echo "Counters of the last guarded round: \`$(echo "$LAST_STATS" | tr ' ' '\n' | grep -E '^(answers|accepted|held|won|released|dropped|passed)(\.[a-z-]+)?=' | tr '\n' ' ' | sed 's/ $//')\`."
    echo
    echo "Forged answers: the router injects a forged answer (TTL copied from the query, OPT kept: only the round trip"
    echo "gives it away) for each of $FORGED poisoned names; the upstream's real answer is delayed $DELAY_MS ms. dig got the real"
    echo "answer $REAL times and the forged one $FAKE times; from a forged answer's hold to the real answer's verdict: $WAIT_MS ms"
    echo "on average over $WON ($WAIT_US us in all)."
} > "$section"
cat "$section"
if [ "$WRITE" = 1 ]; then
    bench_write_section "$RESULTS" "postern-dnsguard" "$section"
    echo "bench: wrote the postern-dnsguard section of $RESULTS" >&2
fi
