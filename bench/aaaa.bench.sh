#!/usr/bin/env bash
# postern-aaaa side by side with its yardsticks, in one run, in a private network namespace on
# loopback (issue 2, "Benchmark"):
#   AAAA-only load: postern-aaaa (default flags), nfq_ref (../shared/bench/nfq_ref.c, with a
#                   plain NFQUEUE rule and a NOTRACK rule for sport 53), dnsmasq answering itself;
#   A-only load:    dnsmasq with no queue, and dnsmasq with postern-aaaa running (its in-kernel
#                   prefilter keeps A queries out of the queue).
# For each: queries/s and average latency from dnsperf, p50/p99 latency from a second, shorter
# dnsperf -v run (per-query latencies), responder CPU time per answered query from
# /proc/PID/stat, and for postern-aaaa its resident memory, binary size and allocation per packet
# (GC allocated bytes from its SIGUSR1 summary). The results go to the "## postern-aaaa" section
# of BENCHMARKS.md. It measures and prints; it never fails on a missed target, only when the
# harness itself breaks.
#
# Knobs (environment): BENCH_SECONDS (10, each measured run), BENCH_WARMUP (2),
# BENCH_LATENCY_SECONDS (4, the dnsperf -v sample), BENCH_ROUNDS (3, alternating rounds of the
# compared configurations), BENCH_WRITE (1; 0 leaves BENCHMARKS.md alone), POSTERN_SHARED (the
# shared folder, if not ../shared next to the worktree).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
. bench/lib.sh

RUN_SECONDS=${BENCH_SECONDS:-10}
WARMUP_SECONDS=${BENCH_WARMUP:-2}
SAMPLE_SECONDS=${BENCH_LATENCY_SECONDS:-4}
ROUNDS=${BENCH_ROUNDS:-3}
WRITE=${BENCH_WRITE:-1}
CLIENTS=8
OUTSTANDING=200
NAMES=5000
REF_QUEUE=7
POSTERN=$ROOT/build/linux-x64/bin/postern-aaaa
NFQ_REF=$ROOT/build/bench/nfq_ref
RESULTS=$ROOT/BENCHMARKS.md
HZ=$(getconf CLK_TCK)
NPROC=$(nproc)

[ "$(id -u)" = 0 ] || bench_die "needs root: network namespaces, iptables and NFQUEUE"
bench_require ip iptables dnsperf dnsmasq dig cc awk
[ -x "$POSTERN" ] || bench_die "$POSTERN is missing: run 'make build' first"
SHARED=$(bench_shared_dir) ||
    bench_die "cannot find the shared yardsticks: expected bench/nfq_ref.c in ../shared next to the worktree ($(git rev-parse --show-toplevel 2>/dev/null || pwd)/../shared); set POSTERN_SHARED=DIR"
mkdir -p build/bench
cc -O2 -o "$NFQ_REF" "$SHARED/bench/nfq_ref.c" -lnetfilter_queue ||
    bench_die "cannot build nfq_ref from $SHARED/bench/nfq_ref.c (libnetfilter-queue-dev installed? 'make deps')"

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
DATE_START=$(date -u '+%Y-%m-%d %H:%M UTC')
WORK=$(mktemp -d /tmp/postern-bench-aaaa.XXXXXX)
NS=postern-bench-aaaa-$$-$RANDOM
PIDS=()

