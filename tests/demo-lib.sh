# Sourced by the demo scripts (tests/demo.sh, tests/demo-punch.sh): running in a namespace, the
# section headings, and the removal of every namespace a demo made, its processes first.

on() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# remove_namespaces NS...: TERM to what runs in each, KILL to what is left, then the namespace.
remove_namespaces() {
    local ns pid
    for ns in "$@"; do
        if ip netns list | grep -qw "$ns"; then
            for pid in $(ip netns pids "$ns"); do kill "$pid" 2>/dev/null || true; done
            sleep 0.2
            for pid in $(ip netns pids "$ns"); do kill -9 "$pid" 2>/dev/null || true; done
            ip netns del "$ns"
        fi
    done
}
