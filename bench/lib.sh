# Helpers for the bench/*.bench.sh scripts: sourced, never run. Every benchmark measures in a
# private network namespace it creates and removes, reads CPU time and memory from /proc, and
# prints; nothing here asserts.

bench_die()
{
    echo "bench: $*" >&2
    exit 1
}

# The folder of yardsticks next to the repository (../shared, with bench/nfq_ref.c and
# bench/udpload.c), found from the repository's top level, from the main checkout's when this is
# a git worktree, then from this script's own place; POSTERN_SHARED overrides them all.
bench_shared_dir()
{
    local candidate top common
    local here
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    top=$(git -C "$here" rev-parse --show-toplevel 2>/dev/null || true)
    common=$(git -C "$here" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)
    for candidate in "${POSTERN_SHARED:-}" "${top:+$top/../shared}" "${common:+$common/../../shared}" "$here/../../shared"; do
        if [ -n "$candidate" ] && [ -f "$candidate/bench/nfq_ref.c" ]; then
            (cd "$candidate" && pwd)
            return 0
        fi
    done
    return 1
}

# Re-runs the calling benchmark script in a private network namespace of its own (unshare -n,
# with loopback up), so that nothing it binds or sends reaches the host's; returns at once when
# already there. Needs root. Usage, before anything else: bench_private_netns NAME "$@"
bench_private_netns()
{
    local name=$1
    shift
    if [ "${POSTERN_BENCH_NETNS:-}" != 1 ]; then
        [ "$(id -u)" = 0 ] || bench_die "$name: needs root for a private network namespace (unshare -n)"
        exec unshare -n env POSTERN_BENCH_NETNS=1 bash "$0" "$@"
    fi
    ip link set lo up
}

bench_require()
{
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || bench_die "$tool not found (run 'make deps' as root)"
    done
}

# utime + stime of a whole process (every thread, live and exited), in clock ticks.
bench_cpu_ticks()
{
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
    # Fields after the command name, which sits in parentheses and may hold spaces.
    stat=${stat##*) }
    set -- $stat
    echo $(( ${12} + ${13} ))
}

# One field of /proc/PID/status in kB (VmRSS, VmHWM, ...).
bench_status_kb()
{
    awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status" 2>/dev/null
}

# Busy and total ticks of the whole machine from /proc/stat: "busy total".
bench_machine_ticks()
{
    awk '$1 == "cpu" { busy = $2 + $3 + $4 + $7 + $8 + $9; total = busy + $5 + $6; print busy, total }' /proc/stat
}

# CPU seconds (user + sys) of this shell's reaped children, into the variable named $1. The
# `times` builtin must run in this shell, not in a $(...) subshell, so it writes to a file ($2).
bench_children_seconds()
{
    times > "$2"
    printf -v "$1" '%s' "$(awk 'NR == 2 {
        total = 0
        for (i = 1; i <= 2; i++) { split($i, part, "m"); sub("s", "", part[2]); total += part[1] * 60 + part[2] }
        printf "%.3f\n", total
    }' "$2")"
}

bench_load1()
{
    cut -d' ' -f1 /proc/loadavg
}

# A value from dnsperf's summary: qps, completed, sent, lost, avg (seconds), rcodes.
bench_dnsperf_value()
{
    local file=$1 what=$2
    case $what in
        qps) awk -F: '/Queries per second:/ { gsub(/ /, "", $2); print $2 }' "$file" ;;
        completed) awk '/Queries completed:/ { print $3 }' "$file" ;;
        sent) awk '/Queries sent:/ { print $3 }' "$file" ;;
        lost) awk '/Queries lost:/ { print $3 }' "$file" ;;
        avg) awk '/Average Latency \(s\):/ { print $4 }' "$file" ;;
        rcodes) awk -F: '/Response codes:/ { sub(/^ +/, "", $2); print $2 }' "$file" ;;
        response-size) awk '/Average packet size:/ { print $NF }' "$file" ;;
    esac
}