# Every process this script started is ended by its id; the namespace goes with its rules.
cleanup()
{
    local rc=$? pid i
    trap - EXIT INT TERM
    bench_end_processes "${PIDS[@]}"
    if ip netns list 2>/dev/null | grep -qw "$NS"; then
        for pid in $(ip netns pids "$NS" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null || true
        done
        ip netns del "$NS" || echo "bench: could not remove namespace $NS" >&2
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Only for commands waited for: a backgrounded function is a subshell, and $! would not be the
# process to measure and signal, so background processes are started with ip netns exec itself.
nsx()
{
    ip netns exec "$NS" "$@"
}

forget_pid()
{
    local keep=() pid
    for pid in "${PIDS[@]}"; do
        [ "$pid" = "$1" ] || keep+=("$pid")
    done
    PIDS=("${keep[@]}")
}

# Ends one started process: SIGTERM, up to ten seconds, then SIGKILL.
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

# --- the namespace, the names and the DNS server -------------------------------------------------

ip netns add "$NS" || bench_die "cannot create network namespace $NS"
nsx ip link set lo up

for ((i = 1; i <= NAMES; i++)); do
    echo "host-record=n$i.bench.test,10.$((i / 65536)).$((i / 256 % 256)).$((i % 256))"
done > "$WORK/names.conf"
awk -F'[=,]' '{ print $2, "AAAA" }' "$WORK/names.conf" > "$WORK/aaaa.queries"
awk -F'[=,]' '{ print $2, "A" }' "$WORK/names.conf" > "$WORK/a.queries"

# --local makes dnsmasq authoritative for bench.test, so it answers AAAA for these A-only names
# itself with NODATA instead of refusing for want of an upstream.
ip netns exec "$NS" dnsmasq --keep-in-foreground --no-resolv --no-hosts --port 53 --listen-address 127.0.0.1 --bind-interfaces \
    --conf-file="$WORK/names.conf" --local=/bench.test/ --pid-file --log-facility=- 2>"$WORK/dnsmasq.log" &
DNSMASQ_PID=$!
PIDS+=("$DNSMASQ_PID")
for i in $(seq 50); do
    [ "$(nsx dig +short +time=1 +tries=1 @127.0.0.1 n1.bench.test A 2>/dev/null)" = "10.0.0.1" ] && break
    kill -0 "$DNSMASQ_PID" 2>/dev/null || bench_die "dnsmasq did not start: $(cat "$WORK/dnsmasq.log")"
    sleep 0.1
done
[ "$(nsx dig +short +time=1 +tries=1 @127.0.0.1 n1.bench.test A)" = "10.0.0.1" ] || bench_die "dnsmasq does not answer"

# "status answers authority" of one AAAA query, to show who answered.
aaaa_answer()
{
    nsx dig +time=1 +tries=1 @127.0.0.1 n42.bench.test AAAA |
        awk '/status:/ { sub(",", "", $6); s = $6 } /ANSWER:/ { sub(",", "", $9); sub(",", "", $11); a = $9; au = $11 }
             END { print s, "answers=" a, "authority=" au }'
}

# --- the responders ------------------------------------------------------------------------------

POSTERN_PID=
POSTERN_LOG=
POSTERN_STARTS=0

start_postern()
{
    POSTERN_STARTS=$((POSTERN_STARTS + 1))
    POSTERN_LOG=$WORK/postern.$POSTERN_STARTS.log
    ip netns exec "$NS" "$POSTERN" --stats-interval 0 >"$POSTERN_LOG" 2>&1 &
    POSTERN_PID=$!
    PIDS+=("$POSTERN_PID")
    bench_wait_ready postern-aaaa "$POSTERN_LOG" "$POSTERN_PID"
}

# The counters line postern-aaaa logs on SIGUSR1, without its prefix.
postern_stats()
{
    bench_stats_line postern-aaaa "$POSTERN_LOG" "$POSTERN_PID"
}

POSTERN_LEFTOVER=0
stop_postern()
{
    stop_pid "$POSTERN_PID"
    grep -q 'postern-aaaa: stopped' "$POSTERN_LOG" || echo "bench: postern-aaaa did not log 'stopped'" >&2
    local left
    left=$( { nsx iptables-save; nsx ip6tables-save; } 2>/dev/null | grep -c 'postern-aaaa' || true)
    POSTERN_LEFTOVER=$((POSTERN_LEFTOVER + left))
    POSTERN_PID=
}

REF_RULES=(
    "filter INPUT -p udp --dport 53 -j NFQUEUE --queue-num $REF_QUEUE --queue-bypass"
    "raw OUTPUT -p udp --sport 53 -j CT --notrack"
)
NFQ_REF_PID=
start_nfq_ref()
{
    local rule
    for rule in "${REF_RULES[@]}"; do
        set -- $rule
        nsx iptables -w -t "$1" -I "${@:2}"
    done
    ip netns exec "$NS" "$NFQ_REF" "$REF_QUEUE" 2>"$WORK/nfq_ref.log" &
    NFQ_REF_PID=$!
    PIDS+=("$NFQ_REF_PID")
    for i in $(seq 50); do
        nsx awk -v q="$REF_QUEUE" '$1 == q { found = 1 } END { exit !found }' /proc/net/netfilter/nfnetlink_queue && break
        kill -0 "$NFQ_REF_PID" 2>/dev/null || bench_die "nfq_ref did not start: $(cat "$WORK/nfq_ref.log")"
        sleep 0.1
    done
}

stop_nfq_ref()
{
    local rule
    stop_pid "$NFQ_REF_PID"
    for rule in "${REF_RULES[@]}"; do
        set -- $rule
        nsx iptables -w -t "$1" -D "${@:2}"
    done
    NFQ_REF_PID=
}

# --- one measurement -----------------------------------------------------------------------------

declare -A R   # R[label.key]
LABELS=()

dnsperf_args()
{
    echo -s 127.0.0.1 -d "$1" -c "$CLIENTS" -q "$OUTSTANDING"
}

# measure LABEL LOAD(aaaa|a) RESPONDER(postern|nfq_ref|dnsmasq) [POSTERN_RUNNING(0|1)]
measure()
{
    local label=$1 load=$2 responder=$3 with_postern=${4:-0}
    local queries=$WORK/$load.queries rpid out
    case $responder in
        postern) rpid=$POSTERN_PID ;;
        nfq_ref) rpid=$NFQ_REF_PID ;;
        *) rpid=$DNSMASQ_PID ;;
    esac
    LABELS+=("$label")
    R[$label.load]=$load
    R[$label.responder]=$responder
    R[$label.answer]=$(aaaa_answer)
    echo "... $label: warm-up ${WARMUP_SECONDS}s, measured ${RUN_SECONDS}s, latency sample ${SAMPLE_SECONDS}s (load1 $(bench_load1))"

    # shellcheck disable=SC2046
    nsx dnsperf $(dnsperf_args "$queries") -l "$WARMUP_SECONDS" >"$WORK/$label.warmup" 2>&1 ||
        bench_die "dnsperf warm-up failed: $(tail -5 "$WORK/$label.warmup")"

    local s0= s1= r0 r1 d0 d1 c0 c1 m0 m1 p0 p1
    if [ "$with_postern" = 1 ]; then
        s0=$(postern_stats)
        p0=$(bench_cpu_ticks "$POSTERN_PID")
    fi
    R[$label.load1]=$(bench_load1)
    r0=$(bench_cpu_ticks "$rpid")
    d0=$(bench_cpu_ticks "$DNSMASQ_PID")
    bench_children_seconds c0 "$WORK/times"
    m0=$(bench_machine_ticks)

    out=$WORK/$label.out
    # shellcheck disable=SC2046
    ip netns exec "$NS" dnsperf $(dnsperf_args "$queries") -l "$RUN_SECONDS" >"$out" 2>&1 &
    local dp=$!
    PIDS+=("$dp")
    sleep "$(calc '%.1f' "$RUN_SECONDS / 2")"
    if [ "$with_postern" = 1 ]; then
        R[$label.rss_mid]=$(bench_status_kb "$POSTERN_PID" VmRSS)
    fi
    wait "$dp" || bench_die "dnsperf failed: $(tail -5 "$out")"
    forget_pid "$dp"

    m1=$(bench_machine_ticks)
    bench_children_seconds c1 "$WORK/times"
    d1=$(bench_cpu_ticks "$DNSMASQ_PID")
    r1=$(bench_cpu_ticks "$rpid")
    if [ "$with_postern" = 1 ]; then
        p1=$(bench_cpu_ticks "$POSTERN_PID")
        s1=$(postern_stats)
        R[$label.hwm]=$(bench_status_kb "$POSTERN_PID" VmHWM)
        R[$label.rss_end]=$(bench_status_kb "$POSTERN_PID" VmRSS)
        R[$label.postern_ticks]=$((p1 - p0))
        local key
        for key in answered queued batches passed send-errors queue-dropped user-dropped overruns allocated-bytes; do
            R[$label.$key]=$(( $(bench_stat_value "$s1" "$key") - $(bench_stat_value "$s0" "$key") ))
        done
        R[$label.stats_end]=$s1
    fi

    R[$label.qps]=$(bench_dnsperf_value "$out" qps)
    R[$label.completed]=$(bench_dnsperf_value "$out" completed)
    R[$label.sent]=$(bench_dnsperf_value "$out" sent)
    R[$label.lost]=$(bench_dnsperf_value "$out" lost)
    R[$label.avg]=$(bench_dnsperf_value "$out" avg)
    R[$label.rcodes]=$(bench_dnsperf_value "$out" rcodes)
    R[$label.size]=$(bench_dnsperf_value "$out" response-size)
    [ -n "${R[$label.qps]}" ] || bench_die "no result from dnsperf: $(tail -5 "$out")"
    R[$label.ticks]=$((r1 - r0))
    R[$label.dnsmasq_ticks]=$((d1 - d0))
    # Machine CPU over the run, in cores busy, and the part the benchmark's own processes
    # (dnsperf, the responder, dnsmasq) account for; the rest is everyone else on the machine.
    local busy total elapsed ours
    read -r busy total <<<"$(awk -v a="$m0" -v b="$m1" 'BEGIN { split(a, x, " "); split(b, y, " "); print y[1] - x[1], y[2] - x[2] }')"
    elapsed=$(calc '%.3f' "$total / $HZ / $NPROC")
    R[$label.machine_cores]=$(calc '%.2f' "$busy / $HZ / $elapsed")
    ours=$(calc '%.3f' "($c1 - $c0) + ($r1 - $r0) / $HZ")
    if [ "$responder" != dnsmasq ]; then
        ours=$(calc '%.3f' "$ours + ($d1 - $d0) / $HZ")
    fi
    R[$label.dnsperf_cores]=$(calc '%.2f' "($c1 - $c0) / $elapsed")
    R[$label.other_cores]=$(calc '%.2f' "($busy / $HZ - $ours) / $elapsed")

    # Answered queries: postern's own counter; nfq_ref and dnsmasq answer every completed query.
    local answered=${R[$label.completed]}
    if [ "$responder" = postern ]; then
        answered=${R[$label.answered]}
    fi
    R[$label.answered_by_responder]=$answered
    R[$label.cpu_us]=$(calc '%.2f' "$answered > 0 ? ${R[$label.ticks]} / $HZ / $answered * 1e6 : 0")
    R[$label.dnsperf_us]=$(calc '%.2f' "($c1 - $c0) / ${R[$label.completed]} * 1e6")
    R[$label.dnsmasq_us]=$(calc '%.2f' "${R[$label.completed]} > 0 ? ${R[$label.dnsmasq_ticks]} / $HZ / ${R[$label.completed]} * 1e6 : 0")

    # Per-query latencies: dnsperf -v prints one line per answer; printing costs it throughput,
    # so this is a separate run whose rate is reported beside it.
    local sample=$WORK/$label.verbose
    # shellcheck disable=SC2046
    nsx dnsperf $(dnsperf_args "$queries") -l "$SAMPLE_SECONDS" -v >"$sample" 2>&1 ||
        bench_die "dnsperf -v failed: $(tail -5 "$sample")"
    local count p50 p99 p999 max savg
    read -r count p50 p99 p999 max savg <<<"$(bench_latency_percentiles "$sample")"
    R[$label.sample_count]=$count
    R[$label.p50]=$p50
    R[$label.p99]=$p99
    R[$label.p999]=$p999
    R[$label.sample_avg]=$savg
    R[$label.sample_qps]=$(bench_dnsperf_value "$sample" qps)
    R[$label.sample_timeouts]=$(bench_timeouts "$sample")
    rm -f "$sample"

    echo "    ${R[$label.qps]} q/s, avg $(calc '%.3f' "${R[$label.avg]} * 1000") ms, p99 $(calc '%.3f' "$p99 * 1000") ms," \
         "responder ${R[$label.cpu_us]} us/query (${R[$label.ticks]} ticks / $answered), other load ${R[$label.other_cores]} cores"
}

