#!/usr/bin/env bash
# postern-socks beside Debian's dante-server (danted 1.4.2), in one run, in a private network
# namespace on loopback: relayed UDP datagrams per second and server CPU time per relayed
# datagram (64- and 1,200-byte payloads), and TCP CONNECT throughput, under bench/socksload.c
# (one association, WINDOW datagrams in flight to an echo it runs itself; one CONNECT to a sink it
# runs). A round trip is two relayed datagrams (client to echo, echo to client). Prints the table
# and the ratio of CPU per datagram against dante; with BENCH_WRITE=1 (the default) also writes
# the "postern-socks" section of BENCHMARKS.md. Asserts nothing.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
. bench/lib.sh

bench_private_netns "socks bench" "$@"

seconds=${BENCH_SECONDS:-5}
window=${BENCH_WINDOW:-32}
write=${BENCH_WRITE:-1}
bin=$root/build/linux-x64/bin/postern-socks
[ -x "$bin" ] || { echo "socks bench: $bin is not built (make build)" >&2; exit 1; }
[ -x /usr/sbin/danted ] || { echo "socks bench: /usr/sbin/danted is missing (make deps installs dante-server)" >&2; exit 1; }

work=$(mktemp -d /tmp/postern-socks-bench.XXXXXX)
chmod 755 "$work"
servers=()
cleanup() {
    for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
cc -O2 -Wall -Wextra -Werror -o "$work/socksload" bench/socksload.c -lpthread || exit 1
cp "$bin" "$work/postern-socks"
ticks=$(getconf CLK_TCK)

# The CPU ticks (utime + stime) of a server and every child it forked (dante forks its workers).
tree_ticks() {
    local pid=$1 total=0 p
    for p in $pid $(ps -o pid= --ppid "$pid"); do
        [ -r "/proc/$p/stat" ] && total=$((total + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
    done
    echo "$total"
}

cat > "$work/danted.conf" <<CONF
logoutput: $work/danted.log
internal: 127.0.0.1 port = 1081
external: 127.0.0.1
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }
socks pass { from: 0.0.0.0/0 to: 0.0.0.0/0 command: connect udpassociate bindreply udpreply }
CONF

setpriv --reuid=nobody --regid=nogroup --clear-groups "$work/postern-socks" --listen 127.0.0.1:1080 --stats-interval 0 \
    >"$work/postern-socks.log" 2>&1 &
postern=$!
servers+=("$postern")
/usr/sbin/danted -f "$work/danted.conf" -p "$work/danted.pid" >"$work/danted.out" 2>&1 &
dante=$!
servers+=("$dante")
sleep 2
kill -0 "$postern" 2>/dev/null || { echo "socks bench: postern-socks did not start: $(cat "$work/postern-socks.log")" >&2; exit 1; }
kill -0 "$dante" 2>/dev/null || { echo "socks bench: danted did not start: $(cat "$work/danted.out" "$work/danted.log")" >&2; exit 1; }

declare -A rate cpu mbps
# measure NAME PID PORT SIZE: one UDP run; sets rate[NAME,SIZE] (datagrams/s) and cpu[NAME,SIZE] (µs).
measure() {
    local name=$1 pid=$2 port=$3 size=$4 before after line trips elapsed
    before=$(tree_ticks "$pid")
    line=$("$work/socksload" udp "$port" "$size" "$window" "$seconds")
    after=$(tree_ticks "$pid")
    trips=$(echo "$line" | awk '{ print $3 }')
    elapsed=$(echo "$line" | awk '{ print $5 }')
    rate[$name,$size]=$(awk -v t="$trips" -v s="$elapsed" 'BEGIN { printf "%.0f", 2 * t / s }')
    cpu[$name,$size]=$(awk -v a="$after" -v b="$before" -v k="$ticks" -v t="$trips" \
        'BEGIN { if (t == 0) print "n/a"; else printf "%.2f", (a - b) / k * 1e6 / (2 * t) }')
}
measure_tcp() {
    local name=$1 port=$2 line
    line=$("$work/socksload" tcp "$port" "$seconds")
    mbps[$name]=$(echo "$line" | awk '{ printf "%.0f", $3 * 8 / $5 / 1e6 }')
}

for size in 64 1200; do
    measure postern "$postern" 1080 "$size"
    measure dante "$dante" 1081 "$size"
done
measure_tcp postern 1080
measure_tcp dante 1081

ratio() { awk -v p="${cpu[postern,$1]}" -v d="${cpu[dante,$1]}" 'BEGIN { if (p == "n/a" || d == "n/a" || d == 0) print "n/a"; else printf "%.2f", p / d }'; }
table=$work/section.md
{
    echo "## postern-socks"
    echo
    echo "- **Date:** $(date -u '+%Y-%m-%d %H:%M UTC')."
    echo "- **Machine:** $(nproc) cores, $(uname -r); load average at the end $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "- **Command:** \`make bench\` (which runs \`bench/socks.bench.sh\`): in a private network namespace"
    echo "  (\`unshare -n\`) on loopback, postern-socks (as \`nobody\`, defaults) and danted 1.4.2 (no authentication,"
    echo "  \`external: 127.0.0.1\`) side by side in the same run; \`bench/socksload.c\` keeps $window datagrams in"
    echo "  flight on one association (0.0.0.0:0) to an echo of its own for $seconds s per row, and sends through one CONNECT"
    echo "  for $seconds s. CPU is utime + stime of the server and its children from \`/proc\`, per relayed datagram"
    echo "  (a round trip is two)."
    echo
    echo "| server, payload | relayed datagrams/s | server CPU per relayed datagram |"
    echo "| --- | --- | --- |"
    for size in 64 1200; do
        echo "| postern-socks, $size B | ${rate[postern,$size]} | ${cpu[postern,$size]} µs |"
        echo "| danted, $size B | ${rate[dante,$size]} | ${cpu[dante,$size]} µs |"
    done
    echo
    echo "| server | TCP CONNECT throughput |"
    echo "| --- | --- |"
    echo "| postern-socks | ${mbps[postern]} Mbit/s |"
    echo "| danted | ${mbps[dante]} Mbit/s |"
    echo
    echo "**CPU per relayed datagram against dante: $(ratio 64) (64 B), $(ratio 1200) (1,200 B).** Target: at most 0.5."
} > "$table"
cat "$table"
if [ "$write" = 1 ]; then
    bench_write_section "$root/BENCHMARKS.md" "postern-socks" "$table"
fi