# Percentiles of the per-query latencies dnsperf -v prints ("> NOERROR name TYPE 0.000123"):
# prints "count p50 p99 p99.9 max average" in seconds over the answered queries (the ones that
# timed out or were interrupted at the end, "> T" and "> I", are counted by bench_timeouts).
bench_latency_percentiles()
{
    local file=$1
    awk '$1 == ">" && $NF ~ /^[0-9.]+$/ && $2 != "T" && $2 != "I" { print $NF }' "$file" | sort -g |
        awk '{ v[NR] = $1; sum += $1 }
             END {
                 if (NR == 0) { print "0 - - - - -"; exit }
                 i50 = int(NR * 0.50); if (i50 < 1) i50 = 1
                 i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
                 i999 = int(NR * 0.999); if (i999 < 1) i999 = 1
                 printf "%d %.6f %.6f %.6f %.6f %.6f\n", NR, v[i50], v[i99], v[i999], v[NR], sum / NR
             }'
}

bench_timeouts()
{
    awk '$1 == ">" && ($2 == "T" || $2 == "I") { n++ } END { print n + 0 }' "$1"
}

# key=value from a one-line stats summary.
# Ends the given processes: SIGTERM to all, then up to 5 s each to go, then SIGKILL.
bench_end_processes()
{
    local pid i
    for pid in "$@"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "$@"; do
        for i in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    done
}

# Waits (15 s at most) until the daemon NAME, started in the background as PID with its output
# in LOG, says it is ready; stops the run if it dies or never does.
bench_wait_ready()
{
    local name=$1 log=$2 pid=$3 i
    for i in $(seq 150); do
        grep -q "$name: ready" "$log" && return 0
        kill -0 "$pid" 2>/dev/null || bench_die "$name did not start: $(cat "$log")"
        sleep 0.1
    done
    bench_die "$name was not ready after 15 s: $(cat "$log")"
}

# Asks the daemon NAME (PID, output in LOG) for its counters with SIGUSR1 and prints the new
# stats line without its prefix.
bench_stats_line()
{
    local name=$1 log=$2 pid=$3 before i
    before=$(grep -c 'stats:' "$log" || true)
    kill -USR1 "$pid"
    for i in $(seq 100); do
        if [ "$(grep -c 'stats:' "$log" || true)" -gt "$before" ]; then
            grep 'stats:' "$log" | tail -1 | sed 's/.*stats: //'
            return 0
        fi
        sleep 0.05
    done
    bench_die "$name printed no stats line after SIGUSR1"
}

bench_stat_value()
{
    echo "$1" | tr ' ' '\n' | awk -F= -v key="$2" '$1 == key { print $2 }'
}

# Replaces (or appends) the "## TITLE" section of a Markdown file with a file that starts with
# that heading, leaving every other section as it was.
bench_write_section()
{
    local file=$1 title=$2 content=$3 tmp
    tmp=$(mktemp)
    if [ ! -f "$file" ]; then
        printf '# Benchmarks\n\nFigures measured by `make bench` (bench/*.bench.sh). Absolute numbers move from machine to\nmachine and run to run: compare the ratios measured in one run.\n' > "$file"
    fi
    awk -v title="## $title" -v content="$content" '
        function trim() { while (n > 0 && out[n] ~ /^[ \t]*$/) n-- }
        function emit(  line) {
            trim(); if (n > 0) out[++n] = ""
            while ((getline line < content) > 0) out[++n] = line
            close(content); trim(); done = 1
        }
        $0 == title { if (!done) emit(); skipping = 1; next }
        skipping && /^## / { skipping = 0; out[++n] = "" }
        !skipping { out[++n] = $0 }
        END { if (!done) emit(); for (i = 1; i <= n; i++) print out[i] }
    ' "$file" > "$tmp"
    mv "$tmp" "$file"
}