# --- the run -------------------------------------------------------------------------------------

echo "postern-aaaa benchmark: namespace $NS, ${RUN_SECONDS}s per run, $ROUNDS rounds, load average $LOAD_START"

measure aaaa-dnsmasq aaaa dnsmasq

# Idle cost of one SIGUSR1 summary (it allocates its own strings), taken from the allocation
# deltas below.
IDLE_ALLOC=()
for ((round = 1; round <= ROUNDS; round++)); do
    start_postern
    a0=$(postern_stats)
    a1=$(postern_stats)
    IDLE_ALLOC+=($(( $(bench_stat_value "$a1" allocated-bytes) - $(bench_stat_value "$a0" allocated-bytes) )))
    measure "aaaa-postern-$round" aaaa postern 1
    stop_postern

    start_nfq_ref
    measure "aaaa-nfq_ref-$round" aaaa nfq_ref
    stop_nfq_ref
done

for ((round = 1; round <= ROUNDS; round++)); do
    measure "a-noqueue-$round" a dnsmasq
    start_postern
    measure "a-postern-$round" a dnsmasq 1
    stop_postern
done

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# --- figures -------------------------------------------------------------------------------------

# Sum or mean of one key over the rounds of a configuration.
sum_rounds()
{
    local prefix=$1 key=$2 total=0 round
    for ((round = 1; round <= ROUNDS; round++)); do
        total=$(calc '%.9g' "$total + ${R[$prefix-$round.$key]:-0}")
    done
    echo "$total"
}
mean_rounds()
{
    calc '%.9g' "$(sum_rounds "$1" "$2") / $ROUNDS"
}
max_rounds()
{
    local prefix=$1 key=$2 best=0 round
    for ((round = 1; round <= ROUNDS; round++)); do
        best=$(calc '%.9g' "${R[$prefix-$round.$key]:-0} > $best ? ${R[$prefix-$round.$key]:-0} : $best")
    done
    echo "$best"
}

POSTERN_CPU=$(calc '%.2f' "$(sum_rounds aaaa-postern ticks) / $HZ / $(sum_rounds aaaa-postern answered) * 1e6")
REF_CPU=$(calc '%.2f' "$(sum_rounds aaaa-nfq_ref ticks) / $HZ / $(sum_rounds aaaa-nfq_ref completed) * 1e6")
CPU_RATIO=$(calc '%.2f' "$POSTERN_CPU / $REF_CPU")
CPU_RATIO_ROUNDS=$(for ((round = 1; round <= ROUNDS; round++)); do
    echo "$(calc '%.2f' "${R[aaaa-postern-$round.cpu_us]} / ${R[aaaa-nfq_ref-$round.cpu_us]}") at $(calc '%.1f' "${R[aaaa-postern-$round.queued]} / ${R[aaaa-postern-$round.batches]}") per batch"
done | paste -sd, - | sed 's/,/, /g')
A_BASE=$(mean_rounds a-noqueue qps)
A_POSTERN=$(mean_rounds a-postern qps)
A_LOSS=$(calc '%.1f' "($A_BASE - $A_POSTERN) / $A_BASE * 100")
A_QUEUED=$(sum_rounds a-postern queued)
A_DNSPERF_BASE=$(calc '%.2f' "$(mean_rounds a-noqueue dnsperf_us)")
A_DNSPERF_POSTERN=$(calc '%.2f' "$(mean_rounds a-postern dnsperf_us)")
BINARY_BYTES=$(stat -c %s "$POSTERN")
BINARY_MB=$(calc '%.2f' "$BINARY_BYTES / 1e6")
BINARY_MIB=$(calc '%.2f' "$BINARY_BYTES / 1048576")
HWM_KB=$(max_rounds aaaa-postern hwm)
RSS_KB=$(max_rounds aaaa-postern rss_mid)
HWM_MB=$(calc '%.1f' "$HWM_KB / 1024")
RSS_MB=$(calc '%.1f' "$RSS_KB / 1024")
IDLE_SUM=0
for cost in "${IDLE_ALLOC[@]}"; do
    IDLE_SUM=$((IDLE_SUM + cost))
done
ALLOC_RAW=$(sum_rounds aaaa-postern allocated-bytes)
ALLOC_PACKETS=$(sum_rounds aaaa-postern queued)
ALLOC_NET=$(calc '%.0f' "$ALLOC_RAW - $IDLE_SUM")
ALLOC_PER_PACKET=$(calc '%.4f' "$ALLOC_NET / $ALLOC_PACKETS")
ALLOC_UPPER=$(calc '%.4f' "$ALLOC_RAW / $ALLOC_PACKETS")
# Each round pairs two back-to-back runs, so the median of the per-round losses is the figure least
# moved by what others run on the machine between rounds.
A_LOSSES=$(for ((round = 1; round <= ROUNDS; round++)); do
    calc '%.1f\n' "(${R[a-noqueue-$round.qps]} - ${R[a-postern-$round.qps]}) / ${R[a-noqueue-$round.qps]} * 100"
done)
A_LOSS_ROUNDS=$(echo "$A_LOSSES" | sed 's/$/ %/' | paste -sd, - | sed 's/,/, /g')
A_LOSS_MEDIAN=$(echo "$A_LOSSES" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
BATCH=$(calc '%.1f' "$(sum_rounds aaaa-postern queued) / $(sum_rounds aaaa-postern batches)")

verdict()
{
    if [ "$(calc '%d' "$1")" = 1 ]; then echo met; else echo "**missed**"; fi
}

ms()
{
    if [ -z "$1" ] || [ "$1" = - ]; then echo -; else calc '%.3f' "$1 * 1000"; fi
}

row()
{
    local l=$1 name=$2 cpu=$3
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$(calc '%.0f' "${R[$l.qps]}")" \
        "$(ms "${R[$l.avg]}")" "$(ms "${R[$l.p50]}")" "$(ms "${R[$l.p99]}")" "$(calc '%.0f' "${R[$l.sample_qps]}")" \
        "$cpu" "${R[$l.dnsmasq_us]}" "${R[$l.dnsperf_us]}" "${R[$l.load1]}" "${R[$l.other_cores]}"
}

SECTION=$WORK/section.md
{
    echo "## postern-aaaa"
    echo
    echo "Measured $DATE_START on $(hostname) ($NPROC cores, kernel $(uname -r)), load average $LOAD_START at the"
    echo "start and $LOAD_END at the end; other agents were building on the same machine, so the"
    echo "\"other load\" column shows how much CPU others took during each measured run."
    echo "Command: \`make build && bash bench/aaaa.bench.sh\` (what \`make bench\` runs), with"
    echo "BENCH_SECONDS=$RUN_SECONDS BENCH_WARMUP=$WARMUP_SECONDS BENCH_LATENCY_SECONDS=$SAMPLE_SECONDS BENCH_ROUNDS=$ROUNDS; commit"
    echo "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src native 2>/dev/null || echo ' (src/native modified)'), dnsperf $(dnsperf -h 2>&1 | awk '/^Version/ { print $2 }'), dnsmasq $(dnsmasq --version | awk 'NR == 1 { print $3 }')."
    echo
    echo "Set-up: a private network namespace, loopback only; dnsmasq on 127.0.0.1:53 with $NAMES"
    echo "\`--host-record\` names (A only, \`--local=/bench.test/\` so it answers AAAA with NODATA itself);"
    echo "\`dnsperf -c $CLIENTS -q $OUTSTANDING\` over the $NAMES names, ${WARMUP_SECONDS} s warm-up, then ${RUN_SECONDS} s measured. Compared"
    echo "configurations alternate, $ROUNDS rounds each. postern-aaaa runs with default flags and"
    echo "\`--stats-interval 0\` (NODATA + SOA replies, IPv4 and IPv6 rules, string prefilter);"
    echo "nfq_ref (\`../shared/bench/nfq_ref.c\`, \`cc -O2\`) gets \`iptables -I INPUT -p udp --dport 53 -j NFQUEUE"
    echo "--queue-num $REF_QUEUE --queue-bypass\` and \`iptables -t raw -I OUTPUT -p udp --sport 53 -j CT --notrack\`."
    echo
    echo "| load / responder | queries/s | avg ms | p50 ms | p99 ms | q/s of the -v sample | responder CPU µs/query | dnsmasq CPU µs/query | dnsperf CPU µs/query | load1 | other load (cores) |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    row aaaa-dnsmasq "AAAA: dnsmasq answers itself" "${R[aaaa-dnsmasq.cpu_us]} (dnsmasq)"
    for ((round = 1; round <= ROUNDS; round++)); do
        row "aaaa-postern-$round" "AAAA: postern-aaaa, round $round" \
            "${R[aaaa-postern-$round.cpu_us]} ($(calc '%.1f' "${R[aaaa-postern-$round.queued]} / ${R[aaaa-postern-$round.batches]}") per batch)"
        row "aaaa-nfq_ref-$round" "AAAA: nfq_ref, round $round" "${R[aaaa-nfq_ref-$round.cpu_us]}"
    done
    for ((round = 1; round <= ROUNDS; round++)); do
        row "a-noqueue-$round" "A: no queue, round $round" "-"
        row "a-postern-$round" "A: postern-aaaa running, round $round" \
            "$(calc '%.2f' "${R[a-postern-$round.postern_ticks]} / $HZ * 1e6 / ${R[a-postern-$round.completed]}") (postern, per A query)"
    done
    echo
    echo "| target | measured | |"
    echo "| --- | --- | --- |"
    echo "| CPU per answered AAAA ≤ 0.8 × nfq_ref | postern $POSTERN_CPU µs ÷ nfq_ref $REF_CPU µs = **$CPU_RATIO** (rounds: $CPU_RATIO_ROUNDS) | $(verdict "$CPU_RATIO <= 0.8") |"
    echo "| A pass-through loses ≤ 10 % of the no-queue rate | median of the paired rounds **$A_LOSS_MEDIAN %** (rounds: $A_LOSS_ROUNDS; mean rates $(calc '%.0f' "$A_POSTERN") vs $(calc '%.0f' "$A_BASE") q/s, $A_LOSS %); A packets queued: $A_QUEUED; dnsperf CPU per A query $A_DNSPERF_POSTERN vs $A_DNSPERF_BASE µs ($(calc '%+.1f' "($A_DNSPERF_POSTERN - $A_DNSPERF_BASE) / $A_DNSPERF_BASE * 100") %) | $(verdict "$A_LOSS_MEDIAN <= 10") |"
    echo "| binary ≤ 5 MB | $BINARY_BYTES bytes = **$BINARY_MB MB** ($BINARY_MIB MiB), stripped | $(verdict "$BINARY_BYTES <= 5000000") |"
    echo "| resident memory ≤ 30 MB under load | VmRSS mid-run **$RSS_MB MiB**, VmHWM **$HWM_MB MiB** | $(verdict "$HWM_KB <= 30 * 1024") |"
    echo "| no allocation per packet in steady state | $ALLOC_RAW bytes over $ALLOC_PACKETS packets: at most **$ALLOC_UPPER bytes/packet**, $ALLOC_PER_PACKET once the SIGUSR1 summaries' own $IDLE_SUM bytes are taken off (one object per packet would be ≥ 24; counted as none below 0.5, the counter's resolution over a run) | $(verdict "$ALLOC_PER_PACKET < 0.5") |"
    echo
    echo "How each figure was obtained:"
    echo
    echo "- queries/s and avg: dnsperf's own summary of the ${RUN_SECONDS} s run; response codes seen: $(for l in "${LABELS[@]}"; do echo "${R[$l.rcodes]}" | awk '{ print $1 }'; done | sort -u | paste -sd, -);"
    echo "  at most $(for l in "${LABELS[@]}"; do echo "${R[$l.lost]}"; done | sort -n | tail -1) queries lost per run (those still in flight when the time is up)."
    echo "- p50/p99: dnsperf 2.10 prints no percentiles, so a separate ${SAMPLE_SECONDS} s run with \`-v\` (one line per response"
    echo "  with its latency) is sorted; printing those lines slows dnsperf, whose rate in that run is the"
    echo "  \"q/s of the -v sample\" column. With $OUTSTANDING queries outstanding, latency is mostly queueing: roughly $OUTSTANDING ÷ rate."
    echo "- CPU µs/query: utime+stime of the process from /proc/PID/stat (all threads, ${HZ} Hz ticks) across the"
    echo "  measured run, divided by postern-aaaa's \`answered=\` delta (SIGUSR1 summaries before and after),"
    echo "  or by dnsperf's completed queries for nfq_ref and dnsmasq. Softirq work done on a process's"
    echo "  time (loopback delivery of its sends, verdict re-injection) counts for it, for both responders alike."
    echo "- dnsperf CPU µs/query: this script's children times (user + sys) across the run ÷ completed queries. On"
    echo "  loopback the kernel's input path (the NFQUEUE rule and its string prefilter, conntrack, delivery"
    echo "  to dnsmasq or to the queue) runs in softirq on the sender's time, so it lands here."
    echo "- other load: busy ticks of the machine (/proc/stat) over the run less the CPU of dnsperf (children"
    echo "  times of this script), the responder and dnsmasq, in cores. dnsperf itself used about $(calc '%.2f' "$(mean_rounds aaaa-postern dnsperf_cores)") cores in the postern-aaaa runs."
    echo "- postern-aaaa batches (\"per batch\" in the table): packets per receive, \`queued=\` ÷ \`batches=\` deltas; $BATCH over all rounds."
    echo "  The batch size is not a setting: it is how many queries wait when the worker wakes, so it grows"
    echo "  when the machine is busy and shrinks when postern-aaaa keeps up, and its CPU per query follows. Response size"
    echo "  ${R[aaaa-postern-1.size]} bytes (with SOA) vs nfq_ref ${R[aaaa-nfq_ref-1.size]}; counters of the last run: \`${R[aaaa-postern-$ROUNDS.stats_end]}\`."
    echo "- memory: VmRSS read half-way through each measured AAAA run, VmHWM (peak) after it, the largest over the rounds."
    echo "- allocation: \`allocated-bytes=\` (GC.GetTotalAllocatedBytes, which moves in allocation-context"
    echo "  steps of kilobytes) delta across the measured AAAA runs, all of it charged to the packets for the"
    echo "  upper bound. The summary line itself allocates: two back-to-back SIGUSR1 summaries at idle"
    echo "  differ by ${IDLE_ALLOC[*]} bytes, the same order as the whole delta over the run."
    echo "- rules left in the namespace after postern-aaaa's SIGTERM: $POSTERN_LEFTOVER."
} > "$SECTION"

echo
cat "$SECTION"
if [ "$WRITE" = 1 ]; then
    bench_write_section "$RESULTS" postern-aaaa "$SECTION"
    echo
    echo "written to $RESULTS (section \"## postern-aaaa\")"
fi
